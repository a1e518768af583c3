"""The run gates' last result per connection, as the settings page's validation panel shows it.

Kept as one small JSON file per connection under `<home>/validation/`, written whenever the gates run: on
request (Run checks, saving the mapping) and at the start of every sync. So the panel always shows the
newest result, and loading the page only reads it (a GET runs and writes nothing).
"""

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from ledger_sync.expectations.context import DOCS_DIR
from ledger_sync.expectations.inputs import GateReport

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


def gx_dir(home: Path) -> Path:
    """The Great Expectations context every check of this installation writes to."""
    return home / "gx"


def docs_root(home: Path) -> Path:
    """The Data Docs site, served by the settings page under /reports/."""
    return gx_dir(home) / DOCS_DIR


def _kept(home: Path, connection_id: int) -> Path:
    return home / "validation" / f"connection-{connection_id}.json"


def last_validation(home: Path, connection_id: int) -> ValidationView:
    """The result the gates last kept for this connection (read only)."""
    path = _kept(home, connection_id)
    if not path.is_file():
        return NOT_CHECKED
    data = json.loads(path.read_text())
    checks = [CheckView(c["title"], c["passed"], list(c["failures"])) for c in data["checks"]]
    return ValidationView(checks, data["report_url"], data["checked_at"])


def keep_validation(home: Path, connection_id: int, report: GateReport, *, chart_read: bool = True) -> ValidationView:
    """Keep `report` as this connection's last result (with `chart_read` False, the chart of accounts could not be
    read, so only the connection check means anything); the view the panel will show."""

    def check(title: str, names: tuple[str, ...]) -> CheckView:
        failures = [f.message for f in report.failures if f.check in names]
        return CheckView(title, all(report.checks.get(n, False) for n in names), failures)

    chart_check = check("Chart mapping", CHART_CHECKS)
    if not chart_read:
        chart_check = CheckView("Chart mapping", None, ["Not checked: the chart of accounts could not be read."])
    report_url = None
    if report.docs_path is not None and report.docs_path.resolve().is_relative_to(docs_root(home).resolve()):
        report_url = "/reports/" + report.docs_path.resolve().relative_to(docs_root(home).resolve()).as_posix()
    checked_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    view = ValidationView([chart_check, check("Active connection", CONNECTION_CHECKS)], report_url, checked_at)
    path = _kept(home, connection_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(view)))
    return view
