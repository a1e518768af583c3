"""Classes and departments (locations): what a QBO company tracks revenue by, and where a transaction may name them.

`Preferences.AccountingInfoPrefs` turns them on: `ClassTrackingPerTxnLine` (a `ClassRef` on each sales line's
`SalesItemLineDetail`), `ClassTrackingPerTxn` (one `ClassRef` on the transaction), `TrackDepartments` (one
`DepartmentRef` on the transaction; QBO's UI calls departments locations). A reference is refused as any other:
2500 when unknown, 610 when the class or department is inactive. QBO does not document what it does with a
`ClassRef` where its preference is off (it may drop it silently): the sandbox refuses it (stricter), so a
sync that believes it tracks revenue never loses the tracking unseen.
"""

from typing import Any

from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.books import Books, ref_id

SALES = "SalesItemLineDetail"
KINDS = ("Class", "Department")

CLASSES: tuple[tuple[str, bool], ...] = (("Alex Rivera", True), ("Sam Chen", True), ("Former Technician", False))
"""A new sandbox company's classes (name, active): one per technician, as a field-service company sets them up."""
DEPARTMENTS: tuple[tuple[str, bool], ...] = (("North Branch", True), ("South Branch", True), ("Closed Branch", False))
"""Its departments (locations): one per branch."""
TRACKING_PREFS = {
    "ClassTrackingPerTxnLine": True,
    "ClassTrackingPerTxn": False,
    "TrackDepartments": True,
    "DepartmentTerminology": "Location",
}


def company_tracking() -> dict[str, list[dict[str, Any]]]:
    return {
        kind: [{"Name": name, "FullyQualifiedName": name, "SubClass": False, "Active": active} for name, active in rows]
        for kind, rows in (("Class", CLASSES), ("Department", DEPARTMENTS))
    }


def _prefs(books: Books) -> dict[str, Any]:
    return next(iter(books.all("Preferences")), {}).get("AccountingInfoPrefs") or {}


def _tracked(books: Books, entity: str, ref: object, element: str, preference: str) -> dict[str, Any]:
    """The active class or department `ref` names, where the company's preference lets the transaction name it."""
    if _prefs(books).get(preference) is not True:
        raise faults.business(f"{element} cannot be used: {preference} is turned off in the company's preferences.")
    target_id = ref_id(ref)
    target = books.get(entity, target_id) if target_id is not None else None
    if target is None:
        raise faults.invalid_reference(element)
    if target.get("Active") is False:
        raise faults.object_not_found(element)
    return target


def check_transaction(books: Books, body: dict[str, Any]) -> None:
    """The transaction's `DepartmentRef` and `ClassRef`, and each sales line's `ClassRef`."""
    if "DepartmentRef" in body:
        _tracked(books, "Department", body["DepartmentRef"], "DepartmentRef", "TrackDepartments")
    if "ClassRef" in body:
        _tracked(books, "Class", body["ClassRef"], "ClassRef", "ClassTrackingPerTxn")
    for line in body.get("Line") or []:
        detail = line.get(SALES) if isinstance(line, dict) else None
        if isinstance(detail, dict) and "ClassRef" in detail:
            _tracked(books, "Class", detail["ClassRef"], f"Line.{SALES}.ClassRef", "ClassTrackingPerTxnLine")


def name_references(books: Books, priced: dict[str, Any]) -> None:
    """Give the saved transaction's tracking references their names, as QBO answers them."""

    def named(entity: str, ref: dict[str, Any]) -> dict[str, Any]:
        target = books.get(entity, ref_id(ref) or "") or {}
        return {**ref, "name": target.get("FullyQualifiedName", target.get("Name", ""))}

    for key, entity in (("DepartmentRef", "Department"), ("ClassRef", "Class")):
        if isinstance(priced.get(key), dict):
            priced[key] = named(entity, priced[key])
    for line in priced.get("Line") or []:
        detail = line.get(SALES)
        if isinstance(detail, dict) and isinstance(detail.get("ClassRef"), dict):
            detail["ClassRef"] = named("Class", detail["ClassRef"])


def check_list_entry(books: Books, entity: str, body: dict[str, Any]) -> None:
    """A class or department: a Name of at most 100 characters that no other of its kind uses (6240)."""
    name = body.get("Name")
    if not isinstance(name, str) or not name.strip():
        raise faults.required("Name")
    if len(name) > 100:
        raise faults.string_length("Name", 100, len(name))
    for _, other in books.named((entity,), "Name", name):
        if other["Id"] != body.get("Id"):
            raise faults.duplicate_name(other["Id"], entity.lower())
    body["FullyQualifiedName"] = name
