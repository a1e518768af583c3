"""A clock that can run faster than real time, so token lifetimes and rate windows pass in tests."""

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta


@dataclass
class ScaledClock:
    """`scale` sandbox seconds pass per real second; `advance` jumps ahead (tests only)."""

    scale: float = 1.0
    _origin_real: float = field(default_factory=time.monotonic)
    _origin_wall: float = field(default_factory=time.time)
    _offset: float = 0.0

    def seconds(self) -> float:
        """Sandbox time in epoch seconds."""
        return self._origin_wall + (time.monotonic() - self._origin_real) * self.scale + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds(), UTC)

    def advance(self, delta: timedelta) -> None:
        self._offset += delta.total_seconds()

    def real_seconds(self, sandbox_seconds: float) -> float:
        """How long a sandbox duration lasts in real time (for Retry-After values)."""
        return sandbox_seconds / self.scale
