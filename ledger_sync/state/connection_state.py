"""The state store seen from one connection: what the write engine works against (`engine.ports.ConnectionState`)."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, Synced
from ledger_sync.state.store import StateStore


@dataclass(frozen=True)
class VoidRemovals:
    """What the ledger removes with one voided invoice: its payments, parked as removed when the invoice is
    recorded with `voided_hash` (the content hash of its voided version), in that same commit."""

    voided_hash: str
    payments: Sequence[Parking]


@dataclass(frozen=True)
class StoredConnectionState:
    store: StateStore
    connection_id: int
    voids: Mapping[int, VoidRemovals] = field(default_factory=dict)
    """Invoice source id -> its removals: a run killed between the void and its record cannot lose them."""

    def mapped(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        return self.store.mapped(self.connection_id, entity_type, source_ids)

    def parked(self, entity_type: EntityType) -> dict[int, Parking]:
        return self.store.parked(self.connection_id, entity_type)

    def intents(self, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        return self.store.intents(self.connection_id, entity_type, source_ids)

    def sent_before(self, entity_type: EntityType, source_ids: Iterable[int]) -> set[int]:
        return self.store.sent_before(self.connection_id, entity_type, source_ids)

    def add_intents(self, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        self.store.add_intents(self.connection_id, entity_type, intents)

    def record_batch(
        self,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced],
        parked: Sequence[Parking],
        checkpoint: Cursor | None,
        refused: Sequence[Parking] = (),
    ) -> None:
        removed = [
            payment
            for item in synced
            if entity_type is EntityType.INVOICE
            and (void := self.voids.get(item.source_id)) is not None
            and void.voided_hash == item.content_hash
            for payment in void.payments
        ]
        self.store.record_batch(
            self.connection_id,
            entity_type,
            synced=synced,
            parked=parked,
            checkpoint=checkpoint,
            refused=refused,
            removed_payments=removed,
        )

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        self.store.release(self.connection_id, entity_type, source_ids)

    def forget_intents(self, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        self.store.forget_intents(self.connection_id, entity_type, source_ids)
