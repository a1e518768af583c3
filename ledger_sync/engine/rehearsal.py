"""A dry run's pretend ledger: what the run would write, held as if written, so the counts are true.

Without it a dry run counts a customer once per page that names it, and counts no invoice or payment at all
(each waits for a customer or invoice that a dry run never writes). With it each record is counted once (on a
later page it is unchanged) and what depends on it is counted too. Nothing here reaches the state store.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger_sync.core.ledger import WriteOp
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, Synced
from ledger_sync.engine.ports import ConnectionState

PRETEND_LEDGER_ID = "dry-run"
"""The ledger id a record the dry run would write stands under (only ever read by the dry run itself)."""


class Rehearsal:
    """The records one dry run would write, by type and source id (share one per run). Deliberately not a
    dataclass: Prefect walks a task's dataclass arguments (the job holds this), and this grows with the run."""

    def __init__(self) -> None:
        self.written: dict[EntityType, dict[int, MappedEntity]] = {}

    def would_write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> None:
        bucket = self.written.setdefault(entity_type, {})
        for op in ops:
            ledger_id = op.existing.id if op.existing else PRETEND_LEDGER_ID
            bucket[op.record.source_id] = MappedEntity(ledger_id, None, op.record.content_hash)

    def over(self, state: ConnectionState) -> "RehearsedState":
        return RehearsedState(state, self)


@dataclass
class RehearsedState:
    """A connection's state as the dry run sees it: the stored one, with the would-be writes mapped."""

    stored: ConnectionState
    rehearsal: Rehearsal

    def mapped(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        ids = list(source_ids)
        found = self.stored.mapped(entity_type, ids)
        pretend = self.rehearsal.written.get(entity_type, {})
        found.update((source_id, pretend[source_id]) for source_id in ids if source_id in pretend)
        return found

    def parked(self, entity_type: EntityType) -> dict[int, Parking]:
        return self.stored.parked(entity_type)

    def intents(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        return self.stored.intents(entity_type, source_ids)

    def add_intents(self, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        raise AssertionError("a dry run records no intent")

    def record_batch(
        self,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced],
        parked: Sequence[Parking],
        checkpoint: Cursor | None,
    ) -> None:
        raise AssertionError("a dry run records no batch")

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        raise AssertionError("a dry run releases no parking")

    def forget_intents(self, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        raise AssertionError("a dry run forgets no intent")
