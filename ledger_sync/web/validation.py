"""The validation panel: the sync's own run gates, evaluated against the live ledger on request.

The same inputs and Great Expectations suites as a sync run (`mapping_gate_inputs` + `run_gates`), so
what passes here passes at the start of the next sync. The gates write a Data Docs page, linked from
the panel and served under /reports/. Checks run only on a POST (Run checks, saving the mapping); the
result is kept per connection (`<home>/validation/`) and a page load only reads it, so loading the page
writes nothing.
"""

import json
from dataclasses import asdict, dataclass
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
    checked_at: str | None = None
    """When the checks ran (UTC, minutes); None: never run for this connection."""


NOT_CHECKED = ValidationView(
    [
        CheckView(title, None, ["Not checked yet: click Run checks."])
        for title in ("Chart mapping", "Active connection")
    ],
    None,
)


def _cache(settings: Settings, connection_id: int) -> Path:
    return settings.home / "validation" / f"connection-{connection_id}.json"


def last_validation(settings: Settings, connection_id: int) -> ValidationView:
    """The result the last Run checks kept for this connection (read only)."""
    path = _cache(settings, connection_id)
    if not path.is_file():
        return NOT_CHECKED
    data = json.loads(path.read_text())
    checks = [CheckView(c["title"], c["passed"], list(c["failures"])) for c in data["checks"]]
    return ValidationView(checks, data["report_url"], data["checked_at"])


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
    """Run the gates and keep the result; with `chart` None (unreadable) only the connection check means anything."""
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
    checked_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    view = ValidationView([chart_check, check("Active connection", CONNECTION_CHECKS)], report_url, checked_at)
    path = _cache(settings, connection.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(view)))
    return view
