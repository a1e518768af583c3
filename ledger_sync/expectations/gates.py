"""Run-level gates: a broken chart mapping (tax rates; business units and technicians where tracked), account
mapping or connection stops the whole run.

Three suites, one per check, each over its own check's rows: the rules decide in plain Python and Great
Expectations validates the same rules for Data Docs (see `run_gates`). Every failure names the offending tax
rate, account or connection and says what is wrong with it.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger_sync.expectations.context import (
    ExpectationRunError,
    docs_index,
    publish_docs,
    queue_validation,
    run_checkpoint,
)
from ledger_sync.expectations.inputs import (
    REQUIRED_ACCOUNTS,
    AccountMappingRow,
    CheckFailure,
    ConnectionRow,
    GateReport,
    RunGateInputs,
    TaxRateMappingRow,
    TrackingMappingRow,
)
from ledger_sync.expectations.records import Columns, Rule, not_null, one_of

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

CHART_MAPPING = "chart_mapping"
REQUIRED_ACCOUNTS_CHECK = "required_accounts"
ACTIVE_CONNECTION = "active_connection"
CHECKS = (CHART_MAPPING, REQUIRED_ACCOUNTS_CHECK, ACTIVE_CONNECTION)
ROW = "row"

Row = TaxRateMappingRow | TrackingMappingRow | AccountMappingRow | ConnectionRow


def _chart_entry(row: TaxRateMappingRow | TrackingMappingRow) -> str:
    return row.label if isinstance(row, TrackingMappingRow) else f"Tax rate '{row.source_name}'"


def _chart_kind(row: TaxRateMappingRow | TrackingMappingRow) -> str:
    return "class or tracking option" if isinstance(row, TrackingMappingRow) else "tax rate"


def _target(ledger_id: str | None, ledger_name: str | None) -> str:
    return f"'{ledger_name}'" if ledger_name else f"id {ledger_id}"


def _kind(ledger_type: str) -> str:
    words = ledger_type.replace("_", " ")
    return f"{'an' if words[:1] in 'aeiou' else 'a'} {words}"


def _expected(types: tuple[str, ...]) -> str:
    return _kind(" or ".join(types)) + " account"


# (check, reason) -> message for the offending row; `L` is the ledger's name.
MESSAGES: dict[tuple[str, str], Callable[[Any, str], str]] = {
    (CHART_MAPPING, "unmapped"): lambda r, L: f"{_chart_entry(r)} is not mapped to a {L} {_chart_kind(r)}",
    (CHART_MAPPING, "not_found"): lambda r, L: (
        f"{_chart_entry(r)} is mapped to {_target(r.ledger_id, r.ledger_name)}, which does not exist in {L}"
    ),
    (CHART_MAPPING, "inactive"): lambda r, L: (
        f"{_chart_entry(r)} is mapped to {_target(r.ledger_id, r.ledger_name)}, which is inactive in {L}"
    ),
    (CHART_MAPPING, "same_category"): lambda r, L: (
        f"{r.label} is mapped to {_target(r.ledger_id, r.ledger_name)}, in the same {L} tracking category as "
        f"{r.shares_category_with}: a line carries one option of each category, so their invoices cannot sync; "
        "map the technician to an option of another category"
    ),
    (REQUIRED_ACCOUNTS_CHECK, "unmapped"): lambda r, L: f"{r.label} is not mapped to a {L} account",
    (REQUIRED_ACCOUNTS_CHECK, "not_found"): lambda r, L: (
        f"{r.label} is mapped to {_target(r.ledger_id, r.ledger_name)}, which does not exist in {L}"
    ),
    (REQUIRED_ACCOUNTS_CHECK, "inactive"): lambda r, L: (
        f"{r.label} is mapped to {_target(r.ledger_id, r.ledger_name)}, which is inactive in {L}"
    ),
    (REQUIRED_ACCOUNTS_CHECK, "wrong_type"): lambda r, L: (
        f"{r.label} is mapped to {_target(r.ledger_id, r.ledger_name)}, which is {_kind(r.ledger_type)} account "
        f"in {L}; it must be {_expected(r.expected_types)}"
    ),
    (ACTIVE_CONNECTION, "not_connected"): lambda r, L: (
        f"The {L} connection status is '{r.status}'; reconnect {L} to sync"
    ),
    (ACTIVE_CONNECTION, "no_refresh_token"): lambda r, L: (
        f"The {L} connection holds no refresh token; reconnect {L} to sync"
    ),
    (ACTIVE_CONNECTION, "refresh_expired"): lambda r, L: (
        f"The {L} authorisation expired on {r.refresh_expires_at:%Y-%m-%d %H:%M %Z}; reconnect {L} to sync"
    ),
}


def _later(column_a: str, column_b: str, reason: str, description: str) -> Rule:
    """`column_a` after `column_b`, where both are known (GX's `ignore_row_if="either_value_is_missing"`)."""

    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=column_a,
            column_B=column_b,
            ignore_row_if="either_value_is_missing",
            meta={"reason": reason},
            description=description,
        )

    def rejects(row: Columns) -> bool:
        a, b = row[column_a], row[column_b]
        return a is not None and b is not None and not a > b

    return Rule(reason, rejects, expectation)


