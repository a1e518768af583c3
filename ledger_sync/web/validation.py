"""The validation panel: the sync's own run gates, evaluated on the page against the live ledger.

The same inputs and Great Expectations suites as a sync run (`mapping_gate_inputs` + `run_gates`), so
what passes here passes at the start of the next sync. The gates write a Data Docs page, linked from
the panel and served under /reports/.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import LedgerMapping, SourceCategory, SourceTaxRate
from ledger_sync.expectations.context import DOCS_DIR
from ledger_sync.expectations.gate_inputs import mapping_gate_inputs
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo

CHART_CHECKS = ("chart_mapping", "required_accounts")
CONNECTION_CHECKS = ("active_connection",)


@dataclass(frozen=True)
class CheckView:
    title: str
    passed: bool | None
    """None: not checked (the ledger's chart could not be read)."""
    failures: list[str]


@dataclass(frozen=True)
class ValidationView:
    checks: list[CheckView]
    report_url: str | None


def gx_dir(settings: Settings) -> Path:
    return settings.home / "gx"


def docs_root(settings: Settings) -> Path:
    """The Data Docs site, served under /reports/."""
    return gx_dir(settings) / DOCS_DIR


def validate(
    settings: Settings,
    connection: ConnectionInfo,
    mapping: LedgerMapping,
    source_rates: list[SourceTaxRate],
    categories: list[SourceCategory],
    chart: tuple[list[LedgerAccount], list[LedgerTaxRate]] | None,
) -> ValidationView:
    """Run the gates; with `chart` None (unreadable) only the connection check is meaningful."""
    from ledger_sync.expectations.gates import run_gates

    accounts, rates = chart or ([], [])
    inputs = mapping_gate_inputs(
        source_rates,
        mapping,
        {a.id: a for a in accounts},
        {t.id: t for t in rates},
        {c.id: c.name for c in categories},
        connection,
        ledger_label(connection.ledger),
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    report = run_gates(inputs, context_dir=gx_dir(settings), run_name=f"settings-{connection.id}-{stamp}")

    def check(title: str, names: tuple[str, ...]) -> CheckView:
        failures = [f.message for f in report.failures if f.check in names]
        return CheckView(title, all(report.checks.get(n, False) for n in names), failures)

    chart_check = check("Chart mapping", CHART_CHECKS)
    if chart is None:
        chart_check = CheckView("Chart mapping", None, ["Not checked: the chart of accounts could not be read."])
    report_url = None
    if report.docs_path is not None and report.docs_path.is_file():
        report_url = "/reports/" + report.docs_path.resolve().relative_to(docs_root(settings).resolve()).as_posix()
    return ValidationView([chart_check, check("Active connection", CONNECTION_CHECKS)], report_url)
