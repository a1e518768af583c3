"""What one run covers. By default: everything new since the checkpoints, all types, for real.

A backfill names a date range instead: it re-reads that range whatever the checkpoints say (never
moving them), and the entity map makes re-running a range write nothing new. A dry run writes
nothing at all, neither to the ledger nor to the state store.
"""

from dataclasses import dataclass
from datetime import date

from ledger_sync.core.records import EntityType

SYNCED_TYPES = frozenset({EntityType.INVOICE, EntityType.PAYMENT})
"""What a run is asked for; customers and items follow the invoices that need them."""


@dataclass(frozen=True)
class SyncScope:
    since: date | None = None
    """First invoice issue date / payment collection date included (backfills)."""
    until: date | None = None
    """Last date included."""
    entity_types: frozenset[EntityType] = SYNCED_TYPES
    dry_run: bool = False

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the range starts ({self.since}) after it ends ({self.until})")
        if not self.entity_types <= SYNCED_TYPES:
            raise ValueError("a run covers invoices and/or payments")

    @property
    def ranged(self) -> bool:
        return self.since is not None or self.until is not None

    def covers(self, entity_type: EntityType) -> bool:
        return entity_type in self.entity_types