def _mapped(what: str) -> list[Rule]:
    return [
        not_null("ledger_id", "unmapped", f"{what} is mapped"),
        one_of("found", [True], "not_found", f"The mapped {what.lower()} exists in the ledger"),
        one_of("active", [True], "inactive", f"The mapped {what.lower()} is active in the ledger"),
    ]


RULES: dict[str, list[Rule]] = {
    CHART_MAPPING: [
        *_mapped("Every active tax rate"),
        one_of(
            "own_category",
            [True],
            "same_category",
            "No technician is mapped to a tracking category a business unit is mapped to",
        ),
    ],
    REQUIRED_ACCOUNTS_CHECK: [
        *_mapped("Every required account"),
        one_of(
            "type_fits",
            [True],
            "wrong_type",
            "The mapped account has a fitting type (income, liability, expense, bank, clearing)",
        ),
    ],
    ACTIVE_CONNECTION: [
        one_of("status", ["connected"], "not_connected", "The ledger connection is connected"),
        one_of("has_refresh_token", [True], "no_refresh_token", "The connection holds a refresh token"),
        _later("refresh_expires_at", "now", "refresh_expired", "The refresh token has not expired"),
    ],
}
"""Each check's suite. A suite sees only its own check's rows."""


def _with_required_roles(accounts: list[AccountMappingRow]) -> list[AccountMappingRow]:
    """A required role the sync did not send is as good as unmapped: add it so the gate names it."""
    present = {a.role for a in accounts}
    missing = [
        AccountMappingRow(role, label, None, None, None, None, types)
        for role, (label, types) in REQUIRED_ACCOUNTS.items()
        if role not in present
    ]
    return [*accounts, *missing]


def _utc(moment: datetime | None) -> datetime | None:
    """A moment stored without a zone is UTC (the state store keeps UTC), so any two compare."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _record(row: Row) -> Columns:
    """One row of its check's suite; a column that does not apply (unmapped, not found) is None so GX skips it."""
    if isinstance(row, ConnectionRow):
        return {
            "status": row.status,
            "has_refresh_token": row.has_refresh_token,
            "refresh_expires_at": _utc(row.refresh_expires_at),
            "now": _utc(row.now),
        }
    mapped = row.ledger_id is not None
    found = mapped and row.ledger_active is not None
    record = {
        "ledger_id": row.ledger_id,
        "found": found if mapped else None,
        "active": row.ledger_active if found else None,
    }
    if isinstance(row, AccountMappingRow):
        record["type_fits"] = row.ledger_type in row.expected_types if found else None
    record["own_category"] = row.shares_category_with is None if isinstance(row, TrackingMappingRow) and found else None
    return record


