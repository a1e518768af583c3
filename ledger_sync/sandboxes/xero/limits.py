"""Xero's call limits: per tenant 60/minute, 5,000/day and 5 in flight; 10,000/minute per app.

Every answer carries the remaining counts; a refusal names the limit hit and when to retry (in real
seconds, so a client of a time-scaled sandbox waits the right wall-clock time).
"""

import math
import threading
from dataclasses import dataclass, field

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.ratelimit import ConcurrencyCap, SlidingWindowLimiter, Window
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

APP_KEY = "app"
_HEADERS = {"minute": "X-MinLimit-Remaining", "day": "X-DayLimit-Remaining", "appminute": "X-AppMinLimit-Remaining"}


@dataclass
class Admission:
    allowed: bool
    headers: dict[str, str] = field(default_factory=dict)


class Limits:
    def __init__(self, clock: ScaledClock, config: XeroSandboxConfig) -> None:
        self._clock = clock
        self._tenant = SlidingWindowLimiter(
            clock, [Window("minute", config.per_minute, 60), Window("day", config.per_day, 86400)]
        )
        self._app = SlidingWindowLimiter(clock, [Window("appminute", config.app_per_minute, 60)])
        self.concurrency = ConcurrencyCap(config.concurrent)
        self._full = {"minute": config.per_minute, "day": config.per_day, "appminute": config.app_per_minute}
        self._last: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    def _remaining_headers(self, tenant: str) -> dict[str, str]:
        with self._lock:
            return {
                header: str(self._last.get((APP_KEY if name == "appminute" else tenant, name), self._full[name]))
                for name, header in _HEADERS.items()
            }

    def _note(self, key: str, remaining: tuple[tuple[str, int], ...]) -> None:
        with self._lock:
            for name, left in remaining:
                self._last[(key, name)] = left

    def _refusal(self, tenant: str, problem: str, retry_after: float) -> Admission:
        headers = self._remaining_headers(tenant)
        if problem in _HEADERS:
            headers[_HEADERS[problem]] = "0"
        wait = max(1, math.ceil(self._clock.real_seconds(retry_after)))
        return Admission(False, {**headers, "Retry-After": str(wait), "X-Rate-Limit-Problem": problem})

    def admit(self, tenant: str) -> Admission:
        """Count one call; when allowed, the caller must `release(tenant)` once it has answered."""
        if not self.concurrency.enter(tenant):
            return self._refusal(tenant, "concurrent", 1.0)
        for key, limiter in ((tenant, self._tenant), (APP_KEY, self._app)):
            verdict = limiter.hit(key)
            self._note(key, verdict.remaining)
            if not verdict.allowed:
                self.concurrency.leave(tenant)
                return self._refusal(tenant, verdict.exceeded or "minute", verdict.retry_after)
        return Admission(True, self._remaining_headers(tenant))

    def release(self, tenant: str) -> None:
        self.concurrency.leave(tenant)
