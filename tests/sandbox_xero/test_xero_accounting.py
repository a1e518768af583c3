"""Accounting rules of the Xero sandbox: batch errors both ways, uniqueness, stale mappings, money."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, contact, create_contact, invoice, line, sandbox, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _put(client: TestClient, session: Session, collection: str, elements: list[dict[str, Any]], **params: str):
    return client.put(f"{API}/{collection}", headers=session.headers(), params=params, json={collection: elements})


def test_seeded_org_has_a_canadian_chart_and_tax_rates(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    accounts = {a["Code"]: a for a in client.get(f"{API}/Accounts", headers=session.headers()).json()["Accounts"]}
    assert accounts["090"]["Type"] == "BANK" and accounts["860"]["SystemAccount"] == "ROUNDING"
    assert accounts["280"]["Status"] == "ARCHIVED" and accounts["200"]["Class"] == "REVENUE"
    rates = client.get(f"{API}/TaxRates", headers=session.headers(), params={"where": 'Status=="ACTIVE"'}).json()
    types = {rate["TaxType"]: rate for rate in rates["TaxRates"]}
    assert types["OUTPUT"]["EffectiveRate"] == 5 and types["TAX001"]["EffectiveRate"] == 13
    assert "TAX004" not in types and "NONE" in types and "EXEMPTOUTPUT" in types


def test_summarize_errors_false_flags_each_element_and_creates_the_valid_ones(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    answer = _put(client, session, "Contacts", [contact("Good Co"), contact("x" * 256)], summarizeErrors="false")
    assert answer.status_code == 200
    good, bad = answer.json()["Contacts"]
    assert good["StatusAttributeString"] == "OK" and good["ContactID"]
    assert bad["StatusAttributeString"] == "ERROR" and bad["HasValidationErrors"] is True
    assert "255" in bad["ValidationErrors"][0]["Message"]


def test_summarized_errors_answer_400_although_valid_elements_were_created(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    answer = _put(client, session, "Contacts", [contact("Made Anyway"), contact("")])
    body = answer.json()
    assert answer.status_code == 400
    assert (body["ErrorNumber"], body["Type"], body["Message"]) == (
        10,
        "ValidationException",
        "A validation exception occurred",
    )
    assert len(body["Elements"]) == 1 and body["Elements"][0]["ValidationErrors"]
    found = client.get(f"{API}/Contacts", headers=session.headers(), params={"where": 'Name=="Made Anyway"'})
    assert len(found.json()["Contacts"]) == 1


def test_duplicate_active_contact_name_is_refused_but_archived_names_are_free(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    first = create_contact(client, session, "Acme Plumbing", ContactNumber="SO-1")
    clash = _put(client, session, "Contacts", [contact("acme plumbing")], summarizeErrors="false").json()["Contacts"][0]
    assert clash["ValidationErrors"][0]["Message"] == (
        "The contact name acme plumbing is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )
    archived = client.post(
        f"{API}/Contacts",
        headers=session.headers(),
        json={"Contacts": [{"ContactID": first["ContactID"], "ContactStatus": "ARCHIVED"}]},
    )
    assert archived.status_code == 200
    assert create_contact(client, session, "Acme Plumbing")["ContactStatus"] == "ACTIVE"
    long_number = _put(client, session, "Contacts", [contact("N", ContactNumber="9" * 51)], summarizeErrors="false")
    assert long_number.json()["Contacts"][0]["StatusAttributeString"] == "ERROR"
    by_number = client.get(f"{API}/Contacts/SO-1", headers=session.headers()).json()["Contacts"][0]
    assert by_number["ContactID"] == first["ContactID"]


def test_duplicate_invoice_number_is_refused(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    customer = create_contact(client, session, "Dup Test")
    first = _put(client, session, "Invoices", [invoice(customer["ContactID"], [line("10")], InvoiceNumber="SO-100")])
    assert first.status_code == 200
    again = _put(client, session, "Invoices", [invoice(customer["ContactID"], [line("10")], InvoiceNumber="SO-100")])
    assert again.status_code == 400
    assert again.json()["Elements"][0]["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]


def test_archived_tax_rate_and_archived_account_are_refused(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    customer = create_contact(client, session, "Stale Maps")
    patched = client.patch(f"/_sandbox/tenants/{session.tenant_id}/TaxRates/TAX001", json={"Status": "ARCHIVED"})
    assert patched.status_code == 200
    elements = [
        invoice(customer["ContactID"], [line("10", tax_type="TAX001")]),
        invoice(customer["ContactID"], [line("10", account="280")]),
        invoice(customer["ContactID"], [line("10", tax_type="INPUT")]),
        invoice(customer["ContactID"], [line("10")]),
    ]
    results = _put(client, session, "Invoices", elements, summarizeErrors="false").json()["Invoices"]
    assert [r["StatusAttributeString"] for r in results] == ["ERROR", "ERROR", "ERROR", "OK"]
    assert "TAX001" in results[0]["ValidationErrors"][0]["Message"]
    assert "archived" in results[1]["ValidationErrors"][0]["Message"]
    assert results[0]["HasErrors"] is True


def test_tax_is_rounded_per_line_then_summed(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    customer = create_contact(client, session, "Rounding")
    lines = [line("25.06"), line("25.61"), line("25.63")]  # 5 %: 1.253 + 1.2805 + 1.2815 -> 1.25 + 1.28 + 1.28
    created = _put(client, session, "Invoices", [invoice(customer["ContactID"], lines)]).json()["Invoices"][0]
    assert [item["TaxAmount"] for item in created["LineItems"]] == [1.25, 1.28, 1.28]
    assert (created["SubTotal"], created["TotalTax"], created["Total"]) == (76.30, 3.81, 80.11)  # not 3.82 on the total
    inclusive = invoice(
        customer["ContactID"], [line("11.30", tax_type="TAX001", quantity="3")], LineAmountTypes="Inclusive"
    )
    incl = _put(client, session, "Invoices", [inclusive]).json()["Invoices"][0]
    assert (incl["Total"], incl["TotalTax"], incl["SubTotal"]) == (33.90, 3.90, 30.00)
    assert incl["LineItems"][0]["LineAmount"] == 33.90
    unitdp = _put(
        client, session, "Invoices", [invoice(customer["ContactID"], [line("0.3333", quantity="3")])], unitdp="4"
    )
    assert unitdp.json()["Invoices"][0]["LineItems"][0]["UnitAmount"] == 0.3333
    assert unitdp.json()["Invoices"][0]["SubTotal"] == 1.00


def test_negative_lines_are_taxed_like_others_but_not_a_negative_quantity(xero: tuple[TestClient, Session]) -> None:
    """A discount or trade-in is a negative UnitAmount, its tax rounded per line like any other; a negative
    Quantity is refused (reported for invoices)."""
    client, session = xero
    customer = create_contact(client, session, "Discounted")
    lines = [line("190.00", tax_type="TAX001"), line("-20.00", tax_type="TAX001"), line("-17.00", tax_type="TAX001")]
    created = _put(client, session, "Invoices", [invoice(customer["ContactID"], lines, Status="AUTHORISED")])
    saved = created.json()["Invoices"][0]
    assert [item["TaxAmount"] for item in saved["LineItems"]] == [24.70, -2.60, -2.21]
    assert (saved["SubTotal"], saved["TotalTax"], saved["Total"], saved["AmountDue"]) == (153.00, 19.89, 172.89, 172.89)
    refused = _put(
        client,
        session,
        "Invoices",
        [invoice(customer["ContactID"], [line("20.00", quantity="-1")])],
        summarizeErrors="false",
    ).json()["Invoices"][0]
    assert refused["ValidationErrors"] == [
        {"Message": "The quantity value '-1.0000' is invalid. Quantity must not be less than zero."}
    ]


def test_an_invoice_totalling_below_zero_stays_a_draft(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    customer = create_contact(client, session, "Credit")
    lines = [line("40.00"), line("-52.00")]
    elements = [invoice(customer["ContactID"], lines), invoice(customer["ContactID"], lines, Status="AUTHORISED")]
    draft, approved = _put(client, session, "Invoices", elements, summarizeErrors="false").json()["Invoices"]
    assert (draft["StatusAttributeString"], draft["Status"], draft["Total"]) == ("OK", "DRAFT", -12.60)
    assert approved["StatusAttributeString"] == "ERROR"
    assert "below zero" in approved["ValidationErrors"][0]["Message"]
    submitted = client.post(
        f"{API}/Invoices",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"Invoices": [{"InvoiceID": draft["InvoiceID"], "Status": "AUTHORISED"}]},
    ).json()["Invoices"][0]
    assert submitted["StatusAttributeString"] == "ERROR"
    zero = _put(
        client, session, "Invoices", [invoice(customer["ContactID"], [line("40"), line("-40")], Status="AUTHORISED")]
    )
    assert zero.json()["Invoices"][0]["Total"] == 0


def test_payments_reduce_amount_due_refuse_overpayment_and_need_a_bank_account(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    customer = create_contact(client, session, "Payer")
    draft, authorised = _put(
        client,
        session,
        "Invoices",
        [
            invoice(customer["ContactID"], [line("100")]),
            invoice(customer["ContactID"], [line("100")], Status="AUTHORISED"),
        ],
    ).json()["Invoices"]
    assert authorised["AmountDue"] == 105.00

    def pay(invoice_id: str, amount: float, account: str = "090") -> dict[str, Any]:
        element = {
            "Invoice": {"InvoiceID": invoice_id},
            "Account": {"Code": account},
            "Amount": amount,
            "Date": "2026-01-20",
        }
        return _put(client, session, "Payments", [element], summarizeErrors="false").json()["Payments"][0]

    assert pay(authorised["InvoiceID"], 105.01)["ValidationErrors"] == [
        {"Message": "Payment amount exceeds the amount outstanding on this document"}
    ]
    assert pay(draft["InvoiceID"], 10)["StatusAttributeString"] == "ERROR"
    assert pay(authorised["InvoiceID"], 10, account="200")["StatusAttributeString"] == "ERROR"
    assert pay(authorised["InvoiceID"], 10, account="825")["ValidationErrors"] == [  # Tips Payable: a liability
        {"Message": "Account type is invalid for making a payment to/from"}
    ]
    assert pay(authorised["InvoiceID"], 1, account="093")["StatusAttributeString"] == "OK"  # Card Clearing: BANK
    assert pay(authorised["InvoiceID"], 5, account="615")["StatusAttributeString"] == "OK"
    assert pay(authorised["InvoiceID"], 99)["StatusAttributeString"] == "OK"
    paid = client.get(f"{API}/Invoices/{authorised['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (paid["Status"], paid["AmountDue"], paid["AmountPaid"]) == ("PAID", 0, 105.00)
    assert len(paid["Payments"]) == 3 and paid["FullyPaidOnDate"]


def test_a_supplied_line_tax_amount_overrides_the_calculation_within_reason(xero: tuple[TestClient, Session]) -> None:
    """Spec: the calculated TaxAmount "can be overriden"; the sandbox refuses tax on an untaxed line and an
    override more than a cent per started 100.00 away (undocumented limits: the stricter reading)."""
    client, session = xero
    customer = create_contact(client, session, "Override")
    kept = [{**line("25.06"), "TaxAmount": 1.26}, line("25.61")]
    created = _put(client, session, "Invoices", [invoice(customer["ContactID"], kept)]).json()["Invoices"][0]
    assert [item["TaxAmount"] for item in created["LineItems"]] == [1.26, 1.28]
    assert (created["TotalTax"], created["Total"]) == (2.54, 53.21)
    refused = [
        invoice(customer["ContactID"], [{**line("25.06"), "TaxAmount": 1.28}]),
        invoice(customer["ContactID"], [{**line("25.06", tax_type="NONE"), "TaxAmount": 0.01}]),
        invoice(customer["ContactID"], [{**line("25.06"), "TaxAmount": 1.255}]),
    ]
    results = _put(client, session, "Invoices", refused, summarizeErrors="false").json()["Invoices"]
    assert [r["StatusAttributeString"] for r in results] == ["ERROR", "ERROR", "ERROR"]
    assert ["TaxAmount" in r["ValidationErrors"][0]["Message"] for r in results] == [True, True, True]


def test_post_updates_an_invoice_by_number_and_get_filters_and_pages(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    customer = create_contact(client, session, "Pager")
    batch = [invoice(customer["ContactID"], [line("1")], InvoiceNumber=f"P-{n:03d}") for n in range(105)]
    assert _put(client, session, "Invoices", batch).status_code == 200
    updated = client.post(
        f"{API}/Invoices",
        headers=session.headers(),
        json={"Invoices": [{"InvoiceNumber": "P-007", "Status": "AUTHORISED", "Reference": "job 7"}]},
    ).json()["Invoices"][0]
    assert (updated["Status"], updated["Reference"], updated["InvoiceNumber"]) == ("AUTHORISED", "job 7", "P-007")
    page2 = client.get(f"{API}/Invoices", headers=session.headers(), params={"page": "2"}).json()
    assert len(page2["Invoices"]) == 5 and page2["pagination"]["itemCount"] == 105
    assert "LineItems" in page2["Invoices"][0]
    unpaged = client.get(f"{API}/Invoices", headers=session.headers()).json()["Invoices"]
    assert len(unpaged) == 105 and "LineItems" not in unpaged[0]
    where = 'Status=="AUTHORISED" AND Contact.ContactID==Guid("{}")'.format(customer["ContactID"])
    found = client.get(f"{API}/Invoices", headers=session.headers(), params={"where": where}).json()["Invoices"]
    assert [i["InvoiceNumber"] for i in found] == ["P-007"]
    by_numbers = client.get(f"{API}/Invoices", headers=session.headers(), params={"InvoiceNumbers": "P-001,P-002"})
    assert [i["InvoiceNumber"] for i in by_numbers.json()["Invoices"]] == ["P-001", "P-002"]
    by_ids = client.get(f"{API}/Invoices", headers=session.headers(), params={"IDs": updated["InvoiceID"]})
    assert [i["InvoiceID"] for i in by_ids.json()["Invoices"]] == [updated["InvoiceID"]]
    bad = client.get(f"{API}/Invoices", headers=session.headers(), params={"where": 'Status=="'})
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"


def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    xero: tuple[TestClient, Session], tmp_path: Path
) -> None:
    client, session = xero
    headers = session.headers(**{"Idempotency-Key": "sync-run-1-contact-7"})
    body = {"Contacts": [contact("Once Only")]}
    first = client.put(f"{API}/Contacts", headers=headers, json=body)
    again = client.put(f"{API}/Contacts", headers=headers, json=body)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    other = client.put(f"{API}/Contacts", headers=headers, json={"Contacts": [contact("Someone Else")]})
    assert other.status_code == 400
    too_long = client.put(f"{API}/Contacts", headers=session.headers(**{"Idempotency-Key": "k" * 129}), json=body)
    assert too_long.status_code == 400
    restarted = sandbox(tmp_path / "x.db")
    after_restart = restarted.put(f"{API}/Contacts", headers=headers, json=body)
    assert after_restart.json() == first.json()
    restarted.post("/_sandbox/clock/advance", json={"seconds": 361})
    expired = restarted.put(f"{API}/Contacts", headers=headers, json=body)
    assert expired.status_code == 400  # processed anew: now a duplicate name
    assert "already assigned" in expired.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_everything_survives_a_restart(xero: tuple[TestClient, Session], tmp_path: Path) -> None:
    client, session = xero
    customer = create_contact(client, session, "Persistent")
    _put(client, session, "Invoices", [invoice(customer["ContactID"], [line("50")], InvoiceNumber="KEEP-1")])
    restarted = sandbox(tmp_path / "x.db")
    listed = restarted.get(f"{API}/Invoices/KEEP-1", headers=session.headers())
    assert listed.status_code == 200 and listed.json()["Invoices"][0]["Total"] == 52.50
    refreshed = restarted.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": session.refresh_token},
        auth=("sandbox-client", "sandbox-secret"),
    )
    assert refreshed.status_code == 200


def test_items_supply_account_price_and_tax_to_invoice_lines(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    details = {"UnitPrice": 99.0, "AccountCode": "260", "TaxType": "TAX001"}
    item = {"Code": "CALLOUT", "Description": "Call-out fee", "SalesDetails": details}
    assert _put(client, session, "Items", [item]).status_code == 200
    again = _put(client, session, "Items", [item], summarizeErrors="false").json()["Items"][0]
    assert again["ValidationErrors"] == [{"Message": "Item code 'CALLOUT' already exists."}]
    customer = create_contact(client, session, "Item Buyer")
    element = invoice(customer["ContactID"], [{"ItemCode": "CALLOUT", "Quantity": 2}])
    made = _put(client, session, "Invoices", [element]).json()["Invoices"][0]["LineItems"][0]
    assert (made["AccountCode"], made["TaxType"], made["LineAmount"], made["TaxAmount"]) == (
        "260",
        "TAX001",
        198.0,
        25.74,
    )
    assert made["Description"] == "Call-out fee"


def _paid_invoice(
    client: TestClient, session: Session, name: str, paid: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An AUTHORISED invoice of 105.00 and a payment of `paid` against it."""
    customer = create_contact(client, session, name)
    (authorised,) = _put(
        client, session, "Invoices", [invoice(customer["ContactID"], [line("100")], Status="AUTHORISED")]
    ).json()["Invoices"]
    element = {"Invoice": {"InvoiceID": authorised["InvoiceID"]}, "Account": {"Code": "090"}, "Amount": paid}
    (payment,) = _put(client, session, "Payments", [element], summarizeErrors="false").json()["Payments"]
    assert payment["StatusAttributeString"] == "OK", payment
    return authorised, payment


