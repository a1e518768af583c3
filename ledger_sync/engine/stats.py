"""The run summary's counters, per entity type."""

from dataclasses import dataclass, field
from enum import StrEnum

from ledger_sync.core.records import EntityType


class Tally(StrEnum):
    """What happened to a record in a run (in the order the summary shows them)."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    RECOVERED = "recovered"
    """Found in the ledger after an earlier attempt whose outcome was unknown."""
    PARKED = "parked"
    SKIPPED = "skipped"
    """No longer needs syncing (e.g. an invoice voided since it was parked)."""
    UNKNOWN = "unknown"
    """Sent, but the outcome is unknown: stays pending and is resolved next run."""
    WOULD_WRITE = "would_write"
    """Dry runs only: writes a real run would have made."""


@dataclass
class RunStats:
    counts: dict[Tally, dict[EntityType, int]] = field(default_factory=dict)

    def add(self, tally: Tally, entity_type: EntityType, n: int = 1) -> None:
        if n:
            bucket = self.counts.setdefault(tally, {})
            bucket[entity_type] = bucket.get(entity_type, 0) + n

    def count(self, tally: Tally, entity_type: EntityType) -> int:
        return self.counts.get(tally, {}).get(entity_type, 0)

    @property
    def pending(self) -> bool:
        """Some write's outcome is still unknown."""
        return bool(self.counts.get(Tally.UNKNOWN))

    def by_entity(self) -> dict[str, dict[str, int]]:
        """Every counter of every entity type, for the run summary."""
        return {t.value: {tally.value: self.count(tally, t) for tally in Tally} for t in EntityType}
