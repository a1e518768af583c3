"""Service Opus's events of one company, gathered for a short moment so a burst costs one sync, not one each.

A live sync is incremental: one run syncs everything of its entity types that changed, whichever event
called for it. So a company's events are held until it has been quiet for `quiet_seconds` (or its first event
has waited `max_wait_seconds`), then handed out together; while a company's sync runs, its new events wait for
the next batch (that run may already have missed them). Pure: the caller brings the clock.
"""

from dataclasses import dataclass, field


@dataclass
class _Pending:
    first_at: float
    last_at: float
    events: set[str] = field(default_factory=set)
    count: int = 0


@dataclass(frozen=True)
class Batch:
    """What one live sync of a company covers."""

    company_id: int
    events: frozenset[str]
    """The distinct event names."""
    count: int
    """How many events it stands for."""


class Coalescer:
    def __init__(self, quiet_seconds: float, max_wait_seconds: float) -> None:
        if quiet_seconds < 0 or max_wait_seconds < quiet_seconds:
            raise ValueError("the quiet moment must be at least 0 and at most the longest wait")
        self.quiet_seconds = quiet_seconds
        self.max_wait_seconds = max_wait_seconds
        self._pending: dict[int, _Pending] = {}
        self._running: set[int] = set()

    def add(self, company_id: int, event: str, now: float) -> None:
        pending = self._pending.setdefault(company_id, _Pending(first_at=now, last_at=now))
        pending.last_at = now
        pending.events.add(event)
        pending.count += 1

    def due(self, now: float) -> list[Batch]:
        """The batches to sync now (their companies are then running until `finished`)."""
        ready = [
            company_id
            for company_id, pending in self._pending.items()
            if company_id not in self._running
            and (now - pending.last_at >= self.quiet_seconds or now - pending.first_at >= self.max_wait_seconds)
        ]
        batches = []
        for company_id in ready:
            pending = self._pending.pop(company_id)
            self._running.add(company_id)
            batches.append(Batch(company_id, frozenset(pending.events), pending.count))
        return batches

    def finished(self, company_id: int) -> None:
        """The company's sync ended: its waiting events may go."""
        self._running.discard(company_id)

    def next_due_in(self, now: float) -> float | None:
        """Seconds until a waiting batch may be due; None when nothing waits (or all wait on a running sync)."""
        waits = [
            min(pending.last_at + self.quiet_seconds, pending.first_at + self.max_wait_seconds) - now
            for company_id, pending in self._pending.items()
            if company_id not in self._running
        ]
        return max(0.0, min(waits)) if waits else None

    @property
    def idle(self) -> bool:
        return not self._pending and not self._running
