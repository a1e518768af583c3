"""Sliding-window request limits and concurrency caps, as the ledgers enforce per tenant."""

import threading
from collections import defaultdict, deque
from dataclasses import dataclass

from ledger_sync.sandboxes.clock import ScaledClock


@dataclass(frozen=True)
class Window:
    name: str
    """What the vendor calls this limit in its responses (e.g. Xero's `minute`, `day`)."""
    limit: int
    seconds: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    exceeded: str | None = None
    retry_after: float = 0.0
    remaining: tuple[tuple[str, int], ...] = ()


class SlidingWindowLimiter:
    """Counts requests per key in several windows at once; a refused request is not counted."""

    def __init__(self, clock: ScaledClock, windows: list[Window]) -> None:
        self._clock = clock
        self._windows = windows
        self._hits: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def hit(self, key: str) -> Verdict:
        now = self._clock.seconds()
        with self._lock:
            remaining: list[tuple[str, int]] = []
            for window in self._windows:
                hits = self._hits[(key, window.name)]
                while hits and hits[0] <= now - window.seconds:
                    hits.popleft()
                if len(hits) >= window.limit:
                    retry = hits[0] + window.seconds - now
                    return Verdict(False, window.name, max(retry, 0.0), tuple(remaining))
                remaining.append((window.name, window.limit - len(hits) - 1))
            for window in self._windows:
                self._hits[(key, window.name)].append(now)
            return Verdict(True, remaining=tuple(remaining))


class ConcurrencyCap:
    """At most `limit` requests in flight per key; `enter` says no instead of waiting."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._in_flight: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()

    def enter(self, key: str) -> bool:
        with self._lock:
            if self._in_flight[key] >= self._limit:
                return False
            self._in_flight[key] += 1
            return True

    def leave(self, key: str) -> None:
        with self._lock:
            self._in_flight[key] -= 1
