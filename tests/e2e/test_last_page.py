"""A page read when the source held fewer invoices than a page takes is the last: its partly full batch is written
at once, not held back for a next page that will not come (a live run's invoice reaches the ledger sooner). A full
page may have more behind it, and holds its last batch back to share it with the next page's invoices."""

from collections.abc import Iterator

import pytest

from ledger_sync.core.runs import RunKind
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
    only those; the last page brings none."""
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
