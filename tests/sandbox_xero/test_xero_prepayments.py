"""Prepayments and overpayments in the Xero sandbox: made by RECEIVE-PREPAYMENT / RECEIVE-OVERPAYMENT bank
transactions, held as the contact's credit, allocated to its invoices within both balances."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _received(contact_id: str, kind: str, amount: float, account: str = "610", **fields: Any) -> dict[str, Any]:
    return {
        "Type": kind,
        "Contact": {"ContactID": contact_id},
        "BankAccount": {"Code": "093"},
        "Date": "2026-01-10",
        "Reference": "SO-P1",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {"Description": "Deposit", "Quantity": 1, "UnitAmount": amount, "AccountCode": account, "TaxType": "NONE"}
        ],
        **fields,
    }


def _put(client: TestClient, session: Session, collection: str, element: dict[str, Any]) -> dict[str, Any]:
    answer = client.put(
        f"{API}/{collection}",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={collection: [element]},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()[collection][0]


def _allocate(client: TestClient, session: Session, path: str, invoice_id: str, amount: float) -> Any:
    body = {"Allocations": [{"Amount": amount, "Invoice": {"InvoiceID": invoice_id}, "Date": "2026-01-20"}]}
    return client.put(f"{API}/{path}/Allocations", headers=session.headers(), json=body)


def _read(client: TestClient, session: Session, collection: str, key: str) -> dict[str, Any]:
    return client.get(f"{API}/{collection}/{key}", headers=session.headers()).json()[collection][0]


def test_a_prepayment_is_the_contacts_credit_until_allocated_to_its_invoice(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Deposit Co")["ContactID"]
    received = _put(client, session, "BankTransactions", _received(contact_id, "RECEIVE-PREPAYMENT", 100))
    assert received["StatusAttributeString"] == "OK" and received["PrepaymentID"]
    prepayment = _read(client, session, "Prepayments", received["PrepaymentID"])
    assert (prepayment["Total"], prepayment["RemainingCredit"], prepayment["Status"]) == (100, 100, "AUTHORISED")
    listed = client.get(f"{API}/Prepayments", headers=session.headers()).json()["Prepayments"]
    assert [p["PrepaymentID"] for p in listed] == [received["PrepaymentID"]]

    billed = _put(client, session, "Invoices", invoice(contact_id, [line("200.00")], Status="AUTHORISED"))
    answer = _allocate(client, session, f"Prepayments/{received['PrepaymentID']}", billed["InvoiceID"], 100)
    assert answer.status_code == 200, answer.text
    after = _read(client, session, "Invoices", billed["InvoiceID"])
    assert (after["AmountCredited"], after["AmountDue"], after["Status"]) == (100, 110, "AUTHORISED")
    assert [p["PrepaymentID"] for p in after["Prepayments"]] == [received["PrepaymentID"]]
    prepayment = _read(client, session, "Prepayments", received["PrepaymentID"])
    assert (prepayment["RemainingCredit"], prepayment["Status"]) == (0, "PAID")
    assert len(prepayment["Allocations"]) == 1


def test_an_overpayment_pays_its_invoice_and_keeps_the_excess_as_credit(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Deposit Co")["ContactID"]
    billed = _put(client, session, "Invoices", invoice(contact_id, [line("100.00")], Status="AUTHORISED"))
    received = _put(client, session, "BankTransactions", _received(contact_id, "RECEIVE-OVERPAYMENT", 130))
    path = f"Overpayments/{received['OverpaymentID']}"
    assert _allocate(client, session, path, billed["InvoiceID"], 105).status_code == 200
    assert _read(client, session, "Invoices", billed["InvoiceID"])["Status"] == "PAID"
    overpayment = _read(client, session, "Overpayments", received["OverpaymentID"])
    assert (overpayment["RemainingCredit"], overpayment["Status"]) == (25, "AUTHORISED")


def test_prepayment_refusals_allocating_beyond_either_balance_or_to_another_contact(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Deposit Co")["ContactID"]
    other_id = create_contact(client, session, "Someone Else")["ContactID"]
    for refused in (
        _received(contact_id, "RECEIVE-OVERPAYMENT", 50, account="200"),  # not Accounts Receivable
        _received(contact_id, "RECEIVE-PREPAYMENT", 50, LineAmountTypes="Exclusive"),
        _received(contact_id, "SPEND-PREPAYMENT", 50),
    ):
        assert _put(client, session, "BankTransactions", refused)["StatusAttributeString"] == "ERROR"
    assert client.get(f"{API}/Prepayments", headers=session.headers()).json()["Prepayments"] == []

    received = _put(client, session, "BankTransactions", _received(contact_id, "RECEIVE-PREPAYMENT", 100))
    path = f"Prepayments/{received['PrepaymentID']}"
    small = _put(client, session, "Invoices", invoice(contact_id, [line("40.00")], Status="AUTHORISED"))
    theirs = _put(client, session, "Invoices", invoice(other_id, [line("200.00")], Status="AUTHORISED"))
    large = _put(client, session, "Invoices", invoice(contact_id, [line("500.00")], Status="AUTHORISED"))
    for invoice_id, amount in ((small["InvoiceID"], 43), (theirs["InvoiceID"], 10), (large["InvoiceID"], 101)):
        answer = _allocate(client, session, path, invoice_id, amount)
        assert answer.status_code == 400, answer.text
    assert _read(client, session, "Prepayments", received["PrepaymentID"])["RemainingCredit"] == 100
    assert _read(client, session, "Invoices", small["InvoiceID"])["AmountDue"] == 42
    assert _allocate(client, session, "Prepayments/not-a-prepayment", small["InvoiceID"], 1).status_code == 404
    changed = {**_received(contact_id, "RECEIVE-PREPAYMENT", 90), "BankTransactionID": received["BankTransactionID"]}
    posted = client.post(
        f"{API}/BankTransactions",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"BankTransactions": [changed]},
    )
    assert posted.json()["BankTransactions"][0]["StatusAttributeString"] == "ERROR"


def _post(client: TestClient, session: Session, collection: str, element: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        f"{API}/{collection}",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={collection: [element]},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()[collection][0]


def test_an_allocated_credit_blocks_the_invoices_void_and_its_own_deletion_until_the_allocation_is_deleted(
    xero: tuple[TestClient, Session],
) -> None:
    """Xero voids no invoice a prepayment or overpayment is allocated to, and (the stricter reading) deletes no
    RECEIVE-PREPAYMENT / -OVERPAYMENT while its credit is allocated; deleting the allocation gives the credit back and
    reopens the invoice; deleting it again is refused; the deleted receipt's credit is VOIDED and its money leaves
    the bank account."""
    client, session = xero
    contact_id = create_contact(client, session, "Deposit Co")["ContactID"]
    billed = _put(client, session, "Invoices", invoice(contact_id, [line("100.00")], Status="AUTHORISED"))
    for kind, collection, id_field in (
        ("RECEIVE-PREPAYMENT", "Prepayments", "PrepaymentID"),
        ("RECEIVE-OVERPAYMENT", "Overpayments", "OverpaymentID"),
    ):
        received = _put(client, session, "BankTransactions", _received(contact_id, kind, 30))
        credit_id = received[id_field]
        assert _allocate(client, session, f"{collection}/{credit_id}", billed["InvoiceID"], 30).status_code == 200
        void = {"InvoiceID": billed["InvoiceID"], "Status": "VOIDED"}
        assert _post(client, session, "Invoices", void)["StatusAttributeString"] == "ERROR"
        # Sent whole: Xero echoes a refused element as it was sent, and the spec's BankTransaction requires its lines.
        deletion = {
            **_received(contact_id, kind, 30),
            "BankTransactionID": received["BankTransactionID"],
            "Status": "DELETED",
        }
        assert _post(client, session, "BankTransactions", deletion)["StatusAttributeString"] == "ERROR"

        (allocation,) = _read(client, session, collection, credit_id)["Allocations"]
        path = f"{API}/{collection}/{credit_id}/Allocations/{allocation['AllocationID']}"
        answer = client.delete(path, headers=session.headers())
        assert answer.status_code == 200 and answer.json()["IsDeleted"] is True, answer.text
        assert client.delete(path, headers=session.headers()).status_code == 400
        credit = _read(client, session, collection, credit_id)
        assert (credit["RemainingCredit"], credit["Status"]) == (30, "AUTHORISED")
        after = _read(client, session, "Invoices", billed["InvoiceID"])
        assert (after["AmountCredited"], after["AmountDue"], after[collection]) == (0, 105, [])

        deleted = _post(client, session, "BankTransactions", deletion)
        assert (deleted["StatusAttributeString"], deleted["Status"]) == ("OK", "DELETED")
        credit = _read(client, session, collection, credit_id)
        assert (credit["RemainingCredit"], credit["Status"]) == (0, "VOIDED")
        assert _allocate(client, session, f"{collection}/{credit_id}", billed["InvoiceID"], 1).status_code == 400
        changed = {**deletion, "Status": "AUTHORISED"}
        assert _post(client, session, "BankTransactions", changed)["StatusAttributeString"] == "ERROR"
    summary = client.get(f"{API}/Reports/BankSummary", headers=session.headers()).json()["Reports"][0]
    (bank,) = [row for row in summary["Rows"][1]["Rows"] if row["Cells"][0]["Value"].startswith("Business Bank")]
    assert bank["Cells"][-1]["Value"] == "0.00", bank  # the closing balance: both receipts gone
