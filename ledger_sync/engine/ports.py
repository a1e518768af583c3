"""What the engine needs from the state store and from the ledger, and nothing more."""

from collections.abc import Iterable, Sequence
from typing import Protocol

from ledger_sync.core.ledger import InvoiceNumbers, LedgerRef, LedgerSnapshot, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType, InvoiceRecord, LedgerRecord
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, Synced


class ConnectionState(Protocol):
    """The sync state of one connection (entity map, parked records, write intents, checkpoints)."""

    def mapped(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        """Ledger counterparts of these records, as last pushed."""
        ...

    def parked(self, entity_type: EntityType) -> dict[int, Parking]:
        """Every parked record of the type."""
        ...

    def intents(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        """Creates sent earlier whose outcome was never learned."""
        ...

    def sent_before(self, entity_type: EntityType, source_ids: Iterable[int]) -> set[int]:
        """Those of these records whose create was sent and refused, or that the ledger lost after it held them: it
        may hold some of their steps."""
        ...

    def add_intents(self, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        """Record creates about to be sent; committed before they go out."""
        ...

    def record_batch(
        self,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced],
        parked: Sequence[Parking],
        checkpoint: Cursor | None,
        refused: Sequence[Parking] = (),
    ) -> None:
        """Commit one batch's results together: synced records, parkings, cleared intents, the checkpoint. `parked`:
        decided before anything was sent, so an earlier send's unknown outcome stays in doubt (its intent is kept,
        to be looked up when the record is written again); `refused`: parked because the ledger refused the write
        just now (its intent is settled, and it is sent before)."""
        ...

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        """Forget parkings of records that no longer need syncing."""
        ...

    def forget_intents(self, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        """Forget creates the ledger was found not to hold, which will not be sent again (voided since)."""
        ...


class LedgerWriter(Protocol):
    """The writing half of the ledger protocol (`core.ledger.LedgerConnector`)."""

    @property
    def max_batch_size(self) -> int: ...

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]: ...

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]: ...

    def read_back(
        self, entity_type: EntityType, records: Sequence[LedgerRecord]
    ) -> dict[int, list[LedgerSnapshot]]: ...
    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]: ...

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None: ...

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef: ...