def _item(row: Row, ledger: str) -> str:
    """What the bookkeeper calls the offending thing."""
    if isinstance(row, TaxRateMappingRow):
        return row.source_name
    if isinstance(row, TrackingMappingRow | AccountMappingRow):
        return row.label
    return ledger


def run_gates(inputs: RunGateInputs, *, context_dir: Path, run_name: str, publish: bool = True) -> GateReport:
    """Validate the mapping and the connection; `passed` False means nothing may be pushed.

    The rules decide in plain Python (a Great Expectations checkpoint cost a live run about a fifth of its time).
    Gates that pass are queued for Great Expectations (`context.queue_validation`), which must agree when the
    run's Data Docs are published; a failing gate goes through Great Expectations at once, for its Data Docs page
    (and the two verdicts must agree there too). With `publish` False the Data Docs pages appear only at the
    caller's `publish_docs`: a sync run publishes once, at its end, together with its record checks.
    """
    rows: list[tuple[str, Row]] = [
        *((CHART_MAPPING, r) for r in inputs.tax_rates),
        *((CHART_MAPPING, r) for r in inputs.tracking),
        *((REQUIRED_ACCOUNTS_CHECK, r) for r in _with_required_roles(inputs.accounts)),
        (ACTIVE_CONNECTION, inputs.connection),
    ]
    frames: dict[str, dict[int, Columns]] = {check: {} for check in CHECKS}
    rejected: dict[str, dict[int, list[str]]] = {check: {} for check in CHECKS}
    ledger = inputs.connection.label
    failures: list[CheckFailure] = []
    for i, (check, row) in enumerate(rows):
        values = _record(row)
        frames[check][i] = {ROW: i, **values}
        reasons = rejected[check][i] = [rule.reason for rule in RULES[check] if rule.rejects(values)]
        failures += [CheckFailure(check, _item(row, ledger), MESSAGES[(check, r)](row, ledger)) for r in reasons]
    checks = {check: not any(rejected[check].values()) for check in CHECKS}
    failed_pages = [
        page
        for check in CHECKS
        if frames[check]
        and (page := _validate(context_dir, check, frames[check], rejected[check], run_name, at_once=not checks[check]))
    ]
    if publish:
        publish_docs(context_dir)
    return GateReport(
        passed=all(checks.values()),
        failures=failures,
        checks=checks,
        docs_path=failed_pages[0] if failed_pages else docs_index(context_dir),
    )


def _validate(
    context_dir: Path,
    check: str,
    frame: dict[int, Columns],
    rejected: dict[int, list[str]],
    run_name: str,
    *,
    at_once: bool,
) -> Path | None:
    """Hand one check's rows and verdicts to Great Expectations: queued, or (`at_once`) validated now; the Data
    Docs page of a check that failed."""
    expectations = [rule.expectation for rule in RULES[check]]
    if not at_once:
        queue_validation(
            context_dir,
            suite=check,
            expectations=lambda: [e() for e in expectations],
            rows=frame,
            rejected=rejected,
            index_column=ROW,
            run_name=run_name,
        )
        return None
    import great_expectations as gx
    import pandas as pd

    suite = gx.ExpectationSuite(name=check, expectations=[e() for e in expectations])
    (outcome,) = run_checkpoint(
        context_dir,
        checkpoint=check,
        suites=[suite],
        frame=pd.DataFrame(list(frame.values())),
        index_column=ROW,
        run_name=run_name,
    )
    found: dict[int, set[str]] = {}
    for failure in outcome.failures:
        for hit in failure.rows:
            found.setdefault(int(hit[ROW]), set()).add(failure.reason)
    if found != {i: set(reasons) for i, reasons in rejected.items() if reasons}:
        raise ExpectationRunError(f"{check} ({run_name}): Great Expectations and the gate's rules disagree")
    return outcome.docs_page
