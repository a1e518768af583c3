"""Which kind of ledger record a sync record is written as: an invoice totalling below zero goes as a credit note.

Neither ledger takes a negative invoice, so `InvoiceCreditRecord` (an invoice in the sync's books) is written,
found and read as the ledger's credit note. Both connectors route through these helpers: ops and records of one
entity type are split by the kind each goes as, handled kind by kind, and their answers put back in order.
Read back, a credit note standing for an invoice is negated: its figures are the invoice's again.
"""

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from ledger_sync.core.ledger import LedgerSnapshot, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType, InvoiceCreditRecord, LedgerRecord

T = TypeVar("T")


def ledger_kind(entity_type: EntityType, record: LedgerRecord) -> EntityType:
    """The kind of ledger record `record` is written as."""
    return EntityType.CREDIT_NOTE if isinstance(record, InvoiceCreditRecord) else entity_type


def _split(entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[EntityType, list[int]]:
    groups: dict[EntityType, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(ledger_kind(entity_type, record), []).append(index)
    return groups


def write_by_kind(
    entity_type: EntityType,
    ops: Sequence[WriteOp],
    write_kind: Callable[[EntityType, Sequence[WriteOp]], list[WriteOutcome]],
) -> list[WriteOutcome]:
    """One outcome per op, in order; each kind's ops written together."""
    outcomes: dict[int, WriteOutcome] = {}
    for kind, indexes in _split(entity_type, [op.record for op in ops]).items():
        answered = write_kind(kind, [ops[index] for index in indexes])
        outcomes.update(zip(indexes, answered, strict=True))
    return [outcomes[index] for index in range(len(ops))]


def by_kind(
    entity_type: EntityType,
    records: Sequence[LedgerRecord],
    lookup: Callable[[EntityType, Sequence[LedgerRecord]], dict[int, T]],
) -> dict[int, T]:
    """Each kind's records looked up together, the answers merged by source id."""
    found: dict[int, T] = {}
    for kind, indexes in _split(entity_type, records).items():
        found.update(lookup(kind, [records[index] for index in indexes]))
    return found


def read_back_by_kind(
    entity_type: EntityType,
    records: Sequence[LedgerRecord],
    read_kind: Callable[[EntityType, Sequence[LedgerRecord]], dict[int, list[LedgerSnapshot]]],
) -> dict[int, list[LedgerSnapshot]]:
    """As `by_kind`; a credit note standing for an invoice reads as the invoice (its figures negated)."""
    found: dict[int, list[LedgerSnapshot]] = {}
    for kind, indexes in _split(entity_type, records).items():
        snapshots = read_kind(kind, [records[index] for index in indexes])
        if kind is not entity_type:
            snapshots = {source_id: [_negated(s) for s in held] for source_id, held in snapshots.items()}
        found.update(snapshots)
    return found


def _negated(snapshot: LedgerSnapshot) -> LedgerSnapshot:
    return replace(
        snapshot,
        amount=-snapshot.amount,
        tax=None if snapshot.tax is None else -snapshot.tax,
        balance=None if snapshot.balance is None else -snapshot.balance,
    )
