"""Client-side pacing under a vendor's published request limits, so a long sync rarely meets a throttle.

A call is counted from the moment its answer came back: the server saw it no later than that, so
spacing the next call from there keeps every server-side sliding window within its limit whatever the
network delay.
"""

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimit:
    calls: int
    seconds: float


class Pacer:
    """Waits before a call that would exceed `limit` in its window; one pacer per limit and client."""

    def __init__(self, limit: RateLimit, monotonic: Callable[[], float], sleep: Callable[[float], None]) -> None:
        if limit.calls < 1 or limit.seconds <= 0:
            raise ValueError(f"a rate limit needs at least one call in a positive window, not {limit}")
        self._limit = limit
        self._monotonic = monotonic
        self._sleep = sleep
        self._done: deque[float] = deque()

    def wait_turn(self) -> None:
        """Sleep until one more call fits in the window. The clock is read once: read twice, time passing between
        the reads could make the wait negative (a ValueError from `time.sleep`)."""
        now = self._monotonic()
        self._forget_before(now - self._limit.seconds)
        if len(self._done) >= self._limit.calls:
            self._sleep(self._done[0] + self._limit.seconds - now)
            self._done.popleft()

    def done(self) -> None:
        """A call's answer (or failure) came back now."""
        self._done.append(self._monotonic())

    def _forget_before(self, start: float) -> None:
        while self._done and self._done[0] <= start:
            self._done.popleft()
