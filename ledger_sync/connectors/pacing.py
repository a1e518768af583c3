"""Client-side pacing under a vendor's published request limits, so a long sync rarely meets a throttle.

A call is counted from the moment its answer came back: the server saw it no later than that, so
spacing the next call from there keeps every server-side sliding window within its limit whatever the
network delay.

A vendor counts a company's calls whoever makes them, so every client of one company in a process shares its pacers
(`shared_pacer`): a run that opens a connector after another one closed (the settings page's chart read, the live
process's next lock) still counts the calls the first made in the window.
"""

import threading
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    calls: int
    seconds: float


class Pacer:
    """Waits before a call that would exceed `limit` in its window; safe to share between threads."""

    def __init__(self, limit: RateLimit, monotonic: Callable[[], float], sleep: Callable[[float], None]) -> None:
        if limit.calls < 1 or limit.seconds <= 0:
            raise ValueError(f"a rate limit needs at least one call in a positive window, not {limit}")
        self._limit = limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._done: deque[float] = deque()
        self._lock = threading.Lock()

    def wait_turn(self) -> None:
        """Sleep until one more call fits in the window. The clock is read once: read twice, time passing between
        the reads could make the wait negative (a ValueError from `time.sleep`). The oldest call is forgotten
        before the sleep, so two threads waiting at once wait for two different calls to leave the window."""
        with self._lock:
            now = self._monotonic()
            self._forget_before(now - self._limit.seconds)
            if len(self._done) < self._limit.calls:
                return
            wait = self._done.popleft() + self._limit.seconds - now
        self._sleep(wait)

    def done(self) -> None:
        """A call's answer (or failure) came back now."""
        with self._lock:
            self._done.append(self._monotonic())

    def _forget_before(self, start: float) -> None:
        while self._done and self._done[0] <= start:
            self._done.popleft()


_shared: dict[tuple[Hashable, ...], Pacer] = {}
_shared_lock = threading.Lock()


def shared_pacer(
    company: Hashable, limit: RateLimit, monotonic: Callable[[], float], sleep: Callable[[float], None]
) -> Pacer:
    """The process's one pacer of `limit` for `company` (say, an API base and a realm), on this clock: clients of
    the same company share it; a test's own clock gets its own. Kept for the process's life (a deque of at most
    `limit.calls` floats per company and limit)."""
    key = (company, limit, monotonic, sleep)
    with _shared_lock:
        return _shared.setdefault(key, Pacer(limit, monotonic, sleep))
