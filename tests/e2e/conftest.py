"""The end-to-end stack, once per ledger: a seeded company (with a few records no ledger can take, and one
invoice with every kind of discount), the ledger's sandbox, a connection through its OAuth flow, the suggested
mapping, Prefect."""

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceLine, InvoiceStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import add_problem_records
from tests.stack import LedgerSetup, Stack, ledger_setup_params, open_stack

DISCOUNTED = "DSC-0001"


def add_discounted_invoice(engine: Engine) -> None:
    """A locked invoice with a returned part (quantity -1), a trade-in (unit price -40.00) and 10 % off, so
    every ledger setup syncs each kind of discount whatever the seed drew for it."""
    with Session(engine) as session, session.begin():
        template = session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED).limit(1)).one()
        first = template.lines[0]
        last_locked = session.scalar(select(func.max(Invoice.locked_at)))
        invoice = Invoice(
            company_id=template.company_id,
            number=DISCOUNTED,
            customer_id=template.customer_id,
            issue_date=template.issue_date,
            due_date=template.due_date,
            currency=template.currency,
            status=InvoiceStatus.LOCKED,
            locked_at=(last_locked or template.locked_at) + timedelta(minutes=2),
            discount_percent=Decimal(10),
        )
        for position, (quantity, price, what) in enumerate(
            (("3", "95.00", "installed"), ("-1", "95.00", "returned unused"), ("1", "-40.00", "trade-in")), start=1
        ):
            invoice.lines.append(
                InvoiceLine(
                    position=position,
                    product_id=first.product_id,
                    category_id=first.category_id,
                    description=f"Part {what}",
                    quantity=Decimal(quantity),
                    unit_price=Decimal(price),
                    tax_rate_id=first.tax_rate_id,
                    tax_inclusive=first.tax_inclusive,
                )
            )
        session.add(invoice)


def _seeded(engine: Engine, setup: LedgerSetup) -> None:
    """The US QBO companies run on a smaller data set: the same paths, less time."""
    invoices = 60 if setup.company.country == "US" else 150
    seed(engine, invoices=invoices, seed=11, country=setup.company.country)
    add_problem_records(engine, 1)
    add_discounted_invoice(engine)


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param
    home = tmp_path_factory.mktemp(f"stack-{setup.id}")
    with open_stack(home, partial(_seeded, setup=setup), setup.ledger, setup.company) as opened:
        yield opened
