"""Tracking categories in the Xero sandbox (issue 17): `GET /TrackingCategories` with and without the archived ones,
and the refusals of a line item's `Tracking`: more than two categories, two options of one category, an unknown
option name, an archived option."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _categories(client: TestClient, session: Session, **params: str) -> dict[str, dict[str, Any]]:
    answer = client.get(f"{API}/TrackingCategories", headers=session.headers(), params=params)
    assert answer.status_code == 200, answer.text
    return {category["Name"]: category for category in answer.json()["TrackingCategories"]}


def _tracked(client: TestClient, session: Session, tracking: list[dict[str, Any]]) -> dict[str, Any]:
    contact = create_contact(client, session, f"Tracked Customer {len(tracking)} {id(tracking)}")
    body = invoice(contact["ContactID"], [{**line("100.00"), "Tracking": tracking}])
    answer = client.put(
        f"{API}/Invoices", headers=session.headers(), params={"summarizeErrors": "false"}, json={"Invoices": [body]}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"][0]


def _errors(element: dict[str, Any]) -> str:
    assert element["StatusAttributeString"] == "ERROR", element
    return " ".join(error["Message"] for error in element["ValidationErrors"])


def test_tracking_categories_list_the_active_options_and_the_archived_ones_on_request(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    active = _categories(client, session)
    assert set(active) == {"Business Unit", "Technician"}
    assert [o["Name"] for o in active["Technician"]["Options"]] == ["Alex Rivera", "Sam Chen"]
    everything = _categories(client, session, includeArchived="true")
    statuses = {o["Name"]: o["Status"] for o in everything["Technician"]["Options"]}
    assert statuses == {"Alex Rivera": "ACTIVE", "Sam Chen": "ACTIVE", "Former Technician": "ARCHIVED"}


def test_a_line_carries_one_option_of_each_of_two_categories_saved_with_their_ids(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    tracking = [{"Name": "business unit", "Option": "North Branch"}, {"Name": "Technician", "Option": "sam chen"}]
    saved = _tracked(client, session, tracking)
    assert saved["StatusAttributeString"] == "OK", saved
    categories = _categories(client, session)
    sam = next(o for o in categories["Technician"]["Options"] if o["Name"] == "Sam Chen")
    (line_item,) = saved["LineItems"]
    assert [(t["Name"], t["Option"]) for t in line_item["Tracking"]] == [
        ("Business Unit", "North Branch"),
        ("Technician", "Sam Chen"),
    ]
    assert line_item["Tracking"][1]["TrackingOptionID"] == sam["TrackingOptionID"]
    by_id = [
        {
            "TrackingCategoryID": categories["Technician"]["TrackingCategoryID"],
            "TrackingOptionID": sam["TrackingOptionID"],
        }
    ]
    assert _tracked(client, session, by_id)["LineItems"][0]["Tracking"][0]["Option"] == "Sam Chen"


def test_a_line_with_three_categories_two_options_of_one_an_unknown_or_an_archived_option_is_refused(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    north = {"Name": "Business Unit", "Option": "North Branch"}
    alex = {"Name": "Technician", "Option": "Alex Rivera"}
    assert "at most 2 tracking categories" in _errors(_tracked(client, session, [north, alex, alex]))
    assert "only one option" in _errors(_tracked(client, session, [alex, {"Name": "Technician", "Option": "Sam Chen"}]))
    assert "'Nobody'" in _errors(_tracked(client, session, [{"Name": "Technician", "Option": "Nobody"}]))
    assert "'Region'" in _errors(_tracked(client, session, [{"Name": "Region", "Option": "North"}]))
    archived = _errors(_tracked(client, session, [{"Name": "Technician", "Option": "Former Technician"}]))
    assert "'Former Technician' does not exist or is not active" in archived
