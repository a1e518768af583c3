"""`ledger-sync status`: what the sync is responsible for, and where each record stands."""

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore


def company_status(settings: Settings, store: StateStore, company_id: int, ledger: str) -> dict[str, object]:
    """Per entity type `{"source", "synced", "parked", "pending"}`, plus the last run's outcome."""
    connection = store.connection(company_id, ledger)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        totals = source.source_counts(company_id)
    finally:
        source.engine.dispose()
    counts = store.counts(connection.id) if connection else {}
    entities = {}
    for entity_type, total in totals.items():
        synced, parked = counts.get(entity_type, (0, 0))
        entities[entity_type] = {
            "source": total,
            "synced": synced,
            "parked": parked,
            "pending": max(total - synced - parked, 0),
        }
    last = store.last_run(connection.id) if connection else None
    return {
        "company_id": company_id,
        "ledger": ledger,
        "connection": connection.status if connection else "not_connected",
        "entities": entities,
        "last_run": {"outcome": last.outcome, "kind": last.kind} if last else None,
    }
