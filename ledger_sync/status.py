"""`ledger-sync status`: what the sync is responsible for, and where each record stands.

Counts come from sets, never from subtraction: each record Service Opus holds that the sync answers
for is in exactly one state, so synced + parked + waiting + skipped + pending == source by construction,
and a record missing from the ledger can only show as parked, waiting or pending, each listed by id.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import Parking, ParkingCause, RecordState
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore

UNKNOWN_OUTCOME = "sent to the ledger, outcome unknown: looked up and settled by the next run"
IGNORED = "Ignored on the settings page"
VOID_DUE = "voided in Service Opus after it was synced: the next run voids it in the ledger"


@dataclass
class EntityStatus:
    """The records of one entity type, each in exactly one state, with why (for all but synced)."""

    records: dict[RecordState, dict[int, str]] = field(default_factory=lambda: {s: {} for s in RecordState})

    @property
    def source(self) -> int:
        return sum(len(ids) for ids in self.records.values())

    def counts(self) -> dict[str, int]:
        return {"source": self.source} | {state.value: len(ids) for state, ids in self.records.items()}


def classify(
    responsible: dict[int, str | None],
    synced: set[int],
    parked: dict[int, Parking],
    due: Mapping[int, str] | None = None,
) -> EntityStatus:
    """Put each record the sync answers for in one state: skipped, then parked or waiting, synced, pending.

    `due`: records with a write still owed to the ledger whatever they are now (an invoice voided since it was
    synced, until its void is done): pending, or parked when the ledger refused it. A skipped record that was
    synced counts as skipped once nothing is due; so does a payment removed from the ledger with its voided
    invoice, saying what to do about its money; so does a parked record an admin ignored, with their note."""
    status = EntityStatus()
    due = due or {}
    for source_id, skipped in sorted(responsible.items()):
        parking = parked.get(source_id)
        if source_id in due and parking is None:
            status.records[RecordState.PENDING][source_id] = due[source_id]
        elif skipped is not None and source_id not in due:
            why = f"{skipped}, synced before" if source_id in synced else skipped
            status.records[RecordState.SKIPPED][source_id] = why
        elif parking is not None and parking.cause is ParkingCause.REMOVED:
            status.records[RecordState.SKIPPED][source_id] = parking.reason
        elif parking is not None and parking.ignored_note:
            status.records[RecordState.SKIPPED][source_id] = f"{IGNORED}: {parking.ignored_note}"
        elif parking is not None:
            state = RecordState.WAITING if parking.cause is ParkingCause.WAITING else RecordState.PARKED
            status.records[state][source_id] = parking.reason
        elif source_id in synced:
            status.records[RecordState.SYNCED][source_id] = ""
        else:
            status.records[RecordState.PENDING][source_id] = "not read by a run yet"
    return status


def entity_statuses(settings: Settings, store: StateStore, company_id: int, ledger: str) -> dict[str, EntityStatus]:
    """Each entity type's records, by state."""
    connection = store.connection(company_id, ledger)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        responsible = source.responsibilities(company_id)
        voids = source.void_changes(company_id)
    finally:
        source.engine.dispose()
    statuses = {}
    for entity_type in EntityType:
        synced = store.synced_ids(connection.id, entity_type) if connection else set()
        parked = store.parked(connection.id, entity_type) if connection else {}
        voiding = connection is not None and entity_type is EntityType.INVOICE
        due = _voids_due(store, connection.id, synced, voids) if connection and voiding else {}
        status = classify(responsible[entity_type], synced, parked, due)
        pending = status.records[RecordState.PENDING]
        for source_id in store.intents(connection.id, entity_type, pending) if connection else {}:
            pending[source_id] = UNKNOWN_OUTCOME
        statuses[entity_type.value] = status
    return statuses


def _voids_due(store: StateStore, connection_id: int, synced: set[int], voids: dict[int, int]) -> dict[int, str]:
    """Invoices voided since they were sent (synced, or sent with an outcome unknown) whose void the invoice
    checkpoint has not passed: not settled in the ledger yet (the checkpoint passes a record only once it is
    written, found unchanged or absent, or parked)."""
    checkpoint = store.checkpoint(connection_id, EntityType.INVOICE)
    sent = synced | set(store.intents(connection_id, EntityType.INVOICE, voids))
    return {
        source_id: VOID_DUE
        for source_id, change_no in voids.items()
        if source_id in sent and (checkpoint is None or change_no > checkpoint)
    }


def company_status(settings: Settings, store: StateStore, company_id: int, ledger: str) -> dict[str, object]:
    """Per entity type `{"source", "synced", "parked", "waiting", "skipped", "pending"}`, plus the last run."""
    connection = store.connection(company_id, ledger)
    entities = {kind: status.counts() for kind, status in entity_statuses(settings, store, company_id, ledger).items()}
    last = store.last_run(connection.id) if connection else None
    return {
        "company_id": company_id,
        "ledger": ledger,
        "connection": connection.status if connection else "not_connected",
        "entities": entities,
        "last_run": {"outcome": last.outcome, "kind": last.kind} if last else None,
    }


def listed(
    settings: Settings, store: StateStore, company_id: int, ledger: str, state: RecordState
) -> list[tuple[str, int, str]]:
    """(entity type, source id, why) of every record in `state`."""
    statuses = entity_statuses(settings, store, company_id, ledger)
    return [
        (kind, source_id, why) for kind, status in statuses.items() for source_id, why in status.records[state].items()
    ]
