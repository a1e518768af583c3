"""Classes and departments (locations) in the QBO sandbox (issue 17): listed like other name lists, named on an
invoice's lines (`ClassRef`, class tracking per line) and on the invoice (`DepartmentRef`), and refused when
inactive, unknown, or where the company's preferences do not track them."""

from typing import Any

from fastapi.testclient import TestClient

from .helpers import Qbo, assert_fault


def _named(qbo: Qbo, entity: str, name: str) -> dict[str, Any]:
    [row] = qbo.rows(f"SELECT * FROM {entity} WHERE Name = '{name}' AND Active IN (true, false)")
    return row


def _invoice(qbo: Qbo, class_ref: dict[str, str] | None, **fields: Any) -> dict[str, Any]:
    item = next(iter(qbo.rows("SELECT * FROM Item")), None) or qbo.item()
    customer = next(iter(qbo.rows("SELECT * FROM Customer")), None) or qbo.customer()
    line = qbo.sales_line(item, "2", "95.00", "190.00", "HST ON")
    if class_ref is not None:
        line["SalesItemLineDetail"]["ClassRef"] = class_ref
    return {"CustomerRef": {"value": customer["Id"]}, "Line": [line], **fields}


def test_classes_and_departments_are_listed_active_by_default_and_preferences_turn_them_on(qbo: Qbo) -> None:
    assert [c["Name"] for c in qbo.rows("SELECT * FROM Class")] == ["Alex Rivera", "Sam Chen"]
    assert _named(qbo, "Department", "Closed Branch")["Active"] is False
    [prefs] = qbo.rows("SELECT * FROM Preferences")
    tracking = prefs["AccountingInfoPrefs"]
    assert (tracking["ClassTrackingPerTxnLine"], tracking["ClassTrackingPerTxn"], tracking["TrackDepartments"]) == (
        True,
        False,
        True,
    )


def test_an_invoice_carries_a_class_per_line_and_a_department_named_as_qbo_answers(qbo: Qbo) -> None:
    alex, north = _named(qbo, "Class", "Alex Rivera"), _named(qbo, "Department", "North Branch")
    saved = qbo.create("Invoice", _invoice(qbo, {"value": alex["Id"]}, DepartmentRef={"value": north["Id"]}))
    assert saved["DepartmentRef"] == {"value": north["Id"], "name": "North Branch"}
    sales = [line for line in saved["Line"] if line["DetailType"] == "SalesItemLineDetail"]
    assert sales[0]["SalesItemLineDetail"]["ClassRef"] == {"value": alex["Id"], "name": "Alex Rivera"}


def test_an_inactive_or_unknown_class_or_department_is_refused(qbo: Qbo) -> None:
    former = _named(qbo, "Class", "Former Technician")
    assert_fault(qbo.post("Invoice", _invoice(qbo, {"value": former["Id"]})), 400, "610")
    assert_fault(qbo.post("Invoice", _invoice(qbo, {"value": "9999"})), 400, "2500")
    closed = _named(qbo, "Department", "Closed Branch")
    assert_fault(qbo.post("Invoice", _invoice(qbo, None, DepartmentRef={"value": closed["Id"]})), 400, "610")


def test_a_class_where_its_preference_is_off_is_refused(qbo: Qbo, client: TestClient) -> None:
    """Per transaction only: a line's ClassRef is refused, the invoice's taken (stricter than a silent drop)."""
    prefs = {"AccountingInfoPrefs": {"ClassTrackingPerTxnLine": False, "ClassTrackingPerTxn": True}}
    assert client.patch(f"/_sandbox/realms/{qbo.realm_id}/Preferences/1", json=prefs).status_code == 200
    [kept] = qbo.rows("SELECT * FROM Preferences")
    assert kept["AccountingInfoPrefs"]["TrackDepartments"] is True, "a settings change keeps the other settings"
    sam = {"value": _named(qbo, "Class", "Sam Chen")["Id"]}
    assert_fault(qbo.post("Invoice", _invoice(qbo, sam)), 400, "6000", "ValidationFault")
    assert qbo.create("Invoice", _invoice(qbo, None, ClassRef=sam))["ClassRef"]["name"] == "Sam Chen"


def test_a_class_is_created_with_a_name_no_other_class_has(qbo: Qbo) -> None:
    created = qbo.create("Class", {"Name": "Jordan Blake"})
    assert (created["FullyQualifiedName"], created["Active"]) == ("Jordan Blake", True)
    assert_fault(qbo.post("Class", {"Name": "jordan blake"}), 400, "6240")
