"""The transactional outbox: Service Opus records the event with the change, a relay sends it later.

`lock_invoice` and `collect_payment` are what the app calls inside its own transaction: the status
change and the outbox row commit together or not at all. `relay` sends unsent rows as Prefect
events in order and marks each one sent once the server has it; while the server is down the rows
wait. A row sent twice (a crash between send and mark) is harmless: it carries the same event id,
and a second sync of the same record writes nothing.
"""

import logging
import threading
import uuid
from datetime import UTC, datetime

from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import (
    Invoice,
    InvoiceStatus,
    OutboxEvent,
    Payment,
    PaymentStatus,
)
from ledger_sync.events.emitter import INVOICE_LOCKED, PAYMENT_COLLECTED, OpusEvent, publish

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _record(session: Session, event: str, company_id: int, entity_id: int, at: datetime) -> OutboxEvent:
    row = OutboxEvent(
        event_id=str(uuid.uuid4()), event=event, company_id=company_id, entity_id=entity_id, occurred_at=at
    )
    session.add(row)
    return row


def lock_invoice(session: Session, invoice: Invoice, at: datetime | None = None) -> OutboxEvent:
    """Lock a draft invoice and owe the sync its event, in the caller's transaction."""
    if invoice.status != InvoiceStatus.DRAFT:
        raise ValueError(f"invoice {invoice.number} is {invoice.status.value}; only a draft can be locked")
    session.flush()  # a new invoice needs its id for the event
    invoice.status, invoice.locked_at = InvoiceStatus.LOCKED, at or _now()
    return _record(session, INVOICE_LOCKED, invoice.company_id, invoice.id, invoice.locked_at)


def collect_payment(session: Session, payment: Payment, at: datetime | None = None) -> OutboxEvent:
    """Mark a pending payment collected and owe the sync its event, in the caller's transaction."""
    if payment.status != PaymentStatus.PENDING:
        raise ValueError(f"payment {payment.id} is {payment.status.value}; only a pending payment can be collected")
    session.flush()
    payment.status, payment.collected_at = PaymentStatus.COLLECTED, at or _now()
    return _record(session, PAYMENT_COLLECTED, payment.company_id, payment.id, payment.collected_at)


def ensure_outbox(engine: Engine) -> None:
    """Create the outbox table in a Service Opus database made before it existed."""
    OutboxEvent.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]


def unsent(engine: Engine, limit: int = 500) -> list[OpusEvent]:
    with Session(engine) as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).order_by(OutboxEvent.id).limit(limit)
        )
        return [OpusEvent(r.event, r.company_id, r.entity_id, uuid.UUID(r.event_id), r.occurred_at) for r in rows]


def _mark_sent(engine: Engine, event: OpusEvent) -> None:
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxEvent).where(OutboxEvent.event_id == str(event.event_id)).values(sent_at=_now()))


def relay(engine: Engine, limit: int = 500) -> int:
    """Send the unsent rows (oldest first); returns how many were sent. Raises if the server is unreachable."""
    events = unsent(engine, limit)
    if events:
        # works from sync code and from inside a running event loop (the app's, or a test's)
        run_coro_as_sync(publish(events, lambda event: _mark_sent(engine, event)))
    return len(events)


def relay_until(engine: Engine, stop: threading.Event, interval_seconds: float) -> None:
    """Relay every `interval_seconds` until `stop` is set, riding out Prefect server outages."""
    while not stop.is_set():
        try:
            sent = relay(engine)
        except Exception as exc:  # noqa: BLE001 - outliving outages is the relay's job; the rows stay unsent
            log.warning("outbox relay: Prefect server unreachable, will retry (%s)", type(exc).__name__)
        else:
            if sent:
                log.info("outbox relay: sent %d event(s)", sent)
        stop.wait(interval_seconds)
