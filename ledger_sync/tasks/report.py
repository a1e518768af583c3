"""The end of a run: its summary in the state store and as Prefect artifacts finance can read."""

from prefect import task
from prefect.artifacts import create_link_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from ledger_sync.core.runs import RunOutcome, RunSummary
from ledger_sync.engine.stats import Tally
from ledger_sync.expectations.context import publish_docs
from ledger_sync.expectations.inputs import GateReport
from ledger_sync.expectations.last_checks import gx_dir
from ledger_sync.state.activity import newly_parked
from ledger_sync.state.sync_events import emit_parked
from ledger_sync.tasks.job import SyncJob


def _outcome(job: SyncJob, gate: GateReport) -> RunOutcome:
    if not gate.passed:
        return RunOutcome.STOPPED_AT_GATE
    if job.scope.dry_run:
        return RunOutcome.DRY_RUN
    return RunOutcome.COMPLETED_WITH_PENDING if job.stats.pending else RunOutcome.COMPLETED


def _summary_rows(entities: dict[str, dict[str, int]], api_calls: int) -> list[dict[str, object]]:
    """One row per entity type and a total row carrying the API calls the run spent."""
    rows: list[dict[str, object]] = [{"entity": name, **counts, "api_calls": ""} for name, counts in entities.items()]
    totals = {tally.value: sum(counts[tally] for counts in entities.values()) for tally in Tally}
    return [*rows, {"entity": "total", **totals, "api_calls": api_calls}]


@task(name="report-run", cache_policy=NO_CACHE)
def report_run(job: SyncJob, gate: GateReport) -> RunSummary:
    publish_docs(gx_dir(job.settings.home))  # the run's one Data Docs build: its gates and every page's checks
    entities = job.stats.by_entity()
    summary: RunSummary = {
        "run_id": job.run_id,
        "company_id": job.company_id,
        "ledger": job.connection.ledger,
        "outcome": _outcome(job, gate),
        "scope": {
            "since": job.scope.since.isoformat() if job.scope.since else None,
            "until": job.scope.until.isoformat() if job.scope.until else None,
            "entity_types": sorted(job.scope.entity_types),
            "dry_run": job.scope.dry_run,
        },
        "entities": entities,
        "api_calls": job.ledger.calls,
        "gates": gate.checks,
        "gate_failures": [f.message for f in gate.failures],
        "report": str(gate.docs_path) if gate.docs_path else None,
    }
    job.store.finish_run(job.run_id, summary["outcome"], summary, summary["report"])
    create_table_artifact(
        key=f"sync-summary-company-{job.company_id}",
        table=_summary_rows(entities, job.ledger.calls),
        description=f"{job.ledger_name} sync of company {job.company_id}: {summary['outcome']}, "
        f"{summary['api_calls']} API calls",
    )
    emit_parked(
        job.connection.id,
        job.company_id,
        job.connection.ledger,
        job.run_id,
        newly_parked(job.store, job.connection.id, job.run_id),
    )
    parked = job.store.parked_list(job.connection.id)
    create_table_artifact(
        key=f"parked-records-company-{job.company_id}",
        table=[{"entity": e, "source_id": s, "reason": r} for e, s, r in parked] or [{"entity": "", "reason": "none"}],
        description="Records that could not sync, with the reason (retried on every run)",
    )
    if gate.docs_path:
        create_link_artifact(
            key=f"validation-report-company-{job.company_id}",
            link=gate.docs_path.resolve().as_uri(),
            description="Great Expectations Data Docs of this run's gates",
        )
    return summary
