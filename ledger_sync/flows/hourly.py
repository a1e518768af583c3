"""The hourly deployment: one `company-sync` run per connection whose automatic sync is on.

The runs share one warm process, a few at a time (starting an interpreter per company cost more than a small
company's sync); beyond one machine, the hourly run splits the companies into `company-batch` runs that the work
pool spreads over its workers. Every run holds its company's slot and rate limit wherever it runs. A company
sync is a full incremental sync of what the connection's toggles allow, so it also drains whatever the live
events missed.
"""

import contextvars
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from prefect import flow, get_run_logger
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from pydantic import BaseModel

from ledger_sync.connectors.registry import LedgerName
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunOutcome, RunSummary, SkippedSync
from ledger_sync.core.scope import SYNCED_TYPES, SyncScope
from ledger_sync.expectations.context import docs_built_together
from ledger_sync.expectations.last_checks import gx_dir
from ledger_sync.flows.sync import SyncHooks, run_sync
from ledger_sync.limits import CompanyLimits, RateLimitedLedger, company_slot, limits_ensured
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.tasks.job import NotConnected, SyncJob

COMPANY_BATCH_DEPLOYMENT = "company-batch/company-batch"


def toggled(connection: ConnectionInfo) -> frozenset[EntityType]:
    """The entity types the Automatic Invoice Sync and Automatic Payment Sync toggles let sync on their own."""
    on = {EntityType.INVOICE: connection.auto_invoice_sync, EntityType.PAYMENT: connection.auto_payment_sync}
    return frozenset(entity for entity, enabled in on.items() if enabled)


class RateLimited(SyncHooks):
    """Every ledger call of the run takes a slot of the company's Prefect rate limit."""

    def opened(self, job: SyncJob) -> None:
        job.ledger = RateLimitedLedger(job.ledger, job.company_id)


def toggled_sync(
    company_id: int,
    ledger: str,
    requested: frozenset[EntityType],
    kind: RunKind,
    page_size: int,
    hooks: RateLimited | None = None,
) -> RunSummary | SkippedSync:
    """An incremental sync of what the toggles allow of `requested`, never alongside another sync of the company;
    every ledger call rate limited (`hooks` may add to that)."""
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
        return run_sync(company_id, ledger, kind, SyncScope(entity_types=allowed), page_size, hooks or RateLimited())


@flow(name="company-sync")
def company_sync(company_id: int, ledger: LedgerName = "qbo", page_size: int = 500) -> RunSummary | SkippedSync:
    """Sync one company's invoices and/or payments, as its automatic sync toggles allow."""
    return toggled_sync(company_id, ledger, SYNCED_TYPES, RunKind.HOURLY, page_size)


class CompanyLedger(BaseModel):
    """One connection the fan-out syncs."""

    company_id: int
    ledger: LedgerName


def sync_companies(targets: Sequence[CompanyLedger], concurrency: int, page_size: int) -> list[dict[str, object]]:
    """A `company-sync` run for each connection, `concurrency` at a time in this warm process (threads: a sync
    mostly waits on the ledger, the state store and the Prefect server). Each run still holds its company's slot
    and rate limit (made sure of once for them all, `limits_ensured`); a run that fails is named in the log and
    the result, and the others go on. The runs build their Data Docs together (`docs_built_together`), not one
    build per company."""
    if concurrency < 1:
        raise ValueError("the fan-out's concurrency must be at least 1")

    def one(target: CompanyLedger) -> dict[str, object]:
        run = company_sync.with_options(flow_run_name=f"company-{target.company_id}-{target.ledger}")
        state = run(company_id=target.company_id, ledger=target.ledger, page_size=page_size, return_state=True)
        return {
            "company_id": target.company_id,
            "ledger": target.ledger,
            "flow_run_id": str(state.state_details.flow_run_id),
            "state": state.name,
        }

    settings = Settings()
    limits = [CompanyLimits.from_settings(settings, c) for c in sorted({t.company_id for t in targets})]
    with (
        limits_ensured(limits),
        docs_built_together(gx_dir(settings.home)),
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="company-sync") as pool,
    ):
        # each run gets a copy of this flow run's context, so it is recorded as one of its child runs
        futures = [pool.submit(contextvars.copy_context().run, one, target) for target in targets]
        results = [future.result() for future in futures]
    failed = [f"company {r['company_id']} ({r['ledger']}): {r['state']}" for r in results if r["state"] != "Completed"]
    logger = get_run_logger()
    logger.info("Synced %d of %d connection(s)", len(results) - len(failed), len(results))
    if failed:
        logger.error("Not completed: %s", "; ".join(failed))
    return results


@flow(name="company-batch")
def company_batch(
    companies: list[CompanyLedger], concurrency: int = 4, page_size: int = 500
) -> list[dict[str, object]]:
    """Sync a share of the connections in one warm process (started by hourly-sync when it spreads over workers)."""
    return sync_companies(companies, concurrency, page_size)


@flow(name="hourly-sync")
def hourly_sync(page_size: int = 500, concurrency: int = 4, workers: int = 1) -> list[dict[str, object]]:
    """Sync every connected company whose automatic sync is on: here, `concurrency` at a time, or (`workers` > 1)
    in that many `company-batch` runs, which the work pool spreads over its workers."""
    if workers < 1:
        raise ValueError("hourly-sync needs at least 1 worker")
    settings = Settings()
    store = StateStore.open(settings)
    try:
        targets = [CompanyLedger(company_id=c.company_id, ledger=c.ledger) for c in store.connected() if toggled(c)]
    finally:
        store.close()
    if workers == 1:
        return sync_companies(targets, concurrency, page_size)
    started = []
    for share in range(min(workers, len(targets))):
        companies = targets[share::workers]
        run = run_deployment(
            COMPANY_BATCH_DEPLOYMENT,
            parameters={
                "companies": [c.model_dump() for c in companies],
                "concurrency": concurrency,
                "page_size": page_size,
            },
            flow_run_name=f"companies-{share + 1}-of-{workers}",
            timeout=0,
        )
        assert isinstance(run, FlowRun)  # Prefect's async_dispatch answers a sync flow synchronously
        started += [{"company_id": c.company_id, "ledger": c.ledger, "flow_run_id": str(run.id)} for c in companies]
    get_run_logger().info(
        "Started %d company-batch run(s) for %d connection(s)", min(workers, len(targets)), len(targets)
    )
    return started
