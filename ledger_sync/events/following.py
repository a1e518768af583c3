"""Following Service Opus's events on the Prefect server without losing one to a gap in the subscription.

The server subscribes a websocket to its live stream first, then replays the matching events its database holds;
but it stores an event only seconds after receiving it (it persists events in batches). An event the server
receives while a subscription is being made (right after a server restart, when the relay sends what waited in
the outbox) is in neither the stream nor the replay. So the subscription never reconnects by itself: each time
the follower subscribes, it also reads the outbox (Service Opus's database, the source of truth) a few seconds
later, and hands on the sent events it has not seen. Each event is handed on once, whichever way it came.
"""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import SQLAlchemyError

from ledger_sync.events.emitter import OpusEvent, subscription

log = logging.getLogger(__name__)

Subscribe = Callable[[datetime], AbstractAsyncContextManager[AsyncIterator[OpusEvent]]]
"""Subscribes to the events that occurred from a moment on (`emitter.subscription`)."""

RESUBSCRIBE_SECONDS = 2.0
"""Pause before subscribing again after the Prefect server went away."""
CATCH_UP_AFTER_SECONDS = (3.0, 15.0)
"""When, after each subscription is made, the outbox is read: by then the server has subscribed to its stream and
the relay has marked sent what the server received before (the later read is for a loaded machine)."""
REPLAY_MARGIN = timedelta(minutes=1)
"""How far before the latest event seen a new subscription and its catch-up reach back: the relay sends events in
about, not exactly, the order they occurred. An event the live process has already handed on is not again."""
PRUNE_FROM = 10_000
"""Event ids remembered before those too old to come again are forgotten."""


class Follower:
    def __init__(
        self,
        read_sent: Callable[[datetime], Sequence[OpusEvent]],
        seen: Callable[[OpusEvent], None],
        subscribe: Subscribe = subscription,
        catch_up_after: Sequence[float] = CATCH_UP_AFTER_SECONDS,
    ) -> None:
        """`read_sent(since)`: the outbox's sent events that occurred from `since` on (`outbox.sent_since`);
        `seen(event)`: called once per event."""
        self._read_sent = read_sent
        self._seen = seen
        self._subscribe = subscribe
        self._catch_up_after = sorted(catch_up_after)
        self._latest = datetime.now(UTC)
        """The latest moment an event seen occurred (at first, when following began)."""
        self._handed: dict[UUID, datetime] = {}
        self._prune_at = PRUNE_FROM
        self._replaying_from: datetime | None = None
        """While a subscription's replay and catch-up may still bring events from its reach on, that reach."""

    def follow_until(self, stop: threading.Event) -> None:
        """Follow the events until `stop`, subscribing again while the server is away."""
        while not stop.is_set():
            try:
                asyncio.run(self._follow_while(stop))
            except Exception as exc:  # noqa: BLE001 - outliving outages is this thread's job; the hourly sync catches up
                log.warning("live sync: Prefect events unreachable, following again (%s: %s)", type(exc).__name__, exc)
            stop.wait(RESUBSCRIBE_SECONDS)

    async def _follow_while(self, stop: threading.Event) -> None:
        following = asyncio.ensure_future(self._follow_once())
        while not following.done() and not stop.is_set():
            await asyncio.wait({following}, timeout=0.2)
        following.cancel()
        if following.done() and not following.cancelled():
            following.result()  # the subscription's error, if it ended on one

    async def _follow_once(self) -> None:
        """One subscription, and its catch-up from the outbox, until the subscription ends."""
        reach = self._replaying_from = self._latest - REPLAY_MARGIN
        async with self._subscribe(reach) as events:
            catching_up = asyncio.ensure_future(self._catch_up(reach))
            try:
                async for event in events:
                    self._hand_on(event)
            finally:
                catching_up.cancel()
            if catching_up.done() and not catching_up.cancelled():
                catching_up.result()

    async def _catch_up(self, reach: datetime) -> None:
        waited = 0.0
        for after in self._catch_up_after:
            await asyncio.sleep(after - waited)
            waited = after
            try:
                sent = await asyncio.to_thread(self._read_sent, reach)
            except SQLAlchemyError as exc:
                log.warning("live sync: outbox unreadable, not caught up (%s: %s)", type(exc).__name__, exc)
                continue
            missed = sum(self._hand_on(event) for event in sent)
            if missed:
                log.info("live sync: caught up on %d event(s) from the outbox the subscription missed", missed)
        self._replaying_from = None

    def _hand_on(self, event: OpusEvent) -> bool:
        """Hand the event on unless it already was; True if it is new."""
        if event.event_id in self._handed:
            return False
        self._handed[event.event_id] = event.occurred
        self._latest = max(self._latest, event.occurred)
        if len(self._handed) >= self._prune_at:
            # nothing older comes again: the next subscription reaches back this far
            oldest = self._replaying_from or self._latest - REPLAY_MARGIN
            self._handed = {event_id: at for event_id, at in self._handed.items() if at >= oldest}
            self._prune_at = max(PRUNE_FROM, 2 * len(self._handed))
        self._seen(event)
        return True
