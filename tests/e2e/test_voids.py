"""Voids after sync, through the real flow on every ledger: an invoice synced with a partial payment and then
voided in Service Opus is voided in the ledger and its payment removed (both ledgers refuse the void
otherwise); nothing stays open for it or its customer; the payment shows as skipped saying what to do; a void
of an invoice never synced sends nothing; a re-run writes nothing."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment, PaymentMethod, PaymentStatus
from ledger_sync.core.sync_state import RecordState
from ledger_sync.core.transform import total_due
from ledger_sync.events.outbox import collect_payment, void_invoice
from ledger_sync.flows.reconcile import reconcile_company
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from ledger_sync.status import VOID_DUE, company_status, listed
from tests.ledgers import facts
from tests.stack import LedgerSetup, Stack, ledger_setup_params, small_company_stack
from tests.status_invariant import accounting_errors


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param
    with small_company_stack(setup, tmp_path_factory.mktemp(f"voids-{setup.id}")) as opened:
        yield opened


def _sync(stack: Stack) -> None:
    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"  # type: ignore[arg-type]


def _unpaid_locked(session: Session, count: int) -> list[Invoice]:
    paid = select(Payment.invoice_id).where(Payment.invoice_id.is_not(None))  # NOT IN a NULL matches nothing
    return list(
        session.scalars(
            select(Invoice)
            .where(Invoice.status == InvoiceStatus.LOCKED, Invoice.id.not_in(paid))
            .order_by(Invoice.id)
            .limit(count)
        )
    )


def _one(docs: list[dict[str, object]], field: str, value: str) -> dict[str, object]:
    """The one document whose field starts with the word `value` (a Xero payment's Reference is its stamp, then its
    method and reference: "SO-P12 · card 4242")."""
    (doc,) = [d for d in docs if str(d.get(field) or "").split(" ")[0] == value]
    return doc


def _gone(doc: dict[str, object]) -> bool:
    """Voided or deleted, as either ledger says it (QBO: zero with the memo 'Voided'; Xero: a status)."""
    return doc.get("Status") in ("VOIDED", "DELETED") or doc.get("PrivateNote") == "Voided"


def test_void_after_a_partial_payment_and_a_void_never_synced(stack: Stack) -> None:
    shape, balance = facts(stack.ledger).shape, facts(stack.ledger).balance
    engine = make_engine(stack.settings.resolved_source_url)
    source = ServiceOpusSource(engine)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    with Session(engine) as session, session.begin():
        paid, never_synced = _unpaid_locked(session, 2)
        snapshot = source.invoices(stack.company_id, after=None, limit=0, ids=[paid.id]).records[0]
        partial_amount = (total_due(snapshot, rates) * Decimal("0.4")).quantize(Decimal("0.01"))
        payment = Payment(
            company_id=paid.company_id,
            invoice_id=paid.id,
            amount=partial_amount,
            method=PaymentMethod.CARD,
            status=PaymentStatus.PENDING,
        )
        session.add(payment)
        collect_payment(session, payment)
        void_invoice(session, never_synced)
        numbers = (paid.number, never_synced.number)
        paid_id, never_synced_id, payment_id = paid.id, never_synced.id, payment.id
    payment_ref = f"SO-P{payment_id}"

    start = stack.last_request_id()
    _sync(stack)
    invoices = stack.ledger_entities(shape.invoices)
    assert not [i for i in invoices if i.get(shape.number) == numbers[1]], "a void never synced was sent"
    held = _one(invoices, shape.number, numbers[0])
    assert Decimal(str(held[balance])) == Decimal(str(held[shape.total])) - partial_amount
    assert not _gone(_one(stack.ledger_entities(shape.payments), shape.reference, payment_ref))
    assert stack.writes_since(start)

    with Session(engine) as session, session.begin():
        void_invoice(session, session.get(Invoice, paid_id))
    due = listed(stack.settings, stack.store, stack.company_id, stack.ledger, RecordState.PENDING)
    assert ("invoice", paid_id, VOID_DUE) in due, "a void still owed to the ledger is pending"
    _sync(stack)
    voided = _one(stack.ledger_entities(shape.invoices), shape.number, numbers[0])
    assert _gone(voided) and Decimal(str(voided[balance])) == 0
    assert _gone(_one(stack.ledger_entities(shape.payments), shape.reference, payment_ref))

    status = company_status(stack.settings, stack.store, stack.company_id, stack.ledger)
    assert accounting_errors(status) == []
    skipped = {
        (kind, source_id): why
        for kind, source_id, why in listed(
            stack.settings, stack.store, stack.company_id, stack.ledger, RecordState.SKIPPED
        )
    }
    assert skipped[("payment", payment_id)].startswith("Removed from ")
    assert f"voided invoice {numbers[0]}" in skipped[("payment", payment_id)]
    assert ("invoice", paid_id) in skipped and ("invoice", never_synced_id) in skipped

    reconciled = reconcile_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert reconciled["differences"] == [], reconciled["differences"]
    ledger_receivables = {r["customer_ref"]: r for r in reconciled["receivables"]}  # type: ignore[union-attr]
    assert all(r["expected"] == r["ledger"] for r in ledger_receivables.values())

    again = stack.last_request_id()
    _sync(stack)
    assert stack.writes_since(again) == []
