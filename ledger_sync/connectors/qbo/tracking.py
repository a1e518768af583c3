"""QBO's tracking: classes and departments (locations), and where a transaction carries them.

`Preferences.AccountingInfoPrefs` says which are on: `ClassTrackingPerTxnLine` puts a `ClassRef` on each sales
line, `ClassTrackingPerTxn` one on the transaction, `TrackDepartments` a `DepartmentRef` on the transaction. What
is off is not offered (QBO may drop a reference it does not track). Option ids are "Class/<Id>" and
"Department/<Id>": the two lists number their entries apart.
"""

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ledger_sync.connectors.qbo.query import ALL_ACTIVE_STATES, Queryable, select_all
from ledger_sync.core.records import InvoiceLineRecord, InvoiceRecord
from ledger_sync.core.tracking import LedgerTrackingOption, TrackingLevel, TrackingTag

SALES = "SalesItemLineDetail"
CATEGORIES = {"Class": "Class", "Department": "Location"}
"""QBO entity -> the name its UI gives the dimension (departments show as locations)."""


def read_tracking_options(client: Queryable) -> list[LedgerTrackingOption]:
    preferences = client.query("SELECT * FROM Preferences").get("QueryResponse", {}).get("Preferences") or []
    first: Mapping[str, Any] = next(iter(preferences), {})
    prefs: Mapping[str, Any] = first.get("AccountingInfoPrefs") or {}
    levels: dict[str, TrackingLevel] = {}
    if prefs.get("ClassTrackingPerTxnLine") is True:
        levels["Class"] = TrackingLevel.LINE
    elif prefs.get("ClassTrackingPerTxn") is True:
        levels["Class"] = TrackingLevel.TRANSACTION
    if prefs.get("TrackDepartments") is True:
        levels["Department"] = TrackingLevel.TRANSACTION
    return [
        LedgerTrackingOption(
            id=f"{entity}/{found['Id']}",
            name=str(found.get("FullyQualifiedName") or found.get("Name", "")),
            category_id=entity,
            category=CATEGORIES[entity],
            active=found.get("Active", True) is not False,
            level=level,
        )
        for entity, level in levels.items()
        for found in select_all(client, entity, ALL_ACTIVE_STATES)
    ]


def _ref(carried: TrackingTag) -> dict[str, str]:
    return {"value": carried.option_id.split("/", 1)[1], "name": carried.option}


def transaction_refs(record: InvoiceRecord) -> dict[str, Any]:
    """The transaction's `DepartmentRef` / `ClassRef`."""
    return {f"{carried.category_id}Ref": _ref(carried) for carried in record.tracking}


def line_refs(line: InvoiceLineRecord) -> dict[str, Any]:
    """A sales line's `ClassRef` (the only tracking QBO carries on a line)."""
    return {f"{carried.category_id}Ref": _ref(carried) for carried in line.tracking}


def revenue_by_option(entity: Mapping[str, Any]) -> tuple[tuple[str, Decimal], ...]:
    """A saved invoice's net sales-line revenue per class and department, as it holds them."""
    on_transaction = [
        f"{kind}/{ref['value']}" for kind in CATEGORIES if isinstance(ref := entity.get(f"{kind}Ref"), dict)
    ]
    totals: dict[str, Decimal] = {}
    for line in entity.get("Line") or []:
        detail = line.get(SALES)
        if line.get("DetailType") != SALES or not isinstance(detail, dict):
            continue
        on_line = [f"Class/{ref['value']}"] if isinstance(ref := detail.get("ClassRef"), dict) else []
        for option in _distinct([*on_transaction, *on_line]):
            totals[option] = totals.get(option, Decimal(0)) + Decimal(str(line.get("Amount", 0)))
    return tuple(sorted(totals.items()))


def _distinct(options: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(options))
