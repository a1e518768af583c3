"""The outbox without a Prefect server: the event commits (or rolls back) with the lock, and carries the company."""

from decimal import Decimal
from pathlib import Path
from typing import get_args, get_type_hints

import pytest
import yaml
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import (
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    OutboxEvent,
    Payment,
    PaymentStatus,
)
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.records import EntityType
from ledger_sync.events.emitter import (
    COMPANY_LABEL,
    CREDIT_NOTE_ISSUED,
    CUSTOMER_UPDATED,
    EVENT_KINDS,
    INVOICE_LOCKED,
    INVOICE_VOIDED,
    PAYMENT_APPLIED,
    PAYMENT_COLLECTED,
    PAYMENT_REFUNDED,
    PAYMENT_REVERSED,
    OpusEvent,
)
from ledger_sync.events.outbox import (
    collect_payment,
    issue_credit_note,
    lock_invoice,
    unlock_invoice,
    unsent,
    update_customer,
    void_invoice,
)
from ledger_sync.flows.live import OpusEventName, live_sync
from ledger_sync.state.db import make_engine


@pytest.fixture
def source(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'service_opus.db'}")
    seed(engine, invoices=40, seed=3)
    return engine


def _first(session: Session, model: type, status: object) -> object:
    return session.scalars(select(model).where(model.status == status).order_by(model.id).limit(1)).one()


def test_a_lock_and_its_event_commit_together(source: Engine) -> None:
    with Session(source) as session, session.begin():
        invoice = _first(session, Invoice, InvoiceStatus.DRAFT)
        lock_invoice(session, invoice)
        invoice_id = invoice.id
    (event,) = unsent(source)
    assert (event.event, event.entity_id) == (INVOICE_LOCKED, invoice_id)
    with Session(source) as session:
        assert session.get(Invoice, invoice_id).status == InvoiceStatus.LOCKED


def test_a_rolled_back_lock_leaves_no_event(source: Engine) -> None:
    with Session(source) as session:
        invoice = _first(session, Invoice, InvoiceStatus.DRAFT)
        lock_invoice(session, invoice)
        session.rollback()
    assert unsent(source) == []
    with Session(source) as session:
        assert session.scalar(select(OutboxEvent)) is None


def test_only_drafts_lock_and_only_pending_payments_collect(source: Engine) -> None:
    with Session(source) as session:
        with pytest.raises(ValueError, match="only a draft"):
            lock_invoice(session, _first(session, Invoice, InvoiceStatus.LOCKED))
        payment = session.scalars(select(Payment).where(Payment.status == PaymentStatus.COLLECTED).limit(1)).first()
        if payment is not None:
            with pytest.raises(ValueError, match="only a pending"):
                collect_payment(session, payment)


def test_the_event_names_the_record_and_labels_the_company(source: Engine) -> None:
    with Session(source) as session, session.begin():
        lock_invoice(session, _first(session, Invoice, InvoiceStatus.DRAFT))
    (event,) = unsent(source)
    fields = event.fields()
    assert fields["resource"]["prefect.resource.id"] == f"service-opus.invoice.{event.entity_id}"
    assert fields["resource"][COMPANY_LABEL] == str(event.company_id)
    assert fields["occurred"].tzinfo is not None
    assert fields["id"] == event.event_id


def test_unknown_events_are_refused() -> None:
    from datetime import datetime
    from uuid import uuid4

    with pytest.raises(ValueError, match="unknown Service Opus event"):
        OpusEvent("service-opus.invoice.deleted", 1, 1, uuid4(), datetime(2026, 1, 1))
    assert OpusEvent(PAYMENT_COLLECTED, 1, 1, uuid4(), datetime(2026, 1, 1)).fields()["event"] == PAYMENT_COLLECTED


def test_a_void_a_credit_note_and_a_customer_edit_owe_their_events(source: Engine) -> None:
    with Session(source) as session, session.begin():
        invoice = _first(session, Invoice, InvoiceStatus.LOCKED)
        void_invoice(session, invoice)
        note = CreditNote(
            company_id=invoice.company_id,
            number="CN-0001",
            customer_id=invoice.customer_id,
            invoice_id=invoice.id,
            issue_date=invoice.issue_date,
            currency=invoice.currency,
        )
        note.lines.append(
            CreditNoteLine(
                position=1,
                product_id=invoice.lines[0].product_id,
                category_id=invoice.lines[0].category_id,
                quantity=Decimal(1),
                unit_price=Decimal("25.00"),
                tax_rate_id=invoice.lines[0].tax_rate_id,
            )
        )
        session.add(note)
        issue_credit_note(session, note)
        customer = session.get_one(Customer, invoice.customer_id)
        update_customer(session, customer, email="new@example.com")
        ids = (invoice.id, note.id, customer.id)
    events = unsent(source)
    assert [(e.event, e.entity_id) for e in events] == list(
        zip((INVOICE_VOIDED, CREDIT_NOTE_ISSUED, CUSTOMER_UPDATED), ids, strict=True)
    )
    kinds = [e.fields()["resource"]["prefect.resource.id"].rsplit(".", 1)[0] for e in events]
    assert kinds == ["service-opus.invoice", "service-opus.credit-note", "service-opus.customer"]
    with Session(source) as session:
        assert session.get_one(CreditNote, ids[1]).status is CreditNoteStatus.ISSUED
        assert session.get_one(Customer, ids[2]).email == "new@example.com"


def test_an_unlock_owes_no_event_and_only_what_is_allowed_changes(source: Engine) -> None:
    with Session(source) as session, session.begin():
        invoice = _first(session, Invoice, InvoiceStatus.LOCKED)
        unlock_invoice(session, invoice)
        assert (invoice.status, invoice.locked_at) == (InvoiceStatus.DRAFT, None)
        with pytest.raises(ValueError, match="only a locked"):
            unlock_invoice(session, invoice)
        void_invoice(session, invoice)
        with pytest.raises(ValueError, match="already void"):
            void_invoice(session, invoice)
        with pytest.raises(ValueError, match="no editable field company_id"):
            update_customer(session, session.get_one(Customer, invoice.customer_id), company_id="2")
    assert [e.event for e in unsent(source)] == [INVOICE_VOIDED]


def test_the_live_process_alone_serves_every_event_and_syncs_what_the_event_calls_for() -> None:
    """The live flow's events parameter and the events Service Opus writes agree; no deployment trigger starts a
    run per event beside the live process (`ledger-sync live`, which batches them); a void, a credit note and a
    customer edit sync invoices (Automatic Invoice Sync), a collection, a reversal, a refund and a deposit's
    application payments (Automatic Payment Sync)."""
    deployments = yaml.safe_load((Path(__file__).parents[2] / "prefect.yaml").read_text())["deployments"]
    assert [d["name"] for d in deployments if d.get("triggers")] == []
    (events,) = get_args(get_type_hints(live_sync.fn)["events"])
    assert set(get_args(events)) == set(get_args(OpusEventName)) == set(EVENT_KINDS)
    syncs = {event: kind.syncs for event, kind in EVENT_KINDS.items()}
    assert syncs == {
        INVOICE_LOCKED: EntityType.INVOICE,
        INVOICE_VOIDED: EntityType.INVOICE,
        CREDIT_NOTE_ISSUED: EntityType.INVOICE,
        CUSTOMER_UPDATED: EntityType.INVOICE,
        PAYMENT_COLLECTED: EntityType.PAYMENT,
        PAYMENT_REVERSED: EntityType.PAYMENT,
        PAYMENT_REFUNDED: EntityType.PAYMENT,
        PAYMENT_APPLIED: EntityType.PAYMENT,
    }
