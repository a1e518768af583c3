"""The backfill deployment: ops re-sync a date range from the Prefect UI's form.

Typed parameters make the UI render a form (company, ledger, dates, entity types, dry run). A ranged
run never moves checkpoints and the entity map makes re-running a range write nothing new. The run
holds the company's slot, paces its API calls, and shows a progress artifact.
"""

from datetime import date
from typing import Literal
from uuid import UUID

from prefect import flow
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from ledger_sync.connectors.registry import LedgerName
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunSummary
from ledger_sync.core.scope import SyncScope
from ledger_sync.flows.hourly import RateLimited
from ledger_sync.flows.sync import run_sync
from ledger_sync.limits import company_slot
from ledger_sync.settings import Settings
from ledger_sync.state.activity import set_total
from ledger_sync.state.db import make_engine
from ledger_sync.tasks.job import SyncJob

EntityName = Literal["invoice", "payment"]


def records_in_range(settings: Settings, company_id: int, scope: SyncScope) -> int:
    """How many source records the backfill will read: the 100 % of its progress bar."""
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        return source.records_in_range(company_id, scope)
    finally:
        source.engine.dispose()


class BackfillProgress(RateLimited):
    """Moves the run's progress artifact after every page."""

    def __init__(self, artifact_id: UUID, total: int) -> None:
        self.artifact_id, self.total, self.done = artifact_id, total, 0

    def opened(self, job: SyncJob) -> None:
        super().opened(job)
        set_total(job.store, job.run_id, self.total)  # the settings page's progress bar reads it

    def page_done(self, job: SyncJob, entity_type: EntityType, records: int) -> None:
        self.done += records
        update_progress_artifact(self.artifact_id, min(100.0, 100.0 * self.done / max(self.total, 1)))


@flow(name="backfill")
def backfill(
    company_id: int,
    since: date,
    until: date,
    ledger: LedgerName = "qbo",
    entity_types: list[EntityName] = ["invoice", "payment"],  # noqa: B006 - flow parameters are never mutated
    dry_run: bool = False,
    page_size: int = 500,
) -> RunSummary:
    """Re-sync the company's invoices issued and payments collected from `since` to `until` (inclusive)."""
    if not entity_types:
        raise ValueError("choose at least one entity type: invoice and/or payment")
    settings = Settings()
    scope = SyncScope(since, until, frozenset(EntityType(e) for e in entity_types), dry_run)
    total = records_in_range(settings, company_id, scope)
    progress = create_progress_artifact(
        0.0,
        key=f"backfill-progress-company-{company_id}",
        description=f"Backfill of company {company_id}, {since} to {until}: {total} records",
    )
    assert isinstance(progress, UUID)  # Prefect's async_dispatch answers a sync flow synchronously
    with company_slot(settings, company_id):
        summary = run_sync(company_id, ledger, RunKind.BACKFILL, scope, page_size, BackfillProgress(progress, total))
    update_progress_artifact(progress, 100.0)
    return summary
