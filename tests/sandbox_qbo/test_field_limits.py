"""QBO's field limits and the characters it cannot store: a string one character too long is 2050 naming the
element and both lengths, one at the limit is saved; a character XML 1.0 cannot hold is 2040 wherever it is."""

from collections.abc import Callable
from typing import Any

import pytest

from .helpers import Qbo, assert_fault

Body = Callable[[str], tuple[str, dict[str, Any]]]
"""(entity, body) holding the given text in the field under test."""
Build = Callable[[Qbo], Body]
"""Creates what the body refers to, once, and returns how to build it."""


def _customer(field: str) -> Build:
    return lambda qbo: lambda text: ("Customer", {"DisplayName": "Limits Co", field: text})


def _email(qbo: Qbo) -> Body:
    return lambda text: ("Customer", {"DisplayName": "Limits Co", "PrimaryEmailAddr": {"Address": text}})


def _item(field: str) -> Build:
    def prepare(qbo: Qbo) -> Body:
        income = {"value": qbo.named("Account", "Services")["Id"]}
        return lambda text: (
            "Item",
            {"Name": "Limits item", "Type": "Service", "IncomeAccountRef": income, field: text},
        )

    return prepare


def _invoice(field: str) -> Build:
    def prepare(qbo: Qbo) -> Body:
        line = qbo.sales_line(qbo.item(), "1", "10", "10", "GST")
        customer = {"value": qbo.customer()["Id"]}
        if field == "Line.Description":
            return lambda text: ("Invoice", {"CustomerRef": customer, "Line": [{**line, "Description": text}]})
        return lambda text: ("Invoice", {"CustomerRef": customer, "Line": [line], field: text})

    return prepare


def _payment(field: str) -> Build:
    def prepare(qbo: Qbo) -> Body:
        customer = {"value": qbo.customer()["Id"]}
        return lambda text: ("Payment", {"CustomerRef": customer, "TotalAmt": 5, field: text})

    return prepare


LIMITS = [
    pytest.param(_customer("DisplayName"), "DisplayName", 500, id="customer-display-name"),
    pytest.param(_customer("Notes"), "Notes", 1024, id="customer-notes"),
    pytest.param(_email, "PrimaryEmailAddr.Address", 100, id="customer-email"),
    pytest.param(_item("Name"), "Name", 100, id="item-name"),
    pytest.param(_item("Description"), "Description", 4000, id="item-description"),
    pytest.param(_item("Sku"), "Sku", 100, id="item-sku"),
    pytest.param(_invoice("DocNumber"), "DocNumber", 21, id="invoice-doc-number"),
    pytest.param(_invoice("PrivateNote"), "PrivateNote", 4000, id="invoice-private-note"),
    pytest.param(_invoice("Line.Description"), "Line.Description", 4000, id="invoice-line-description"),
    pytest.param(_payment("PaymentRefNum"), "PaymentRefNum", 21, id="payment-ref-num"),
    pytest.param(_payment("PrivateNote"), "PrivateNote", 4000, id="payment-private-note"),
]


@pytest.mark.parametrize(("build", "element", "maximum"), LIMITS)
def test_a_field_one_character_over_its_limit_is_2050_and_one_at_it_is_saved(
    qbo: Qbo, build: Build, element: str, maximum: int
) -> None:
    body = build(qbo)
    entity, over = body("x" * (maximum + 1))
    error = assert_fault(qbo.post(entity, over), 400, "2050")
    assert error["Message"] == "String length is either shorter or longer than supported by specification"
    assert error["element"] == element
    assert f"Max:{maximum} supported. Supplied length:{maximum + 1}" in error["Detail"]
    entity, fits = body("y" * maximum)
    assert qbo.post(entity, fits).status_code == 200


@pytest.mark.parametrize("character", ["\x00", "\x07", "\x0b", "\x1f", "\ufffe"], ids=repr)
@pytest.mark.parametrize(
    ("build", "element"),
    [
        pytest.param(_customer("DisplayName"), "DisplayName", id="display-name"),
        pytest.param(_customer("Notes"), "Notes", id="notes"),
        pytest.param(_item("Description"), "Description", id="item-description"),
        pytest.param(_invoice("Line.Description"), "Line.Description", id="line-description"),
        pytest.param(_payment("PrivateNote"), "PrivateNote", id="payment-private-note"),
    ],
)
def test_a_character_xml_cannot_hold_is_2040_naming_the_element(
    qbo: Qbo, build: Build, element: str, character: str
) -> None:
    entity, body = build(qbo)(f"Before{character}after")
    before = len(qbo.rows(f"SELECT * FROM {entity}"))
    error = assert_fault(qbo.post(entity, body), 400, "2040")
    assert (error["Message"], error["element"]) == ("Invalid String", element)
    assert len(qbo.rows(f"SELECT * FROM {entity}")) == before


def test_tabs_and_line_breaks_are_stored_in_free_text_but_not_in_names(qbo: Qbo) -> None:
    """They are legal XML: a customer's Notes keep them (a carriage return too); a name refuses them (2040)."""
    saved = qbo.create("Customer", {"DisplayName": "Free Text Co", "Notes": "a\tb\nc\r\nd"})
    assert saved["Notes"] == "a\tb\nc\r\nd"
    assert_fault(qbo.post("Customer", {"DisplayName": "Carriage\rReturn Co"}), 400, "2040")


def test_a_colon_in_an_item_name_is_2040(qbo: Qbo) -> None:
    income = qbo.named("Account", "Services")
    body = {"Name": "Parts:Filters", "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}}
    error = assert_fault(qbo.post("Item", body), 400, "2040")
    assert error["element"] == "Name"


def test_in_a_batch_only_the_item_with_a_bad_field_is_refused(qbo: Qbo) -> None:
    answer = qbo.batch(
        [
            {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch Fine"}},
            {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Batch\x00Nul"}},
            {"bId": "3", "operation": "create", "Customer": {"DisplayName": "Batch Long", "Notes": "n" * 1025}},
        ]
    )
    assert answer.status_code == 200
    fine, nul, long = answer.json()["BatchItemResponse"]
    assert fine["Customer"]["DisplayName"] == "Batch Fine"
    assert (nul["Fault"]["Error"][0]["code"], nul["Fault"]["Error"][0]["element"]) == ("2040", "DisplayName")
    assert (long["Fault"]["Error"][0]["code"], long["Fault"]["Error"][0]["element"]) == ("2050", "Notes")
    assert [c["DisplayName"] for c in qbo.rows("SELECT * FROM Customer WHERE DisplayName LIKE 'Batch%'")] == [
        "Batch Fine"
    ]
