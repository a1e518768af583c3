"""The transactional outbox: Service Opus records the event with the change, a relay sends it later.

`lock_invoice`, `void_invoice`, `issue_credit_note`, `update_customer`, `collect_payment`, `reverse_payment` and
`refund_payment` are what the app calls inside its own transaction: the change and the outbox row commit together
or not at all.
(`unlock_invoice` owes no event: a draft syncs nothing; locking it again does.) `relay` sends unsent rows as Prefect
events in order and marks each one sent once the server has it; while the server is down the rows
wait. A row sent twice (a crash between send and mark) is harmless: it carries the same event id,
and a second sync of the same record writes nothing.
"""

import logging
import threading
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import (
    CUSTOMER_DETAILS,
    REVERSED_STATUSES,
    CreditNote,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    OutboxEvent,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
)
from ledger_sync.events.emitter import (
    CREDIT_NOTE_ISSUED,
    CUSTOMER_UPDATED,
    INVOICE_LOCKED,
    INVOICE_VOIDED,
    PAYMENT_APPLIED,
    PAYMENT_COLLECTED,
    PAYMENT_REFUNDED,
    PAYMENT_REVERSED,
    OpusEvent,
    publish,
)

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


def unlock_invoice(session: Session, invoice: Invoice) -> None:
    """Unlock a locked invoice for an edit; locking it again (`lock_invoice`) owes the sync its event."""
    if invoice.status != InvoiceStatus.LOCKED:
        raise ValueError(f"invoice {invoice.number} is {invoice.status.value}; only a locked invoice can be unlocked")
    invoice.status, invoice.locked_at = InvoiceStatus.DRAFT, None


def void_invoice(session: Session, invoice: Invoice, at: datetime | None = None) -> OutboxEvent:
    """Void a draft or locked invoice and owe the sync its event, in the caller's transaction."""
    if invoice.status == InvoiceStatus.VOID:
        raise ValueError(f"invoice {invoice.number} is already void")
    session.flush()
    invoice.status, invoice.voided_at = InvoiceStatus.VOID, at or _now()
    return _record(session, INVOICE_VOIDED, invoice.company_id, invoice.id, invoice.voided_at)


def issue_credit_note(session: Session, note: CreditNote, at: datetime | None = None) -> OutboxEvent:
    """Issue a draft credit note and owe the sync its event, in the caller's transaction."""
    session.flush()  # a new credit note needs its id (and its default status) first
    if note.status != CreditNoteStatus.DRAFT:
        raise ValueError(f"credit note {note.number} is {note.status.value}; only a draft can be issued")
    note.status, note.issued_at = CreditNoteStatus.ISSUED, at or _now()
    return _record(session, CREDIT_NOTE_ISSUED, note.company_id, note.id, note.issued_at)


CUSTOMER_FIELDS = frozenset(CUSTOMER_DETAILS)
"""What an edit of a customer may change."""


def update_customer(
    session: Session, customer: Customer, at: datetime | None = None, **changes: str | None
) -> OutboxEvent | None:
    """Apply `changes` to a customer and owe the sync its event, in the caller's transaction; None (and no
    event) when nothing actually changes."""
    unknown = sorted(set(changes) - CUSTOMER_FIELDS)
    if unknown:
        raise ValueError(f"a customer has no editable field {', '.join(unknown)}")
    changed = {name: value for name, value in changes.items() if getattr(customer, name) != value}
    if not changed:
        return None
    session.flush()
    for name, value in changed.items():
        setattr(customer, name, value)
    return _record(session, CUSTOMER_UPDATED, customer.company_id, customer.id, at or _now())


def collect_payment(session: Session, payment: Payment, at: datetime | None = None) -> OutboxEvent:
    """Mark a pending payment collected and owe the sync its event, in the caller's transaction."""
    if payment.status != PaymentStatus.PENDING:
        raise ValueError(f"payment {payment.id} is {payment.status.value}; only a pending payment can be collected")
    session.flush()
    payment.status, payment.collected_at = PaymentStatus.COLLECTED, at or _now()
    return _record(session, PAYMENT_COLLECTED, payment.company_id, payment.id, payment.collected_at)


