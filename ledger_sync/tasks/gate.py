"""Run-level gates: the ledger chart is read once, then the mapping and the connection are checked."""

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.core.ledger import LedgerChart
from ledger_sync.expectations.gate_inputs import mapping_gate_inputs
from ledger_sync.expectations.inputs import GateReport, RunGateInputs
from ledger_sync.expectations.last_checks import gx_dir, keep_validation
from ledger_sync.tasks.job import SyncJob


@task(name="read-ledger-chart", cache_policy=NO_CACHE)
def read_ledger_chart(job: SyncJob) -> LedgerChart:
    """Tracking options are read only where the mapping tracks revenue (a call fewer for the others)."""
    return LedgerChart(
        accounts={a.id: a for a in job.ledger.list_accounts()},
        tax_rates={t.id: t for t in job.ledger.list_tax_rates()},
        tracking={o.id: o for o in job.ledger.list_tracking_options()} if job.mapping.tracked else {},
        currencies=job.ledger.currencies(),
    )


def gate_inputs(job: SyncJob, chart: LedgerChart, categories: dict[int, str]) -> RunGateInputs:
    """The rows the run-level expectations look at: every mapping paired with what the ledger says of it."""
    connection = job.store.connection_by_id(job.connection.id)
    return mapping_gate_inputs(
        job.tax_rates.values(),
        job.mapping,
        chart.accounts,
        chart.tax_rates,
        categories,
        connection,
        ledger_label(connection.ledger),
        job.source.bank_accounts(job.company_id),
        job.source.tracking_values(job.company_id) if job.mapping.tracked else (),
        chart.tracking,
    )


@task(name="check-run-gates", cache_policy=NO_CACHE)
def check_run_gates(job: SyncJob, chart: LedgerChart) -> GateReport:
    """Chart mapping, required accounts and active connection; a failure stops the run before any write. The result
    is kept for the settings page's validation panel, like a Run checks."""
    from ledger_sync.expectations.gates import run_gates

    categories = {c.id: c.name for c in job.source.categories(job.company_id)}
    report = run_gates(
        gate_inputs(job, chart, categories),
        context_dir=gx_dir(job.settings.home),
        run_name=f"run-{job.run_id}-gates",
        publish=False,  # `report_run` publishes the run's Data Docs once, gates and record checks together
    )
    keep_validation(job.settings.home, job.connection.id, report)  # the settings page shows the newest result
    logger = get_run_logger()
    for failure in report.failures:
        logger.warning("Gate %s failed: %s", failure.check, failure.message)
    return report
