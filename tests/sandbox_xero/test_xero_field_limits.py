"""Xero's field limits and the characters it cannot store: a field one character too long is one of the
element's ValidationErrors (a 400 ValidationException when errors are summarized), one at the limit is saved;
a character XML 1.0 cannot hold is refused naming the field and the character."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session

Element = Callable[[str], dict[str, Any]]
"""The element holding the given text in the field under test."""
Build = Callable[[TestClient, Session], Element]


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _put(client: TestClient, session: Session, collection: str, element: dict[str, Any], **params: str) -> Any:
    return client.put(f"{API}/{collection}", headers=session.headers(), params=params, json={collection: [element]})


def _contact(field: str) -> Build:
    return lambda client, session: lambda text: {"Name": f"Limits {len(text)}", field: text}


def _item(field: str) -> Build:
    return lambda client, session: lambda text: {"Code": f"LIM-{len(text)}", "Name": "Limits", field: text}


def _invoice(field: str) -> Build:
    def prepare(client: TestClient, session: Session) -> Element:
        contact_id = create_contact(client, session, "Limits Customer")["ContactID"]
        if field == "Description":
            return lambda text: invoice(contact_id, [{**line("10.00"), "Description": text}])
        return lambda text: invoice(contact_id, [line("10.00")], **{field: text})

    return prepare


LIMITS = [
    pytest.param("Contacts", _contact("Name"), "The contact name must not be more than 255", 255, id="contact-name"),
    pytest.param(
        "Contacts", _contact("ContactNumber"), "The ContactNumber must not be more than 50", 50, id="contact-number"
    ),
    pytest.param(
        "Contacts", _contact("EmailAddress"), "The Email Address must not be more than 255", 255, id="contact-email"
    ),
    pytest.param("Items", _item("Code"), "The Item Code must not be more than 30", 30, id="item-code"),
    pytest.param("Items", _item("Name"), "The Item Name must not be more than 50", 50, id="item-name"),
    pytest.param(
        "Items", _item("Description"), "The Item Description must not be more than 4000", 4000, id="item-description"
    ),
    pytest.param(
        "Invoices",
        _invoice("InvoiceNumber"),
        "The Invoice Number must not be more than 255",
        255,
        id="invoice-number",
    ),
    pytest.param("Invoices", _invoice("Reference"), "The Reference must not be more than 255", 255, id="reference"),
    pytest.param(
        "Invoices", _invoice("Description"), "The Description must not be more than 4000", 4000, id="line-description"
    ),
]


@pytest.mark.parametrize(("collection", "build", "message", "maximum"), LIMITS)
def test_a_field_one_character_over_its_limit_is_a_validation_error_and_one_at_it_is_saved(
    xero: tuple[TestClient, Session], collection: str, build: Build, message: str, maximum: int
) -> None:
    client, session = xero
    element = build(client, session)
    answer = _put(client, session, collection, element("x" * (maximum + 1)), summarizeErrors="false")
    assert answer.status_code == 200
    [refused] = answer.json()[collection]
    assert refused["StatusAttributeString"] == "ERROR"
    assert [error["Message"] for error in refused["ValidationErrors"]] == [f"{message} characters long."]
    summarized = _put(client, session, collection, element("x" * (maximum + 1)))
    body = summarized.json()
    assert summarized.status_code == 400 and (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": f"{message} characters long."}]
    saved = _put(client, session, collection, element("y" * maximum), summarizeErrors="false")
    assert saved.json()[collection][0]["StatusAttributeString"] == "OK"


@pytest.mark.parametrize(("character", "code"), [("\x00", "00"), ("\x02", "02"), ("\x1b", "1B"), ("\uffff", "FFFF")])
@pytest.mark.parametrize(
    ("collection", "build", "field"),
    [
        pytest.param("Contacts", _contact("Name"), "Name", id="contact-name"),
        pytest.param("Contacts", _contact("EmailAddress"), "EmailAddress", id="contact-email"),
        pytest.param("Items", _item("Description"), "Description", id="item-description"),
        pytest.param("Invoices", _invoice("Description"), "LineItems.Description", id="line-description"),
        pytest.param("Invoices", _invoice("Reference"), "Reference", id="reference"),
    ],
)
def test_a_character_xml_cannot_hold_is_refused_naming_the_field(
    xero: tuple[TestClient, Session], collection: str, build: Build, field: str, character: str, code: str
) -> None:
    client, session = xero
    answer = _put(client, session, collection, build(client, session)(f"Before{character}after"))
    assert answer.status_code == 400
    [element] = answer.json()["Elements"]
    assert {"Message": f"{field}: hexadecimal value 0x{code}, is an invalid character."} in element["ValidationErrors"]
    listed = client.get(f"{API}/{collection}", headers=session.headers()).json()[collection]
    assert not any(character in str(doc) for doc in listed)


def test_tabs_and_line_breaks_are_legal_in_free_text(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    answer = _put(client, session, "Items", {"Code": "TXT", "Description": "a\tb\nc\r\nd"}, summarizeErrors="false")
    assert answer.json()["Items"][0]["Description"] == "a\tb\nc\r\nd"
