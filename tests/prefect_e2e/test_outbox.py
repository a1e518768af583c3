"""The outbox without a Prefect server: the event commits (or rolls back) with the lock, and carries the company."""

from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, OutboxEvent, Payment, PaymentStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.events.emitter import COMPANY_LABEL, INVOICE_LOCKED, PAYMENT_COLLECTED, OpusEvent
from ledger_sync.events.outbox import collect_payment, lock_invoice, unsent
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
        OpusEvent("service-opus.invoice.voided", 1, 1, uuid4(), datetime(2026, 1, 1))
    assert OpusEvent(PAYMENT_COLLECTED, 1, 1, uuid4(), datetime(2026, 1, 1)).fields()["event"] == PAYMENT_COLLECTED
