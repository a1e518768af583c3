"""A page read when the source held fewer invoices than a page takes is the last: its partly full batch is written
at once, not held back for a next page that will not come (a live run's invoice reaches the ledger sooner). A full
page may have more behind it, and holds its last batch back to share it with the next page's invoices."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Customer, Payment, PaymentMethod, PaymentStatus
from ledger_sync.core.runs import RunKind
from ledger_sync.events.outbox import collect_payment
from ledger_sync.tasks.extract import extract_invoices
from ledger_sync.tasks.job import open_job
from tests.stack import LEDGER_SETUPS, Stack, small_company_stack

QBO = next(setup for setup in LEDGER_SETUPS if setup.ledger == "qbo")


@pytest.fixture
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with small_company_stack(QBO, tmp_path_factory.mktemp("last-page")) as opened:
        yield opened


def test_a_page_shorter_than_the_page_size_is_the_last(stack: Stack) -> None:
    job = open_job.fn(stack.settings, stack.company_id, stack.ledger, RunKind.SYNC)
    try:
        full = extract_invoices.fn(job, None, 3)
        assert len(full.fresh) == 3 and not full.last, "a full page may have more behind it"
        everything = extract_invoices.fn(job, None, 1000)
        assert 3 < len(everything.fresh) < 1000 and everything.last
        assert not extract_invoices.fn(job, everything.next_after, 1000).fresh, "nothing past the last page"
    finally:
        job.close()


def test_a_page_that_is_not_the_last_brings_the_next_pages_customers(stack: Stack) -> None:
    """To fill its batches of customers (`tasks.load.load_customers`): those of the next page's locked invoices, and
    only those; the last page brings no invoice's (the seeded deposits' customers have invoices of their own)."""
    job = open_job.fn(stack.settings, stack.company_id, stack.ledger, RunKind.SYNC)
    try:
        pages = [extract_invoices.fn(job, None, 2)]
        while not pages[-1].last:
            pages.append(extract_invoices.fn(job, pages[-1].next_after, 2))
        brought = 0
        for page, following in zip(pages, [*pages[1:], None], strict=True):
            own = {i.customer_id for i in page.invoices}
            ahead = {i.customer_id for i in following.invoices if i.status == "locked"} if following else set()
            assert set(page.customers) == own | ahead
            brought += len(ahead - own)
        assert len(pages) > 3 and brought > 0, "the seeded books' pages bring customers of their own"
    finally:
        job.close()


def test_the_last_page_brings_the_customers_of_the_first_deposits(stack: Stack) -> None:
    """A deposit's customer who has no invoice in the run would be written in a call of its own on the deposit's
    payment page: the last invoice page brings the customers of the first deposits past the payments' checkpoint,
    to share the invoices' last batch of customers; a page that is not the last brings the next page's."""
    job = open_job.fn(stack.settings, stack.company_id, stack.ledger, RunKind.SYNC)
    try:
        with Session(job.source.engine) as session, session.begin():
            customer = Customer(company_id=stack.company_id, display_name="Deposit Only Ltd")
            session.add(customer)
            session.flush()
            deposit = Payment(
                company_id=stack.company_id,
                invoice_id=None,
                customer_id=customer.id,
                amount=Decimal("75.00"),
                method=PaymentMethod.CARD,
                status=PaymentStatus.PENDING,
            )
            session.add(deposit)
            collect_payment(session, deposit)
            depositor = customer.id
        last = extract_invoices.fn(job, None, 1000)
        assert last.last and depositor in last.customers
        assert depositor not in {i.customer_id for i in last.invoices}
        assert depositor not in extract_invoices.fn(job, None, 2).customers
    finally:
        job.close()
