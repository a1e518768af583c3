"""The sandbox against Xero's own contracts: the official OpenAPI specs, recorded real traffic, the SDK."""

import inspect
import json
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

pytest.importorskip("openapi_core", reason="openapi-core (spec validation) is not installed")
pytest.importorskip("xero_python", reason="the official xero-python SDK is not installed")

from xero_python.accounting import AccountingApi, Contact, Contacts, Invoice, Invoices, LineItem
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token
from xero_python.identity import IdentityApi

from ledger_sync.sandboxes.serve import serving
from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

from . import (
    test_xero_accounting,
    test_xero_bank_transactions,
    test_xero_credit_notes,
    test_xero_identity,
    test_xero_limits,
    test_xero_lock_dates,
    test_xero_prepayments,
    test_xero_tracking,
)
from .helpers import API, connect, create_contact, invoice, line, xero_session
from .spec_check import check_traffic, load_yaml, xero_dir

pytestmark = pytest.mark.contract

BEHAVIOURS: list[Callable[..., None]] = [
    function
    for module in (
        test_xero_identity,
        test_xero_accounting,
        test_xero_credit_notes,
        test_xero_limits,
        test_xero_bank_transactions,
        test_xero_lock_dates,
        test_xero_prepayments,
        test_xero_tracking,
    )
    for name, function in vars(module).items()
    if name.startswith("test_") and callable(function)
]


@pytest.mark.parametrize("behaviour", BEHAVIOURS, ids=lambda function: function.__name__)
def test_every_response_of_the_behaviour_tests_follows_the_specs(
    behaviour: Callable[..., None], tmp_path: Path, traffic: list[httpx.Response]
) -> None:
    xero_dir("specs")
    arguments: dict[str, Any] = {}
    wanted = inspect.signature(behaviour).parameters
    if "tmp_path" in wanted:
        arguments["tmp_path"] = tmp_path
    if "xero" in wanted:
        arguments["xero"] = xero_session(tmp_path)
    behaviour(**arguments)
    assert traffic, "the recording wrapper saw no traffic"
    assert check_traffic(traffic).violations == []


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def _shape(records: list[dict[str, Any]]) -> tuple[set[str], set[str], dict[str, set[str]]]:
    """(keys in any record, keys in every record, JSON types per key)."""
    every = set.intersection(*(set(record) for record in records))
    types: dict[str, set[str]] = {}
    for record in records:
        for key, value in record.items():
            types.setdefault(key, set()).add(_json_type(value))
    return set(types), every, types


def _compare(ours: list[dict[str, Any]], real: list[dict[str, Any]], what: str) -> list[str]:
    ours_any, _, ours_types = _shape(ours)
    real_any, real_every, real_types = _shape(real)
    problems = [f"{what}: {key} is not in the real response" for key in sorted(ours_any - real_any)]
    problems += [f"{what}: real always has {key}" for key in sorted(real_every - ours_any)]
    problems += [
        f"{what}: {key} is {sorted(ours_types[key])}, real is {sorted(real_types[key])}"
        for key in sorted(ours_any & real_any)
        if not ours_types[key] <= real_types[key]
    ]
    return problems


