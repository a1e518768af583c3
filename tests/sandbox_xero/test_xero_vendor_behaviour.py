"""What Xero does that a connector must plan for: POST by InvoiceNumber overwrites, archived contacts are
hidden unless asked for, a line's TaxAmount overrides Xero's own, currencies the organisation lacks are refused."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _send(client: TestClient, session: Session, method: str, elements: list[dict[str, Any]], **params: str) -> Any:
    answer = client.request(
        method, f"{API}/Invoices", headers=session.headers(), params=params, json={"Invoices": elements}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"]


def test_a_post_create_whose_number_matches_a_bookkeepers_invoice_overwrites_it(xero) -> None:
    client, session = xero
    customer = create_contact(client, session, "Overwritten")
    [typed] = _send(client, session, "PUT", [invoice(customer["ContactID"], [line("500")], InvoiceNumber="SO-7")])
    [posted] = _send(client, session, "POST", [invoice(customer["ContactID"], [line("10")], InvoiceNumber="SO-7")])
    assert posted["InvoiceID"] == typed["InvoiceID"] and posted["Total"] == 10.50, "the bookkeeper's 525.00 is gone"
    [refused] = _send(
        client,
        session,
        "PUT",
        [invoice(customer["ContactID"], [line("10")], InvoiceNumber="SO-7")],
        summarizeErrors="false",
    )
    assert refused["ValidationErrors"] == [{"Message": "Invoice # must be unique."}], "PUT only ever creates"


def test_archived_contacts_are_listed_only_with_include_archived(xero) -> None:
    client, session = xero
    archived = create_contact(client, session, "Gone Quiet", ContactNumber="SO-C9")
    client.post(
        f"{API}/Contacts",
        headers=session.headers(),
        json={"Contacts": [{"ContactID": archived["ContactID"], "ContactStatus": "ARCHIVED"}]},
    )
    where = {"where": 'ContactNumber=="SO-C9"'}
    plain = client.get(f"{API}/Contacts", headers=session.headers(), params=where).json()["Contacts"]
    listed = client.get(f"{API}/Contacts", headers=session.headers(), params={**where, "includeArchived": "true"})
    assert plain == [] and [c["ContactID"] for c in listed.json()["Contacts"]] == [archived["ContactID"]]


def test_a_lines_tax_amount_overrides_xeros_own_calculation(xero) -> None:
    client, session = xero
    customer = create_contact(client, session, "Tax Override")
    fee = {**line("0.88", tax_type="TAX001"), "TaxAmount": 0.12}  # Xero's own 13 %: 0.11
    [saved] = _send(client, session, "PUT", [invoice(customer["ContactID"], [fee, line("100")])])
    assert [item["TaxAmount"] for item in saved["LineItems"]] == [0.12, 5.00]
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"]) == (100.88, 5.12, 106.00)
    [plain] = _send(client, session, "PUT", [invoice(customer["ContactID"], [line("0.88", tax_type="TAX001")])])
    assert plain["TotalTax"] == 0.11
    far_off = {**line("0.88", tax_type="TAX001"), "TaxAmount": 0.50}
    [refused] = _send(client, session, "PUT", [invoice(customer["ContactID"], [far_off])], summarizeErrors="false")
    assert refused["StatusAttributeString"] == "ERROR" and "TaxAmount" in refused["ValidationErrors"][0]["Message"]


def test_an_invoice_in_a_currency_the_organisation_has_not_enabled_is_refused(xero) -> None:
    client, session = xero
    customer = create_contact(client, session, "Abroad")
    elements = [invoice(customer["ContactID"], [line("10")], CurrencyCode="EUR")]
    [refused] = _send(client, session, "PUT", elements, summarizeErrors="false")
    assert refused["ValidationErrors"] == [{"Message": "Organisation is not subscribed to currency EUR"}]


def test_an_invoice_in_another_currency_than_its_contacts_is_refused(xero) -> None:
    client, session = xero
    assert client.put(f"/_sandbox/tenants/{session.tenant_id}/currencies/USD").status_code == 200
    customer = create_contact(client, session, "Billed In Dollars", DefaultCurrency="USD")
    [refused] = _send(client, session, "PUT", [invoice(customer["ContactID"], [line("10")])], summarizeErrors="false")
    assert refused["ValidationErrors"] == [{"Message": "The contact 'Billed In Dollars' is billed in USD, not CAD."}]


def test_an_invoice_with_a_payment_allocated_cannot_be_edited_but_an_unpaid_one_is_updated_by_its_id(xero) -> None:
    """A correction lands in place by InvoiceID (lines replaced) until a payment is allocated; then Xero refuses
    the element with its ValidationError and keeps the invoice as it was."""
    client, session = xero
    customer = create_contact(client, session, "Corrected")
    [sent] = _send(client, session, "PUT", [invoice(customer["ContactID"], [line("100")], Status="AUTHORISED")])
    edit = {"InvoiceID": sent["InvoiceID"], "LineItems": [line("80"), line("40")]}
    [edited] = _send(client, session, "POST", [edit], summarizeErrors="false")
    assert (edited["InvoiceID"], edited["Total"], len(edited["LineItems"])) == (sent["InvoiceID"], 126.00, 2)
    payment = {"Invoice": {"InvoiceID": sent["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": 26.00}
    paid = client.put(f"{API}/Payments", headers=session.headers(), json={"Payments": [payment]})
    assert paid.status_code == 200, paid.text
    [refused] = _send(client, session, "POST", [{**edit, "LineItems": [line("10")]}], summarizeErrors="false")
    assert refused["StatusAttributeString"] == "ERROR" and refused["ValidationErrors"] == [
        {"Message": "This document cannot be edited as it has a payment or credit note allocated to it."}
    ]
    kept = client.get(f"{API}/Invoices/{sent['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (kept["Total"], kept["AmountDue"]) == (126.00, 100.00)