def reverse_payment(
    session: Session, payment: Payment, status: PaymentStatus, reason: str, at: datetime | None = None
) -> OutboxEvent:
    """A collected payment failed (a bounced check) or was charged back: record it and owe the sync its event, in
    the caller's transaction. The payment's money is gone again and its invoice open again."""
    if status not in REVERSED_STATUSES:
        raise ValueError(f"a payment is reversed as failed or charged back, not {status.value}")
    if payment.status != PaymentStatus.COLLECTED:
        raise ValueError(f"payment {payment.id} is {payment.status.value}; only a collected payment can be reversed")
    if status is PaymentStatus.CHARGED_BACK and payment.method is not PaymentMethod.CARD:
        raise ValueError(f"payment {payment.id} was paid by {payment.method.value}; only a card payment charges back")
    session.flush()
    payment.status, payment.reversed_at, payment.reversal_reason = status, at or _now(), reason
    return _record(session, PAYMENT_REVERSED, payment.company_id, payment.id, payment.reversed_at)


def apply_deposit(session: Session, payment: Payment, invoice: Invoice, at: datetime | None = None) -> OutboxEvent:
    """Apply a collected deposit (a payment taken before its invoice existed) to a locked invoice of its customer and
    owe the sync its event, in the caller's transaction; setting its invoice takes a change number (see `models`).
    Whatever the deposit brings beyond the invoice's open balance stays the customer's credit."""
    if payment.status != PaymentStatus.COLLECTED or payment.invoice_id is not None:
        raise ValueError(f"payment {payment.id} is not a collected deposit waiting for its invoice")
    if invoice.status != InvoiceStatus.LOCKED:
        raise ValueError(
            f"invoice {invoice.number} is {invoice.status.value}; a deposit is applied to a locked invoice"
        )
    if payment.customer_id is not None and payment.customer_id != invoice.customer_id:
        raise ValueError(f"invoice {invoice.number} is not for the customer who paid deposit {payment.id}")
    session.flush()
    payment.invoice_id, payment.applied_at = invoice.id, at or _now()
    return _record(session, PAYMENT_APPLIED, payment.company_id, payment.id, payment.applied_at)


def refund_payment(
    session: Session, payment: Payment, amount: Decimal, reason: str, on: date, at: datetime | None = None
) -> tuple[Refund, OutboxEvent]:
    """Pay back `amount` (tax included) of a collected payment and owe the sync its event (about the payment), in
    the caller's transaction. Refunds of a payment never total more than it; the payment stays collected."""
    if payment.status != PaymentStatus.COLLECTED:
        raise ValueError(f"payment {payment.id} is {payment.status.value}; only a collected payment can be refunded")
    session.flush()
    refunded = sum(session.scalars(select(Refund.amount).where(Refund.payment_id == payment.id)), Decimal(0))
    if amount <= 0 or refunded + amount > payment.amount:
        raise ValueError(f"payment {payment.id} has {payment.amount - refunded} left to refund, not {amount}")
    refund = Refund(company_id=payment.company_id, payment_id=payment.id, amount=amount, refunded_on=on, reason=reason)
    session.add(refund)
    session.flush()
    return refund, _record(session, PAYMENT_REFUNDED, payment.company_id, payment.id, at or _now())


def ensure_outbox(engine: Engine) -> None:
    """Create the outbox table in a Service Opus database made before it existed."""
    OutboxEvent.__table__.create(engine, checkfirst=True)  # type: ignore[attr-defined]


def _opus_event(row: OutboxEvent) -> OpusEvent:
    return OpusEvent(row.event, row.company_id, row.entity_id, uuid.UUID(row.event_id), row.occurred_at)


def unsent(engine: Engine, limit: int = 500) -> list[OpusEvent]:
    with Session(engine) as session:
        rows = session.scalars(
            select(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).order_by(OutboxEvent.id).limit(limit)
        )
        return [_opus_event(r) for r in rows]


def sent_since(engine: Engine, since: datetime) -> list[OpusEvent]:
    """The events already sent that occurred from `since` (aware) on, oldest first: what the Prefect server has
    received, whether or not a subscriber saw it (the live process catches up on them)."""
    naive = since.astimezone(UTC).replace(tzinfo=None)
    with Session(engine) as session:
        rows = session.scalars(
            select(OutboxEvent)
            .where(OutboxEvent.sent_at.is_not(None), OutboxEvent.occurred_at >= naive)
            .order_by(OutboxEvent.id)
        )
        return [_opus_event(r) for r in rows]


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
