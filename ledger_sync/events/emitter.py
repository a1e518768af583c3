"""The Prefect events Service Opus sends, and the two ways to send them.

`emit` is fire-and-forget for callers that can afford to lose an event while the Prefect server is
down (the hourly sync catches up). `publish` confirms delivery or raises, for the outbox relay.
Each event's resource is the record it is about (`service-opus.<kind>.<id>`); the label
`service-opus.company-id` carries the company, which the live-sync deployment trigger passes to the flow.
Each event also says which entity type's sync it calls for, and so which Automatic Sync toggle governs it:
a void, a credit note and a customer edit all change the books an invoice sync keeps (Automatic Invoice
Sync), a collection the payments (Automatic Payment Sync).
"""

import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from prefect.events import Event, emit_event
from prefect.events.clients import PrefectEventSubscriber, get_events_client, get_events_subscriber
from prefect.events.filters import EventFilter, EventNameFilter

from ledger_sync.core.records import EntityType

INVOICE_LOCKED = "service-opus.invoice.locked"
INVOICE_VOIDED = "service-opus.invoice.voided"
CREDIT_NOTE_ISSUED = "service-opus.credit-note.issued"
CUSTOMER_UPDATED = "service-opus.customer.updated"
PAYMENT_COLLECTED = "service-opus.payment.collected"
PAYMENT_REVERSED = "service-opus.payment.reversed"
PAYMENT_REFUNDED = "service-opus.payment.refunded"
PAYMENT_APPLIED = "service-opus.payment.applied"
COMPANY_LABEL = "service-opus.company-id"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventKind:
    resource: str
    """The kind of record the event is about, in its resource id."""
    syncs: EntityType
    """The entity type whose sync the event calls for (and whose toggle must be on)."""


EVENT_KINDS = {
    INVOICE_LOCKED: EventKind("invoice", EntityType.INVOICE),
    INVOICE_VOIDED: EventKind("invoice", EntityType.INVOICE),
    CREDIT_NOTE_ISSUED: EventKind("credit-note", EntityType.INVOICE),
    CUSTOMER_UPDATED: EventKind("customer", EntityType.INVOICE),
    PAYMENT_COLLECTED: EventKind("payment", EntityType.PAYMENT),
    PAYMENT_REVERSED: EventKind("payment", EntityType.PAYMENT),
    PAYMENT_REFUNDED: EventKind("payment", EntityType.PAYMENT),
    PAYMENT_APPLIED: EventKind("payment", EntityType.PAYMENT),
}


@dataclass(frozen=True)
class OpusEvent:
    event: str
    company_id: int
    entity_id: int
    event_id: UUID
    occurred_at: datetime
    """UTC; naive values are taken as UTC (Service Opus stores naive UTC)."""

    def __post_init__(self) -> None:
        if self.event not in EVENT_KINDS:
            raise ValueError(f"unknown Service Opus event {self.event!r}; expected one of {', '.join(EVENT_KINDS)}")

    @property
    def occurred(self) -> datetime:
        """`occurred_at`, aware."""
        return self.occurred_at if self.occurred_at.tzinfo else self.occurred_at.replace(tzinfo=UTC)

    def fields(self) -> dict[str, Any]:
        """The Prefect event's fields, as `Event(...)` and `emit_event(...)` take them."""
        kind = EVENT_KINDS[self.event].resource
        return {
            "id": self.event_id,
            "occurred": self.occurred,
            "event": self.event,
            "resource": {
                "prefect.resource.id": f"service-opus.{kind}.{self.entity_id}",
                COMPANY_LABEL: str(self.company_id),
            },
            "related": [
                {"prefect.resource.id": f"service-opus.company.{self.company_id}", "prefect.resource.role": "company"}
            ],
        }


def emit(event: OpusEvent) -> None:
    """Send in the background; lost if the server is unreachable (the hourly sync still finds the record)."""
    emit_event(**event.fields())


async def publish(events: Sequence[OpusEvent], sent: Callable[[OpusEvent], None]) -> None:
    """Send each event and call `sent` once the server has it; raises when the server is unreachable."""
    async with get_events_client(reconnection_attempts=1, checkpoint_every=1) as client:
        for event in events:
            await client.emit(Event(**event.fields()))
            sent(event)


@asynccontextmanager
async def subscription(since: datetime) -> AsyncIterator[AsyncIterator[OpusEvent]]:
    """Subscribe to the Service Opus events the server receives that occurred from `since` on (an event relayed
    late, after an outage, still counts); the server first replays those it has stored. The subscription does not
    reconnect by itself: when the server goes away, iterating raises or ends, and the caller subscribes again
    (`following`, which also catches up on what the server could not replay). The server replays at most its
    websocket backfill window (PREFECT_EVENTS_MAXIMUM_WEBSOCKET_BACKFILL, 15 minutes)."""
    subscriber = get_events_subscriber(
        filter=EventFilter(event=EventNameFilter(name=list(EVENT_KINDS))), reconnection_attempts=0
    )
    # The subscriber asks for the events since a minute before it connects; from `since` on instead, an event that
    # occurred before this subscription (a lock relayed after an outage) is not filtered out. Prefect 3.8 keeps
    # that moment here.
    subscriber._backfill_since = since  # type: ignore[assignment]  # a plain aware datetime compares the same
    async with subscriber:
        log.info("following Service Opus events on the Prefect server")
        yield _opus_events(subscriber)


async def _opus_events(subscriber: PrefectEventSubscriber) -> AsyncIterator[OpusEvent]:
    async for event in subscriber:
        company, entity = event.resource.get(COMPANY_LABEL), event.resource.id.rsplit(".", 1)[-1]
        if company is not None and company.isdigit() and entity.isdigit():
            yield OpusEvent(event.event, int(company), int(entity), event.id, event.occurred)
