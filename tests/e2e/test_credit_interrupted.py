"""An overpayment whose sync died half way: Xero received its credit (the RECEIVE-OVERPAYMENT bank transaction) but
the worker died before allocating it to the invoice and before recording anything. The next run must finish the
job (the invoice paid, the excess left as credit), not take the half-made credit for the whole payment; and when
Service Opus voids the invoice in between, the half-made credit must leave the ledger with it (Service Opus books no
payment of a voided invoice), parked as removed, not left as the customer's credit nobody asked for."""

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, Payment, PaymentMethod, PaymentStatus
from ledger_sync.connectors.xero.connector import XeroConnector
from ledger_sync.core.transform import total_due
from ledger_sync.events.outbox import collect_payment, void_invoice
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from tests.stack import LEDGER_SETUPS, Stack, small_company_stack, unpaid_locked_invoices

EXCESS = Decimal("15.00")
XERO = next(setup for setup in LEDGER_SETUPS if setup.ledger == "xero")


class WorkerKilled(BaseException):
    """The process dies: nothing after this point runs, nothing is recorded."""


@pytest.fixture
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with small_company_stack(XERO, tmp_path_factory.mktemp("credit-interrupted")) as opened:
        yield opened


def _overpay(stack: Stack) -> tuple[int, int, str]:
    """An overpayment (EXCESS over the total) of a locked invoice nothing pays yet: (payment id, invoice id,
    invoice number)."""
    engine = make_engine(stack.settings.resolved_source_url)
    source = ServiceOpusSource(engine)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    with Session(engine) as session, session.begin():
        (invoice,) = unpaid_locked_invoices(session, 1)
        total = total_due(source.invoices(stack.company_id, after=None, limit=0, ids=[invoice.id]).records[0], rates)
        over = Payment(
            company_id=invoice.company_id,
            invoice_id=invoice.id,
            customer_id=invoice.customer_id,
            amount=total + EXCESS,
            method=PaymentMethod.CASH,
            status=PaymentStatus.PENDING,
        )
        session.add(over)
        collect_payment(session, over)
        return over.id, invoice.id, invoice.number


def _die_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(*_: Any) -> Any:
        raise WorkerKilled("the worker died after Xero received the credit, before allocating it")

    monkeypatch.setattr(XeroConnector, "_allocate_credit", killed)


def _credits_of(stack: Stack, payment_id: int) -> list[dict[str, Any]]:
    """The live bank transactions stamped with the payment (an overpayment's receipt)."""
    stamp = f"SO-P{payment_id}"
    return [
        t
        for t in stack.ledger_entities("BankTransactions")
        if str(t.get("Reference", "")).split(" ")[0] == stamp and t.get("Status") not in ("DELETED", "VOIDED")
    ]


def _invoice(stack: Stack, number: str) -> dict[str, Any]:
    (found,) = [i for i in stack.ledger_entities("Invoices") if i.get("InvoiceNumber") == number]
    return found


def _overpaid_and_interrupted(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, str]:
    """The books synced, then an overpayment (`_overpay`) whose run dies once Xero received its credit."""
    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"
    overpaid = _overpay(stack)
    with monkeypatch.context() as patch:
        _die_before_allocating(patch)
        with pytest.raises(WorkerKilled):
            sync_company(company_id=stack.company_id, ledger=stack.ledger)
    assert len(_credits_of(stack, overpaid[0])) == 1, "Xero holds the credit, not yet allocated"
    assert Decimal(str(_invoice(stack, overpaid[2])["AmountDue"])) > 0
    return overpaid


def test_a_credit_received_but_not_allocated_is_allocated_by_the_next_run(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment_id, _, number = _overpaid_and_interrupted(stack, monkeypatch)

    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"
    assert len(_credits_of(stack, payment_id)) == 1, "the credit is not received twice"
    assert Decimal(str(_invoice(stack, number)["AmountDue"])) == 0, "the overpayment pays its invoice"


def test_a_credit_received_but_not_allocated_leaves_with_its_voided_invoice(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    payment_id, invoice_id, number = _overpaid_and_interrupted(stack, monkeypatch)
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        void_invoice(session, session.get_one(Invoice, invoice_id))
    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"
    assert _invoice(stack, number)["Status"] == "VOIDED"
    assert _credits_of(stack, payment_id) == [], "the half-made credit goes with its voided invoice"
    reason = stack.parked().get(("payment", payment_id), "")
    assert reason.startswith("Removed from"), reason
