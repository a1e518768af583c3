"""Run-level gates: the ledger chart is read once, then the mapping and the connection are checked."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ledger_sync.connectors.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.connectors.registry import ledger_label
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.expectations.inputs import (
    AccountMappingRow,
    ConnectionRow,
    GateReport,
    RunGateInputs,
    TaxRateMappingRow,
)
from ledger_sync.state.store import ConnectionInfo
from ledger_sync.tasks.job import SyncJob


@dataclass(frozen=True)
class LedgerChart:
    """The ledger's accounts and tax rates, by id, as read at the start of the run."""

    accounts: dict[str, LedgerAccount]
    tax_rates: dict[str, LedgerTaxRate]


@task(name="read-ledger-chart", cache_policy=NO_CACHE)
def read_ledger_chart(job: SyncJob) -> LedgerChart:
    return LedgerChart(
        accounts={a.id: a for a in job.ledger.list_accounts()},
        tax_rates={t.id: t for t in job.ledger.list_tax_rates()},
    )


def gate_inputs(job: SyncJob, chart: LedgerChart, categories: dict[int, str]) -> RunGateInputs:
    """The rows the run-level expectations look at: every mapping paired with what the ledger says of it."""
    connection = job.store.connection_by_id(job.connection.id)
    return mapping_gate_inputs(job.tax_rates.values(), job.mapping, chart, categories, connection)


def mapping_gate_inputs(
    tax_rates: Iterable[SourceTaxRate],
    mapping: LedgerMapping,
    chart: LedgerChart,
    categories: dict[int, str],
    connection: ConnectionInfo,
) -> RunGateInputs:
    """`gate_inputs` outside a sync run (the settings page's validation panel checks the same things)."""
    tax_rows = []
    for rate in tax_rates:
        if not rate.active:
            continue
        ledger_id = mapping.tax_rates.get(rate.id)
        found = chart.tax_rates.get(ledger_id) if ledger_id else None
        tax_rows.append(
            TaxRateMappingRow(
                rate.id, rate.name, rate.rate, ledger_id, found.name if found else None, found.active if found else None
            )
        )
    roles = [(role.value, role.label, mapping.accounts.get(role), role.fitting_types) for role in AccountRole]
    roles += [
        (f"category:{cid}", f"Category '{categories.get(cid, cid)}'", account, ("income",))
        for cid, account in mapping.categories.items()
    ]
    account_rows = []
    for role, label, ledger_id, types in roles:
        account = chart.accounts.get(ledger_id) if ledger_id else None
        account_rows.append(
            AccountMappingRow(
                role,
                label,
                ledger_id,
                account.name if account else None,
                account.type if account else None,
                account.active if account else None,
                types,
            )
        )
    return RunGateInputs(
        tax_rates=tax_rows,
        accounts=account_rows,
        connection=ConnectionRow(
            connection.ledger,
            ledger_label(connection.ledger),
            connection.status,
            connection.has_refresh_token,
            connection.refresh_expires_at,
            datetime.now(UTC),
        ),
    )


@task(name="check-run-gates", cache_policy=NO_CACHE)
def check_run_gates(job: SyncJob, chart: LedgerChart) -> GateReport:
    """Chart mapping, required accounts and active connection; a failure stops the run before any write."""
    from ledger_sync.expectations.gates import run_gates

    categories = {c.id: c.name for c in job.source.categories(job.company_id)}
    report = run_gates(
        gate_inputs(job, chart, categories),
        context_dir=job.settings.home / "gx",
        run_name=f"run-{job.run_id}-gates",
    )
    logger = get_run_logger()
    for failure in report.failures:
        logger.warning("Gate %s failed: %s", failure.check, failure.message)
    return report
