"""Deposits and overpayments through the real flow on every ledger: a deposit taken before its invoice exists is the
customer's credit in the ledger; applied later in Service Opus, it is sent again as an update and pays the invoice;
an overpayment pays its invoice in full and leaves the excess as credit. After each run every invoice's open balance
in the ledger equals Service Opus's to the cent, the reconciliation (balances and the credit each payment leaves)
finds nothing, and a second run writes nothing."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, Payment, PaymentMethod, PaymentStatus
from ledger_sync.core.applications import applied_parts
from ledger_sync.core.transform import total_due
from ledger_sync.events.outbox import apply_deposit, collect_payment
from ledger_sync.flows.reconcile import reconcile_company
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from tests.ledgers import facts
from tests.stack import LedgerSetup, Stack, ledger_setup_params, small_company_stack, unpaid_locked_invoices

DEPOSIT = Decimal("40.00")
EXCESS = Decimal("15.00")


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param
    with small_company_stack(setup, tmp_path_factory.mktemp(f"deposits-{setup.id}")) as opened:
        yield opened


def _sync(stack: Stack) -> None:
    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"  # type: ignore[arg-type]


def _open_balances(stack: Stack, source: ServiceOpusSource, numbers: dict[int, str]) -> dict[str, Decimal]:
    """Service Opus's open balance of these invoices: the total less what each payment applies (the excess of an
    overpayment is the customer's credit, not the invoice's)."""
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    invoices = source.invoices(stack.company_id, after=None, limit=0, ids=list(numbers)).records
    paid = source.collected_before(list(numbers))
    balances = {}
    for invoice in invoices:
        total = total_due(invoice, rates)
        balances[invoice.number] = total - sum(applied_parts(total, paid.get(invoice.id, [])).values(), Decimal(0))
    return balances


def _ledger_balances(stack: Stack, numbers: dict[int, str]) -> dict[str, Decimal]:
    shape, balance = facts(stack.ledger).shape, facts(stack.ledger).balance
    found = {str(i.get(shape.number)): i for i in stack.ledger_entities(shape.invoices)}
    return {number: Decimal(str(found[number][balance])) for number in numbers.values()}


def _reconciled(stack: Stack) -> None:
    reconciled = reconcile_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert reconciled["differences"] == [], reconciled["differences"]
    assert all(r["expected"] == r["ledger"] for r in reconciled["receivables"])  # type: ignore[union-attr]


def test_a_deposit_applied_later_and_an_overpayment(stack: Stack) -> None:
    engine = make_engine(stack.settings.resolved_source_url)
    source = ServiceOpusSource(engine)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    with Session(engine) as session, session.begin():
        later, overpaid = unpaid_locked_invoices(session, 2)
        overpaid_total = total_due(
            source.invoices(stack.company_id, after=None, limit=0, ids=[overpaid.id]).records[0], rates
        )
        deposit = Payment(
            company_id=later.company_id,
            invoice_id=None,
            customer_id=later.customer_id,
            amount=DEPOSIT,
            method=PaymentMethod.ACH,
            status=PaymentStatus.PENDING,
        )
        over = Payment(
            company_id=overpaid.company_id,
            invoice_id=overpaid.id,
            customer_id=overpaid.customer_id,
            amount=overpaid_total + EXCESS,
            method=PaymentMethod.CASH,
            status=PaymentStatus.PENDING,
        )
        session.add_all([deposit, over])
        collect_payment(session, deposit)
        collect_payment(session, over)
        numbers = {later.id: later.number, overpaid.id: overpaid.number}
        deposit_id, over_id, later_number, overpaid_number = deposit.id, over.id, later.number, overpaid.number
        later_id = later.id

    _sync(stack)
    expected = _open_balances(stack, source, numbers)
    assert expected[overpaid_number] == 0 and expected[later_number] > DEPOSIT
    assert _ledger_balances(stack, numbers) == expected, "the deposit is credit; the overpayment pays its total"
    assert ("payment", deposit_id) not in stack.parked() and ("payment", over_id) not in stack.parked()
    _reconciled(stack)

    with Session(engine) as session, session.begin():
        apply_deposit(session, session.get_one(Payment, deposit_id), session.get_one(Invoice, later_id))
    start = stack.last_request_id()
    _sync(stack)
    assert stack.writes_since(start), "the deposit's application is sent"
    expected_after = _open_balances(stack, source, numbers)
    assert expected_after[later_number] == expected[later_number] - DEPOSIT
    assert _ledger_balances(stack, numbers) == expected_after, "the deposit applied pays its invoice"
    _reconciled(stack)

    again = stack.last_request_id()
    _sync(stack)
    assert stack.writes_since(again) == []
