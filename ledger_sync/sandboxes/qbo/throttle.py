"""QBO's per-realm limits: requests per second and per minute, batch calls per minute, requests in flight.

All windows run on the sandbox's scaled clock. A refusal is QBO's 429 ThrottleExceeded Fault (code 3001),
without a Retry-After header, like the real API.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.ratelimit import ConcurrencyCap, SlidingWindowLimiter, Window


class Throttle:
    def __init__(self, config: QboSandboxConfig, clock: ScaledClock) -> None:
        self._requests = SlidingWindowLimiter(
            clock, [Window("second", config.per_second, 1), Window("minute", config.per_minute, 60)]
        )
        self._batches = SlidingWindowLimiter(clock, [Window("batch-minute", config.batch_per_minute, 60)])
        self._in_flight = ConcurrencyCap(config.concurrent)

    @contextmanager
    def admit(self, realm_id: str, *, batch: bool) -> Iterator[None]:
        """Hold a slot for one request for the duration of the block, or raise the throttle Fault."""
        if batch and not self._batches.hit(realm_id).allowed:
            raise faults.throttled()
        if not self._requests.hit(realm_id).allowed:
            raise faults.throttled()
        if not self._in_flight.enter(realm_id):
            raise faults.throttled()
        try:
            yield
        finally:
            self._in_flight.leave(realm_id)
