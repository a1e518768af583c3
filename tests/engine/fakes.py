"""In-memory stand-ins for the engine's two ports: one connection's state and a scriptable ledger."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from ledger_sync.core.ledger import (
    ErrorKind,
    InvoiceNumbers,
    LedgerError,
    LedgerRef,
    LedgerSnapshot,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.records import CustomerRecord, EntityType, InvoiceRecord, LedgerRecord
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, Synced
from ledger_sync.engine.push import Tenant, WriteEngine

TENANT = Tenant("qbo", "realm-1", "QuickBooks Online")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class WorkerDied(RuntimeError):
    """The process dies after the ledger committed, before our own commit."""


class MemoryState:
    """`ConnectionState` in memory, with the state store's commit rules (one `record_batch` is atomic)."""

    def __init__(self) -> None:
        self.entity_map: dict[EntityType, dict[int, MappedEntity]] = defaultdict(dict)
        self.parkings: dict[EntityType, dict[int, Parking]] = defaultdict(dict)
        self.pending: dict[EntityType, dict[int, Intent]] = defaultdict(dict)
        self.sent: dict[EntityType, set[int]] = defaultdict(set)
        self.checkpoints: dict[EntityType, Cursor] = {}
        self.die_on_next_synced_commit = False

    def mapped(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        known = self.entity_map[entity_type]
        return {i: known[i] for i in source_ids if i in known}

    def parked(self, entity_type: EntityType) -> dict[int, Parking]:
        return dict(self.parkings[entity_type])

    def intents(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        pending = self.pending[entity_type]
        return {i: pending[i] for i in source_ids if i in pending}

    def sent_before(self, entity_type: EntityType, source_ids: Iterable[int]) -> set[int]:
        return self.sent[entity_type] & set(source_ids)

    def add_intents(self, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        self.pending[entity_type].update({i.source_id: i for i in intents})

    def record_batch(
        self,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced],
        parked: Sequence[Parking],
        checkpoint: Cursor | None,
        refused: Sequence[Parking] = (),
    ) -> None:
        if synced and self.die_on_next_synced_commit:
            self.die_on_next_synced_commit = False
            raise WorkerDied("killed between the ledger's commit and ours")
        for item in synced:
            self.entity_map[entity_type][item.source_id] = MappedEntity(
                item.ledger_id, item.sync_token, item.content_hash, item.document
            )
            self.parkings[entity_type].pop(item.source_id, None)
        self.parkings[entity_type].update({p.source_id: p for p in [*parked, *refused]})
        for source_id in [s.source_id for s in synced] + [p.source_id for p in refused]:
            self.pending[entity_type].pop(source_id, None)
        self.sent[entity_type].update(p.source_id for p in refused)
        if checkpoint is not None and (
            entity_type not in self.checkpoints or self.checkpoints[entity_type] < checkpoint
        ):
            self.checkpoints[entity_type] = checkpoint

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        for source_id in source_ids:
            self.parkings[entity_type].pop(source_id, None)

    def forget_intents(self, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        for source_id in source_ids:
            self.pending[entity_type].pop(source_id, None)


class Call(StrEnum):
    """How the ledger answers one `write` call."""

    OK = "ok"
    LOST_ANSWER = "lost_answer"
    """The ledger commits every op, then the answer is lost (timeout, dropped connection)."""
    UNAVAILABLE = "unavailable"
    """The call fails before the ledger commits anything."""


@dataclass
class Entry:
    ledger_id: str
    content_hash: str
    idempotency_key: str
    version: int = 0


@dataclass
class ScriptedLedger:
    """A ledger that keeps what it is sent and answers each call as scripted (default: OK).

    A create replayed with an idempotency key it has seen returns the earlier answer (as the vendors
    do within their dedup window): the earlier record, or the earlier refusal even once the cause is
    gone (QBO replays the original Fault for a reused `requestid`); a create with a new key always makes
    a new record, even for a source id it already holds, so a duplicate shows in `records_for`.
    """

    max_batch_size: int = 2
    script: list[Call] = field(default_factory=list)
    refuse: dict[int, ErrorKind] = field(default_factory=dict)
    """Source ids refused element-wise, with the error kind."""
    no_answer_for: set[int] = field(default_factory=set)
    """Source ids committed but answered with neither a ref nor an error."""
    lookup_fails: bool = False
    refused_keys: dict[str, ErrorKind] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    by_source: dict[tuple[EntityType, int], list[str]] = field(default_factory=lambda: defaultdict(list))
    calls: list[list[WriteOp]] = field(default_factory=list)
    lookups: int = 0
    numbers_in_use: dict[int, list[LedgerSnapshot]] = field(default_factory=dict)
    stamped: list[tuple[int, str]] = field(default_factory=list)

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        self.calls.append(list(ops))
        how = self.script.pop(0) if self.script else Call.OK
        if how is Call.UNAVAILABLE:
            raise LedgerError(ErrorKind.UNAVAILABLE, "503 before the commit")
        outcomes = [self._apply(entity_type, op) for op in ops]
        if how is Call.LOST_ANSWER:
            raise LedgerError(ErrorKind.UNAVAILABLE, "timed out after the ledger committed")
        return outcomes

    def _apply(self, entity_type: EntityType, op: WriteOp) -> WriteOutcome:
        source_id = op.record.source_id
        refusal = self.refused_keys.get(op.idempotency_key) or self.refuse.get(source_id)
        if refusal is not None:
            self.refused_keys[op.idempotency_key] = refusal
            return WriteOutcome(op, error=LedgerError(refusal, "Name is invalid", code="6000"))
        if op.existing is not None:
            entry = self.entries[op.existing.id]
            entry.content_hash, entry.version = op.record.content_hash, entry.version + 1
        else:
            replayed = [e for e in self.entries.values() if e.idempotency_key == op.idempotency_key]
            if replayed:
                entry = replayed[0]
            else:
                entry = Entry(f"L{len(self.entries) + 1}", op.record.content_hash, op.idempotency_key)
                self.entries[entry.ledger_id] = entry
                self.by_source[(entity_type, source_id)].append(entry.ledger_id)
        if source_id in self.no_answer_for:
            return WriteOutcome(op)
        return WriteOutcome(op, ref=LedgerRef(entry.ledger_id, str(entry.version)))

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        self.lookups += 1
        if self.lookup_fails:
            raise LedgerError(ErrorKind.UNAVAILABLE, "lookup timed out")
        found: dict[int, LedgerRef] = {}
        for record in records:
            ids = self.by_source.get((entity_type, record.source_id))
            if ids:
                entry = self.entries[ids[0]]
                found[record.source_id] = LedgerRef(entry.ledger_id, str(entry.version))
        return found

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """The bookkeeper's own invoices holding these numbers (`numbers_in_use`, by source id)."""
        return {r.source_id: self.numbers_in_use[r.source_id] for r in records if r.source_id in self.numbers_in_use}

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        """Too many to read at once: each check asks `numbered`."""
        return None

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        self.stamped.append((record.source_id, ledger_id))
        return LedgerRef(ledger_id, "1")

    def records_for(self, entity_type: EntityType, source_id: int) -> list[Entry]:
        return [self.entries[i] for i in self.by_source.get((entity_type, source_id), [])]

    def sent_ids(self) -> list[int]:
        return [op.record.source_id for call in self.calls for op in call]


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def engine_for(state: MemoryState, ledger: ScriptedLedger, clock: Clock | None = None) -> WriteEngine:
    return WriteEngine(state=state, ledger=ledger, tenant=TENANT, clock=clock or Clock())


def customer(source_id: int, name: str | None = None) -> CustomerRecord:
    return CustomerRecord(source_id=source_id, display_name=name or f"Customer {source_id}")


def cursor(source_id: int) -> Cursor:
    """The change number of the record's last change, in the same order as its id."""
    return 1000 + source_id
