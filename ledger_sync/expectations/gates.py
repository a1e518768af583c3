"""Run-level gates: a broken chart mapping (tax rates; business units and technicians where tracked), account
mapping or connection stops the whole run.

One checkpoint validates three suites over one DataFrame (a checkpoint feeds the same batch to
every suite; each suite selects its own rows by the `check` column); Data Docs show the result. Every
failure names the offending tax rate, account or connection and says what is wrong with it.
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger_sync.expectations.context import docs_index, publish_docs, run_checkpoint
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

if TYPE_CHECKING:
    from great_expectations import ExpectationSuite

CHART_MAPPING = "chart_mapping"
REQUIRED_ACCOUNTS_CHECK = "required_accounts"
ACTIVE_CONNECTION = "active_connection"
CHECKS = (CHART_MAPPING, REQUIRED_ACCOUNTS_CHECK, ACTIVE_CONNECTION)
CHECKPOINT = "run_gates"
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


def _suites() -> list["ExpectationSuite"]:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.expectations.row_conditions import Column

    def mapped(check: str, what: str) -> list[Any]:
        rows = Column("check") == check
        return [
            gxe.ExpectColumnValuesToNotBeNull(
                column="ledger_id", row_condition=rows, meta={"reason": "unmapped"}, description=f"{what} is mapped"
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="found",
                value_set=[True],
                row_condition=rows,
                meta={"reason": "not_found"},
                description=f"The mapped {what.lower()} exists in the ledger",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="active",
                value_set=[True],
                row_condition=rows,
                meta={"reason": "inactive"},
                description=f"The mapped {what.lower()} is active in the ledger",
            ),
        ]

    connection = Column("check") == ACTIVE_CONNECTION
    return [
        gx.ExpectationSuite(
            name=CHART_MAPPING,
            expectations=[
                *mapped(CHART_MAPPING, "Every active tax rate"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="own_category",
                    value_set=[True],
                    row_condition=Column("check") == CHART_MAPPING,
                    meta={"reason": "same_category"},
                    description="No technician is mapped to a tracking category a business unit is mapped to",
                ),
            ],
        ),
        gx.ExpectationSuite(
            name=REQUIRED_ACCOUNTS_CHECK,
            expectations=[
                *mapped(REQUIRED_ACCOUNTS_CHECK, "Every required account"),
                gxe.ExpectColumnValuesToBeInSet(
                    column="type_fits",
                    value_set=[True],
                    row_condition=Column("check") == REQUIRED_ACCOUNTS_CHECK,
                    meta={"reason": "wrong_type"},
                    description="The mapped account has a fitting type (income, liability, expense, bank, clearing)",
                ),
            ],
        ),
        gx.ExpectationSuite(
            name=ACTIVE_CONNECTION,
            expectations=[
                gxe.ExpectColumnValuesToBeInSet(
                    column="status",
                    value_set=["connected"],
                    row_condition=connection,
                    meta={"reason": "not_connected"},
                    description="The ledger connection is connected",
                ),
                gxe.ExpectColumnValuesToBeInSet(
                    column="has_refresh_token",
                    value_set=[True],
                    row_condition=connection,
                    meta={"reason": "no_refresh_token"},
                    description="The connection holds a refresh token",
                ),
                gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                    column_A="refresh_expires_at",
                    column_B="now",
                    ignore_row_if="either_value_is_missing",
                    row_condition=connection,
                    meta={"reason": "refresh_expired"},
                    description="The refresh token has not expired",
                ),
            ],
        ),
    ]


def _with_required_roles(accounts: list[AccountMappingRow]) -> list[AccountMappingRow]:
    """A required role the sync did not send is as good as unmapped: add it so the gate names it."""
    present = {a.role for a in accounts}
    missing = [
        AccountMappingRow(role, label, None, None, None, None, types)
        for role, (label, types) in REQUIRED_ACCOUNTS.items()
        if role not in present
    ]
    return [*accounts, *missing]


def _record(check: str, row: Row) -> dict[str, Any]:
    """One DataFrame row; a column that does not apply (unmapped, not found) is None so GX skips it."""
    if isinstance(row, ConnectionRow):
        return {
            "check": check,
            "status": row.status,
            "has_refresh_token": row.has_refresh_token,
            "refresh_expires_at": row.refresh_expires_at,
            "now": row.now,
        }
    mapped = row.ledger_id is not None
    found = mapped and row.ledger_active is not None
    record = {
        "check": check,
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

    With `publish` False the Data Docs pages (`docs_path`) appear only at the caller's `publish_docs`:
    a sync run publishes once, at its end, together with its record checks.
    """
    import pandas as pd

    rows: list[tuple[str, Row]] = [
        *((CHART_MAPPING, r) for r in inputs.tax_rates),
        *((CHART_MAPPING, r) for r in inputs.tracking),
        *((REQUIRED_ACCOUNTS_CHECK, r) for r in _with_required_roles(inputs.accounts)),
        (ACTIVE_CONNECTION, inputs.connection),
    ]
    frame = pd.DataFrame([{ROW: i, **_record(check, row)} for i, (check, row) in enumerate(rows)])
    for column in ("refresh_expires_at", "now"):  # one dtype, even when every value is missing
        frame[column] = pd.to_datetime(frame[column], utc=True)
    outcomes = run_checkpoint(
        context_dir, checkpoint=CHECKPOINT, suites=_suites(), frame=frame, index_column=ROW, run_name=run_name
    )
    if publish:
        publish_docs(context_dir)
    ledger = inputs.connection.label
    found: list[tuple[int, int, CheckFailure]] = []
    for outcome in outcomes:
        for order, failure in enumerate(outcome.failures):
            for hit in failure.rows:
                check, row = rows[int(hit[ROW])]
                item = _item(row, ledger)
                message = MESSAGES[(check, failure.reason)](row, ledger)
                found.append((int(hit[ROW]), order, CheckFailure(check=check, item=item, message=message)))
    failures = [f for _, _, f in sorted(found, key=lambda t: (t[0], t[1]))]
    checks = {o.suite: o.success for o in outcomes}
    failed_pages = [o.docs_page for o in outcomes if not o.success and o.docs_page]
    return GateReport(
        passed=all(checks.values()),
        failures=failures,
        checks=checks,
        docs_path=failed_pages[0] if failed_pages else docs_index(context_dir),
    )
