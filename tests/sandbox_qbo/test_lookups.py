"""The store's indexed lookups answer exactly what a scan of the company would, for awkward values too."""

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger_sync.sandboxes.qbo.books import name_key
from ledger_sync.sandboxes.qbo.store import LOOKUP_INDEXES, Store

from .helpers import Qbo, assert_fault

REALM = "1"
PEOPLE = ("Customer", "Vendor", "Employee")
NAMES = ["Acme", " ACME ", "acme\u00a0", "Straße", "STRASSE", "strasse ", "Ünïcode", "ünÏcode", "Plain", "plain co"]
NAMES += ["\u212aelvin", "kelvin"]  # the Kelvin sign casefolds to an ASCII k


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "lookups.db")


def put_all(store: Store, entity: str, bodies: list[dict[str, Any]]) -> None:
    for number, body in enumerate(bodies, start=1):
        store.put(REALM, entity, {"Id": str(number), **body})


def scanned_names(store: Store, entities: tuple[str, ...], field: str, name: str) -> list[tuple[str, str]]:
    """What the sandbox computed before it had indexes: every record of every kind, compared in Python."""
    return [
        (entity, body["Id"])
        for entity in entities
        for body in store.all(REALM, entity)
        if isinstance(body.get(field), str) and name_key(body[field]) == name_key(name)
    ]


def test_named_matches_a_full_scan_for_case_space_and_non_ascii_names(store: Store) -> None:
    for offset, entity in enumerate(PEOPLE):
        put_all(store, entity, [{"DisplayName": name} for name in [*NAMES[offset:], "Missing"]])
    put_all(store, "Item", [{"Name": name} for name in NAMES] + [{"Type": "NoName"}, {"Name": 7}])
    for query in [*NAMES, "acme", "STRAßE", "nobody", "\u00a0plain\u2003"]:
        found = store.named(REALM, PEOPLE, "DisplayName", query)
        assert [(e, b["Id"]) for e, b in found] == scanned_names(store, PEOPLE, "DisplayName", query), query
        items = [(e, b["Id"]) for e, b in store.named(REALM, ("Item",), "Name", query)]
        assert items == scanned_names(store, ("Item",), "Name", query), query
    assert [(e, b["Id"]) for e, b in store.named(REALM, PEOPLE, "DisplayName", "acme")][:2] == [
        ("Customer", "1"),
        ("Customer", "2"),
    ]


def test_find_by_matches_text_exactly(store: Store) -> None:
    put_all(store, "Invoice", [{"DocNumber": v} for v in ["1001", "1001 ", 1001, "1001", "so-1"]])
    assert [b["Id"] for b in store.find_by(REALM, "Invoice", "DocNumber", "1001")] == ["1", "4"]
    assert store.find_by(REALM, "Invoice", "DocNumber", "SO-1") == []


@pytest.mark.parametrize(
    ("numbers", "largest"),
    [
        ([], None),
        (["abc", "12a", "", None, "-5"], None),
        (["0999", "1005", "20", "SO-9999"], 1005),
        ([1200, "1100", -3000, True, Decimal("5000.0")], 1200),
        (["99999999999999999999", "5"], 99999999999999999999),
        ([9223372036854775807, 9007199254740993, "5"], 9223372036854775807),
        ([18446744073709551615, "5"], 18446744073709551615),  # past SQLite's integers: decided in Python
        (["\u0661\u0662\u0663\u0664\u0665", "1000"], 12345),  # Arabic-Indic digits: str.isdigit() and int() agree
        (["000", "0"], 0),
    ],
)
def test_largest_number_is_the_largest_digit_doc_number(store: Store, numbers: list[Any], largest: int | None) -> None:
    put_all(store, "Invoice", [{"DocNumber": number} for number in numbers])
    assert store.largest_number(REALM, "Invoice", "DocNumber") == largest


def payment(*links: tuple[object, str], txn_type: str = "Invoice") -> dict[str, Any]:
    return {"Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": txn, "TxnType": txn_type}]} for txn, amount in links]}


def test_payments_linking_follows_updates(store: Store) -> None:
    put_all(store, "Payment", [payment(("7", "1")), payment((7, "2"), ("8", "3")), payment(("8", "4"))])
    assert [p["Id"] for p in store.payments_linking(REALM, "7")] == ["1", "2"]
    store.put(REALM, "Payment", {"Id": "1", **payment(("8", "1"))})
    assert [p["Id"] for p in store.payments_linking(REALM, "7")] == ["2"]
    assert [p["Id"] for p in store.payments_linking(REALM, "8")] == ["1", "2", "3"]


def test_a_sandbox_file_from_before_the_indexes_gets_them_and_its_payment_links(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    put_all(Store(path), "Payment", [payment(("7", "1")), payment(("7", "2"))])
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE payment_links")
        for name in LOOKUP_INDEXES:
            db.execute(f"DROP INDEX {name}")
    reopened = Store(path)
    assert [p["Id"] for p in reopened.payments_linking(REALM, "7")] == ["1", "2"]
    with sqlite3.connect(path) as db:
        indexes = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert set(LOOKUP_INDEXES) <= indexes


def test_non_ascii_display_names_clash_as_qbo_compares_them(qbo: Qbo) -> None:
    vendor = qbo.create("Vendor", {"DisplayName": "Straße Supplies"})
    error = assert_fault(qbo.post("Customer", {"DisplayName": " STRASSE supplies "}), 400, "6240")
    assert f"Id={vendor['Id']}" in error["Detail"]


def test_new_invoices_are_numbered_after_the_largest_numeric_doc_number(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    for number in ("0999", "1005", "SO-2000"):
        qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line], "DocNumber": number})
    numbered = qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert numbered["DocNumber"] == "1006"
