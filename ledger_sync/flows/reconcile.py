"""Reconcile one company's ledger with Service Opus: every synced record present exactly once, equal to the cent.

Entrypoints of the daily-reconcile and reconcile deployments (the latter also started by the settings page's
button) and of `ledger-sync reconcile`. Reads top to bottom as the reconciliation it is. Records missing from
the ledger are re-queued; the result is a Prefect table artifact and a JSON file under the settings home.
"""

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from ledger_sync.connectors.registry import LedgerName, ledger_label
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.ledger_access import open_ledger
from ledger_sync.limits import RateLimitedLedger, company_slot
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.reconciliations import RECONCILE_DEPLOYMENT
from ledger_sync.state.store import StateStore
from ledger_sync.tasks.job import NotConnected
from ledger_sync.tasks.reconcile import (
    compare_books,
    read_ledger_books,
    read_synced_books,
    report_reconciliation,
    requeue_missing,
)


@flow(name="reconcile-company")
def reconcile_company(company_id: int, ledger: LedgerName = "qbo", paced: bool = False) -> dict[str, object]:
    """Compare the ledger with Service Opus, re-queue what went missing, and report each difference.

    `paced` (the deployment's default): hold the company's slot, so no sync of it writes meanwhile (a record
    being written is never taken for missing), and pace ledger calls by the company's rate limit."""
    settings = Settings()
    if not paced:
        return _reconcile(settings, company_id, ledger, paced)
    with company_slot(settings, company_id):
        return _reconcile(settings, company_id, ledger, paced)


def _reconcile(settings: Settings, company_id: int, ledger: str, paced: bool) -> dict[str, object]:
    store = StateStore.open(settings)
    try:
        connection = store.connection(company_id, ledger)
        if connection is None:
            raise NotConnected(f"company {company_id} has no {ledger_label(ledger)} connection yet")
        source = ServiceOpusSource(make_engine(settings.resolved_source_url))
        connector = open_ledger(settings, store, connection)
        if paced:
            connector = RateLimitedLedger(connector, company_id)
        try:
            books = read_synced_books(store, source, connector, connection)
            found = read_ledger_books(connector, books)
            result = compare_books(connection, books, found, connector.calls)
            requeue_missing(store, connection, result)
            path = report_reconciliation(settings, result)
        finally:
            connector.close()
            source.engine.dispose()
    finally:
        store.close()
    return {**result.as_json(), "file": str(path)}


@flow(name="daily-reconcile")
def daily_reconcile() -> list[dict[str, object]]:
    """Start a reconcile run for every connected company and ledger (each its own flow run and artifact)."""
    store = StateStore.open(Settings())
    try:
        targets = store.connected()
    finally:
        store.close()
    started = []
    for target in targets:
        run = run_deployment(
            RECONCILE_DEPLOYMENT,
            parameters={"company_id": target.company_id, "ledger": target.ledger},
            flow_run_name=f"reconcile-company-{target.company_id}-{target.ledger}",
            timeout=0,
        )
        assert isinstance(run, FlowRun)  # Prefect's async_dispatch answers a sync flow synchronously
        started.append({"company_id": target.company_id, "ledger": target.ledger, "flow_run_id": str(run.id)})
    get_run_logger().info("Started %d reconciliation(s)", len(started))
    return started