def test_get_invoices_has_the_fields_and_types_of_the_recorded_real_response(tmp_path: Path) -> None:
    cassette = xero_dir("golden") / "test_invoice_attachment_upload_and_download.yaml"
    recorded = next(
        interaction
        for interaction in load_yaml(cassette)["interactions"]
        if interaction["request"]["method"] == "GET" and "/Invoices?page=1" in interaction["request"]["uri"]
    )
    real = json.loads(recorded["response"]["body"]["string"])
    client, session = xero_session(tmp_path)
    customer = create_contact(client, session, "Golden Customer")
    client.put(f"{API}/Items", headers=session.headers(), json={"Items": [{"Code": "SVC", "Description": "Service"}]})
    elements = [
        invoice(customer["ContactID"], [line("120")], Status="DRAFT"),
        invoice(
            customer["ContactID"],
            [line("80.50", tax_type="TAX001"), {**line("10"), "ItemCode": "SVC"}],
            Status="AUTHORISED",
        ),
        invoice(customer["ContactID"], [line("50")], Status="AUTHORISED", Reference="to pay"),
    ]
    created = client.put(f"{API}/Invoices", headers=session.headers(), json={"Invoices": elements}).json()["Invoices"]
    payment = {"Invoice": {"InvoiceID": created[2]["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 52.50}
    assert client.put(f"{API}/Payments", headers=session.headers(), json={"Payments": [payment]}).status_code == 200
    ours = client.get(f"{API}/Invoices", headers=session.headers(), params={"page": "1"}).json()
    assert set(ours) - {"pagination"} == set(real)
    mine, theirs = ours["Invoices"], real["Invoices"]
    problems = _compare(mine, theirs, "Invoice")
    problems += _compare(
        [li for i in mine for li in i["LineItems"]], [li for i in theirs for li in i["LineItems"]], "Line"
    )
    problems += _compare([i["Contact"] for i in mine], [i["Contact"] for i in theirs], "Contact")
    problems += _compare(
        [p for i in mine for p in i["Payments"]], [p for i in theirs for p in i["Payments"]], "Payment"
    )
    assert problems == []


def test_the_official_xero_python_sdk_works_against_the_sandbox(tmp_path: Path) -> None:
    app = create_app(XeroSandboxConfig(db_path=tmp_path / "x.db"))
    session = connect(TestClient(app))
    token = {
        "access_token": session.access_token,
        "refresh_token": session.refresh_token,
        "token_type": "Bearer",
        "expires_in": 1800,
        "expires_at": time.time() + 1800,
        "scope": ["offline_access", "accounting.transactions", "accounting.contacts"],
    }
    with serving(app) as base_url:
        api_client = ApiClient(
            Configuration(oauth2_token=OAuth2Token(client_id="sandbox-client", client_secret="sandbox-secret")),
            oauth2_token_getter=lambda: token,
            oauth2_token_saver=token.update,
        )
        connections = IdentityApi(api_client, base_url=base_url).get_connections()
        assert connections[0].tenant_id.__str__() == session.tenant_id
        accounting = AccountingApi(api_client, base_url=f"{base_url}{API}")
        made = accounting.create_contacts(
            session.tenant_id, Contacts(contacts=[Contact(name="SDK Customer", contact_number="SO-42")])
        )
        contact_id = made.contacts[0].contact_id
        line_item = LineItem(
            description="Repair", quantity=2.0, unit_amount=45.25, account_code="200", tax_type="OUTPUT"
        )
        sent = Invoice(
            type="ACCREC",
            contact=Contact(contact_id=contact_id),
            line_items=[line_item],
            invoice_number="SDK-1",
            status="AUTHORISED",
            date=date(2026, 3, 1),
            due_date=date(2026, 3, 31),
        )
        created = accounting.create_invoices(session.tenant_id, Invoices(invoices=[sent]), summarize_errors=False)
        assert created.invoices[0].has_errors is False
        read = accounting.get_invoice(session.tenant_id, created.invoices[0].invoice_id).invoices[0]
        assert (read.invoice_number, read.total, read.total_tax, read.status) == (
            "SDK-1",
            Decimal("95.03"),
            Decimal("4.53"),
            "AUTHORISED",
        )
        assert read.contact.name == "SDK Customer" and read.line_items[0].line_amount == Decimal("90.50")
        found = accounting.get_contacts(session.tenant_id, where='ContactNumber=="SO-42"').contacts
        assert [c.contact_id for c in found] == [contact_id]
        summary = accounting.get_report_bank_summary(session.tenant_id).reports[0]  # what the Xero connector reads
        banks = {row.cells[0].value: row.cells[-1].value for row in summary.rows[1].rows}
        assert summary.report_type == "BankSummary" and banks["Card Clearing"] == "0.00"
