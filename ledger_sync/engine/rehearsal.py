"""A dry run's pretend ledger: what the run would write, held as if written, so the counts are true.

Without it a dry run counts a customer once per page that names it, and counts no invoice or payment at all
(each waits for a customer or invoice that a dry run never writes). With it each record is counted once (on a
later page it is unchanged) and what depends on it is counted too. Nothing here reaches the state store.

The would-be writes are kept on disk, in a private temporary SQLite database (deleted when it is closed): a dry run
of a million records must not hold a million entries in memory.
"""

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ledger_sync.core.ledger import WriteOp
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, Synced
from ledger_sync.engine.ports import ConnectionState

PRETEND_LEDGER_ID = "dry-run"
"""The ledger id a record the dry run would write stands under (only ever read by the dry run itself)."""


LOOKUP_CHUNK = 500
"""Source ids looked up per query (well below SQLite's limit on bound parameters)."""


class Rehearsal:
    """The records one dry run would write, by type and source id (share one per run), on disk. Deliberately not a
    dataclass: Prefect walks a task's dataclass arguments (the job holds this). Opened on the first would-be
    write, so a run that is not a dry run never creates it."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "": a private temporary database, on disk once it outgrows SQLite's page cache, deleted on close.
            # Prefect may run a run's tasks in different threads, one at a time.
            self._db = sqlite3.connect("", check_same_thread=False, isolation_level=None)
            self._db.execute(
                "CREATE TABLE written (entity_type TEXT, source_id INTEGER, ledger_id TEXT, content_hash TEXT,"
                " PRIMARY KEY (entity_type, source_id)) WITHOUT ROWID"
            )
        return self._db

    def would_write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> None:
        rows = [
            (
                entity_type.value,
                op.record.source_id,
                op.existing.id if op.existing else PRETEND_LEDGER_ID,
                op.record.content_hash,
            )
            for op in ops
        ]
        if rows:
            self._open().executemany("INSERT OR REPLACE INTO written VALUES (?, ?, ?, ?)", rows)

    def written(self, entity_type: EntityType, source_ids: Sequence[int]) -> dict[int, MappedEntity]:
        """The would-be writes among `source_ids`, as the entity map would hold them."""
        if self._db is None:
            return {}
        found: dict[int, MappedEntity] = {}
        for start in range(0, len(source_ids), LOOKUP_CHUNK):
            chunk = source_ids[start : start + LOOKUP_CHUNK]
            marks = ", ".join("?" * len(chunk))
            query = (
                "SELECT source_id, ledger_id, content_hash FROM written"
                f" WHERE entity_type = ? AND source_id IN ({marks})"
            )
            for source_id, ledger_id, content_hash in self._db.execute(query, (entity_type.value, *chunk)):
                found[source_id] = MappedEntity(ledger_id, None, content_hash)
        return found

    def close(self) -> None:
        """Delete the would-be writes (the run is over)."""
        if self._db is not None:
            self._db.close()
            self._db = None

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
        found.update(self.rehearsal.written(entity_type, ids))
        return found

    def parked(self, entity_type: EntityType) -> dict[int, Parking]:
        return self.stored.parked(entity_type)

    def intents(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        return self.stored.intents(entity_type, source_ids)

    def sent_before(self, entity_type: EntityType, source_ids: Iterable[int]) -> set[int]:
        return self.stored.sent_before(entity_type, source_ids)

    def add_intents(self, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        raise AssertionError("a dry run records no intent")

    def record_batch(
        self,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced],
        parked: Sequence[Parking],
        checkpoint: Cursor | None,
        refused: Sequence[Parking] = (),
    ) -> None:
        raise AssertionError("a dry run records no batch")

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        raise AssertionError("a dry run releases no parking")

    def forget_intents(self, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        raise AssertionError("a dry run forgets no intent")
