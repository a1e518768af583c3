"""The live process loses no event to a gap in its Prefect subscription: it catches up from the outbox after each
subscription, hands each event on once, and subscribes again from the latest event it saw."""

import asyncio
import threading
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, OutboxEvent
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.events.emitter import INVOICE_LOCKED, OpusEvent
from ledger_sync.events.following import REPLAY_MARGIN, Follower
from ledger_sync.events.outbox import lock_invoice, sent_since
from ledger_sync.state.db import make_engine


def _event(entity_id: int, seconds_ago: float = 0.0) -> OpusEvent:
    """An event that occurred `seconds_ago` (the follower reaches back a minute from when it began)."""
    return OpusEvent(INVOICE_LOCKED, 1, entity_id, uuid.uuid4(), datetime.now(UTC) - timedelta(seconds=seconds_ago))


class _Server:
    """Subscriptions that each replay their events, then either end (the server went away) or stay open."""

    def __init__(self, *subscriptions: Sequence[OpusEvent], drop: bool) -> None:
        self.subscriptions = list(subscriptions)
        self.drop = drop
        self.reaches: list[datetime] = []

    @asynccontextmanager
    async def subscribe(self, since: datetime) -> AsyncIterator[AsyncIterator[OpusEvent]]:
        self.reaches.append(since)
        yield self._events(self.subscriptions.pop(0) if self.subscriptions else [])

    async def _events(self, events: Sequence[OpusEvent]) -> AsyncIterator[OpusEvent]:
        for event in events:
            yield event
        if not self.drop or not self.subscriptions:
            await asyncio.Event().wait()  # open until cancelled
        raise ConnectionError("the Prefect server went away")


def _follow(server: _Server, outbox: Sequence[OpusEvent], expected: int) -> list[OpusEvent]:
    """Follow until `expected` events were handed on; those events."""
    handed: list[OpusEvent] = []
    stop = threading.Event()

    def seen(event: OpusEvent) -> None:
        handed.append(event)
        if len(handed) == expected:
            stop.set()

    follower = Follower(lambda since: [e for e in outbox if e.occurred >= since], seen, server.subscribe, (0.0,))
    thread = threading.Thread(target=follower.follow_until, args=(stop,))
    thread.start()
    thread.join(timeout=120)
    stop.set()
    thread.join()
    return handed


def test_an_event_the_subscription_missed_is_caught_up_from_the_outbox_once() -> None:
    followed, missed = _event(1), _event(2)
    server = _Server([followed], drop=False)
    handed = _follow(server, [followed, missed], expected=2)
    assert sorted(e.entity_id for e in handed) == [1, 2]


def test_after_a_drop_it_subscribes_again_from_the_latest_event_and_hands_on_no_replay_twice() -> None:
    # `first` occurred after the follower began (a clock ahead of this one): the next subscription reaches back from it
    first, missed, later = _event(1, seconds_ago=-30), _event(2, seconds_ago=10), _event(3, seconds_ago=-40)
    server = _Server([first], [first, later], drop=True)
    handed = _follow(server, [first, missed], expected=3)
    assert sorted(e.entity_id for e in handed) == [1, 2, 3]
    assert server.reaches[1] == first.occurred - REPLAY_MARGIN


def test_sent_since_reads_the_sent_events_that_occurred_from_then_on(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'service_opus.db'}")
    seed(engine, invoices=40, seed=3)
    now = datetime.now(UTC)
    naive_now = now.replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        drafts = session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.DRAFT).order_by(Invoice.id).limit(3)
        ).all()
        long_ago = lock_invoice(session, drafts[0], at=naive_now - timedelta(hours=1))
        recent = lock_invoice(session, drafts[1], at=naive_now)
        lock_invoice(session, drafts[2], at=naive_now)  # not sent yet: the relay's, not the catch-up's
        sent = [long_ago.event_id, recent.event_id]
        recent_id = recent.event_id
    with Session(engine) as session, session.begin():
        session.execute(update(OutboxEvent).where(OutboxEvent.event_id.in_(sent)).values(sent_at=naive_now))
    assert [str(e.event_id) for e in sent_since(engine, now - timedelta(minutes=1))] == [recent_id]
    engine.dispose()
