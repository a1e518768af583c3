"""The hourly deployment: one `company-sync` run per connection whose automatic sync is on.

The hourly run only fans out (`run_deployment`), so companies sync in parallel on any worker of the
pool, each holding its company's slot. A company sync is a full incremental sync of what the
connection's toggles allow, so it also drains whatever the live events missed.
"""

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment

from ledger_sync.connectors.registry import LedgerName
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import COMPANY_SYNC_DEPLOYMENT, RunKind, RunOutcome, RunSummary, SkippedSync
from ledger_sync.core.scope import SYNCED_TYPES, SyncScope
from ledger_sync.flows.sync import SyncHooks, run_sync
from ledger_sync.limits import CompanyLimits, RateLimitedLedger, company_slot, ensure_limits
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.tasks.job import NotConnected, SyncJob


def toggled(connection: ConnectionInfo) -> frozenset[EntityType]:
    """The entity types the Automatic Invoice Sync and Automatic Payment Sync toggles let sync on their own."""
    on = {EntityType.INVOICE: connection.auto_invoice_sync, EntityType.PAYMENT: connection.auto_payment_sync}
    return frozenset(entity for entity, enabled in on.items() if enabled)


class RateLimited(SyncHooks):
    """Every ledger call of the run takes a slot of the company's Prefect rate limit."""

    def opened(self, job: SyncJob) -> None:
        job.ledger = RateLimitedLedger(job.ledger, job.company_id)


def toggled_sync(
    company_id: int, ledger: str, requested: frozenset[EntityType], kind: RunKind, page_size: int
) -> RunSummary | SkippedSync:
    """An incremental sync of what the toggles allow of `requested`, never alongside another sync of the company."""
    settings = Settings()
    store = StateStore.open(settings)
    try:
        connection = store.connection(company_id, ledger)
    finally:
        store.close()
    if connection is None:
        raise NotConnected(f"company {company_id} has no {ledger} connection")
    allowed = requested & toggled(connection)
    if not allowed:
        wanted = ", ".join(sorted(e.value for e in requested))
        get_run_logger().info("Automatic sync of %s is off for company %s: nothing synced", wanted, company_id)
        return SkippedSync(company_id=company_id, ledger=ledger, outcome=RunOutcome.OFF, entity_types=[])
    with company_slot(settings, company_id):
        return run_sync(company_id, ledger, kind, SyncScope(entity_types=allowed), page_size, RateLimited())


@flow(name="company-sync")
def company_sync(company_id: int, ledger: LedgerName = "qbo", page_size: int = 500) -> RunSummary | SkippedSync:
    """Sync one company's invoices and/or payments, as its automatic sync toggles allow."""
    return toggled_sync(company_id, ledger, SYNCED_TYPES, RunKind.HOURLY, page_size)


@flow(name="hourly-sync")
def hourly_sync(page_size: int = 500) -> list[dict[str, object]]:
    """Start a company-sync run for every connected company whose automatic sync is on."""
    settings = Settings()
    store = StateStore.open(settings)
    try:
        targets = [c for c in store.connected() if toggled(c)]
    finally:
        store.close()
    ensure_limits(CompanyLimits.from_settings(settings, c) for c in sorted({t.company_id for t in targets}))
    started = []
    for target in targets:
        run = run_deployment(
            COMPANY_SYNC_DEPLOYMENT,
            parameters={"company_id": target.company_id, "ledger": target.ledger, "page_size": page_size},
            flow_run_name=f"company-{target.company_id}-{target.ledger}",
            timeout=0,
        )
        assert isinstance(run, FlowRun)  # Prefect's async_dispatch answers a sync flow synchronously
        started.append({"company_id": target.company_id, "ledger": target.ledger, "flow_run_id": str(run.id)})
    get_run_logger().info("Started %d company sync(s)", len(started))
    return started