def _void(client: TestClient, session: Session, invoice_id: str) -> dict[str, Any]:
    element = {"InvoiceID": invoice_id, "Status": "VOIDED"}
    answer = client.post(
        f"{API}/Invoices", headers=session.headers(), params={"summarizeErrors": "false"}, json={"Invoices": [element]}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["Invoices"][0]


def test_an_invoice_with_a_payment_is_voided_only_once_the_payment_is_deleted(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    authorised, payment = _paid_invoice(client, session, "Voider", 40)
    refused = _void(client, session, authorised["InvoiceID"])
    assert refused["StatusAttributeString"] == "ERROR" and refused["ValidationErrors"] == [
        {"Message": "This document cannot be edited as it has a payment or credit note allocated to it."}
    ]
    deleted = client.post(
        f"{API}/Payments/{payment['PaymentID']}", headers=session.headers(), json={"Status": "DELETED"}
    )
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["Payments"][0]["Status"] == "DELETED"
    reopened = client.get(f"{API}/Invoices/{authorised['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (reopened["AmountPaid"], reopened["AmountDue"], reopened["Payments"]) == (0, 105.00, [])
    voided = _void(client, session, authorised["InvoiceID"])
    assert (voided["StatusAttributeString"], voided["Status"], voided["AmountDue"]) == ("OK", "VOIDED", 0)
    again = _void(client, session, authorised["InvoiceID"])
    assert again["StatusAttributeString"] == "ERROR"


def test_a_payment_is_only_deleted_once_and_only_by_status_deleted(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    authorised, payment = _paid_invoice(client, session, "Deleter", 105)
    url = f"{API}/Payments/{payment['PaymentID']}"
    changed = client.post(url, headers=session.headers(), json={"Status": "AUTHORISED", "Amount": 5})
    assert changed.status_code == 400 and changed.json()["Type"] == "ValidationException"
    assert client.post(url, headers=session.headers(), json={"Status": "DELETED"}).status_code == 200
    paid_again = client.get(f"{API}/Invoices/{authorised['InvoiceID']}", headers=session.headers()).json()["Invoices"]
    assert paid_again[0]["Status"] == "AUTHORISED" and paid_again[0]["AmountDue"] == 105.00
    twice = client.post(url, headers=session.headers(), json={"Status": "DELETED"})
    assert twice.status_code == 400
    assert twice.json()["Elements"][0]["ValidationErrors"] == [{"Message": "This payment has already been deleted."}]
    unknown = client.post(
        f"{API}/Payments/{authorised['InvoiceID']}", headers=session.headers(), json={"Status": "DELETED"}
    )
    assert unknown.status_code == 400


def test_a_payment_deletion_is_replayed_for_its_idempotency_key(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    _, payment = _paid_invoice(client, session, "Replayer", 10)
    url = f"{API}/Payments/{payment['PaymentID']}"
    headers = session.headers(**{"Idempotency-Key": "delete-once"})
    first = client.post(url, headers=headers, json={"Status": "DELETED"})
    again = client.post(url, headers=headers, json={"Status": "DELETED"})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
