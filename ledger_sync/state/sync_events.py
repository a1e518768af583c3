"""Prefect events the sync emits for people to act on: a run parked new records, a connection needs reconnecting.

The Prefect automation `ledger-sync setup-limits` creates (`notifications.py`) turns them into a notification.
Each event's resource is the connection (`ledger-sync.connection.<id>`, labelled with the company and the
ledger), its payload says what happened in a bookkeeper's words. Events are only emitted to a configured
Prefect server (`PREFECT_API_URL`): a command-line run without one has nobody to notify.
"""

from prefect.events import emit_event
from prefect.settings import PREFECT_API_URL

PARKED_EVENT = "ledger-sync.records.parked"
NEEDS_RECONNECT_EVENT = "ledger-sync.connection.needs-reconnect"
RESOURCE_PREFIX = "ledger-sync.connection."
EXAMPLES = 5
"""Parked records named in the event (the settings page and the CSV list them all)."""


def _resource(connection_id: int, company_id: int, ledger: str) -> dict[str, str]:
    return {
        "prefect.resource.id": f"{RESOURCE_PREFIX}{connection_id}",
        "prefect.resource.name": f"company {company_id} {ledger}",
        "ledger-sync.company-id": str(company_id),
        "ledger-sync.ledger": ledger,
    }


def emit_parked(
    connection_id: int, company_id: int, ledger: str, run_id: int, parked: list[tuple[str, int, str]]
) -> None:
    """A run parked records that were not parked before: (entity type, source id, reason) of each."""
    if not parked or not PREFECT_API_URL.value():
        return
    named = "; ".join(f"{kind.replace('_', ' ')} {source_id}: {why}" for kind, source_id, why in parked[:EXAMPLES])
    more = f" (and {len(parked) - EXAMPLES} more)" if len(parked) > EXAMPLES else ""
    emit_event(
        PARKED_EVENT,
        resource=_resource(connection_id, company_id, ledger),
        payload={"run_id": run_id, "count": len(parked), "summary": f"{len(parked)} new parked: {named}{more}"},
    )


def emit_needs_reconnect(connection_id: int, company_id: int, ledger: str, reason: str) -> None:
    """The connection just stopped: its authorization was refused or cannot be decrypted."""
    if PREFECT_API_URL.value():
        emit_event(
            NEEDS_RECONNECT_EVENT,
            resource=_resource(connection_id, company_id, ledger),
            payload={"summary": f"{ledger} of company {company_id} needs reconnecting: {reason}"},
        )
