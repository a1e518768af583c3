"""Bank transactions: money received into a BANK account (a tip credited to Tips Payable), and Xero's refusals."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, connect, create_contact, sandbox, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _received(contact_id: str, bank: str = "093", account: str = "825", amount: float = 12.5, **fields: Any) -> dict:
    return {
        "Type": "RECEIVE",
        "Contact": {"ContactID": contact_id},
        "BankAccount": {"Code": bank},
        "Date": "2026-03-09",
        "Reference": "SO-T1",
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {"Description": "Tip", "Quantity": 1, "UnitAmount": amount, "AccountCode": account, "TaxType": "NONE"}
        ],
        **fields,
    }


def _put(client: TestClient, session: Session, elements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    answer = client.put(
        f"{API}/BankTransactions",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"BankTransactions": elements},
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["BankTransactions"]


def test_money_received_into_a_bank_account_is_found_by_its_reference(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Harbour Dental")["ContactID"]
    (saved,) = _put(client, session, [_received(contact_id)])
    assert (saved["StatusAttributeString"], saved["Total"], saved["Status"]) == ("OK", 12.5, "AUTHORISED")
    assert saved["BankAccount"]["Code"] == "093" and saved["LineItems"][0]["AccountCode"] == "825"
    found = client.get(
        f"{API}/BankTransactions", headers=session.headers(), params={"where": 'Reference=="SO-T1"', "page": "1"}
    ).json()["BankTransactions"]
    assert [doc["BankTransactionID"] for doc in found] == [saved["BankTransactionID"]]


def test_money_is_received_only_into_a_bank_account_from_a_contact_onto_another_account(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Harbour Dental")["ContactID"]
    refused = _put(
        client,
        session,
        [
            _received(contact_id, bank="615"),  # Payment Clearing: takes payments, not bank transactions
            _received(contact_id, bank="825"),  # Tips Payable: a liability
            _received(contact_id, account="090"),  # a line onto a bank account
            _received(contact_id, amount=-3),
            {**_received(contact_id), "Contact": None},
            _received(contact_id, Type="RECEIVE-PREPAYMENT"),
        ],
    )
    assert [doc["StatusAttributeString"] for doc in refused] == ["ERROR"] * 6
    assert refused[0]["ValidationErrors"] == [{"Message": "Account 'Payment Clearing' is not an active bank account."}]
    assert refused[4]["ValidationErrors"] == [{"Message": "A Contact must be specified for this type of transaction"}]
    assert client.get(f"{API}/BankTransactions", headers=session.headers()).json()["BankTransactions"] == []


def test_a_bank_transaction_is_updated_in_place_by_its_id(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact_id = create_contact(client, session, "Harbour Dental")["ContactID"]
    (saved,) = _put(client, session, [_received(contact_id)])
    changed = {**_received(contact_id, amount=14), "BankTransactionID": saved["BankTransactionID"]}
    answer = client.post(
        f"{API}/BankTransactions",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"BankTransactions": [changed]},
    ).json()["BankTransactions"]
    assert [(doc["BankTransactionID"], doc["Total"]) for doc in answer] == [(saved["BankTransactionID"], 14)]


def _transfer(client: TestClient, session: Session, **element: Any) -> Any:
    body = {"FromBankAccount": {"Code": "093"}, "ToBankAccount": {"Code": "090"}, "Date": "2026-03-12", **element}
    return client.put(f"{API}/BankTransfers", headers=session.headers(), json={"BankTransfers": [body]})


def test_a_bank_transfer_moves_money_between_two_bank_accounts_as_two_transactions(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    answer = _transfer(client, session, Amount=965.32, Reference="SO-Y1")
    assert answer.status_code == 200, answer.text
    (transfer,) = answer.json()["BankTransfers"]
    assert (transfer["Amount"], transfer["Status"], transfer["Reference"]) == (965.32, "AUTHORISED", "SO-Y1")
    sides = {
        side: client.get(
            f"{API}/BankTransactions/{transfer[f'{side}BankTransactionID']}", headers=session.headers()
        ).json()["BankTransactions"][0]
        for side in ("From", "To")
    }
    assert (sides["From"]["Type"], sides["From"]["BankAccount"]["Code"], sides["From"]["Total"]) == (
        "SPEND-TRANSFER",
        "093",
        965.32,
    )
    assert (sides["To"]["Type"], sides["To"]["BankAccount"]["Code"]) == ("RECEIVE-TRANSFER", "090")
    edit = {
        "BankTransactionID": sides["To"]["BankTransactionID"],
        "Type": "RECEIVE-TRANSFER",
        "BankAccount": {"Code": "090"},
        "LineItems": [],
        "Status": "DELETED",
    }  # one side of a transfer is not deleted on its own
    refused = client.post(
        f"{API}/BankTransactions",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"BankTransactions": [edit]},
    ).json()["BankTransactions"]
    assert refused[0]["StatusAttributeString"] == "ERROR"


def test_a_bank_transfer_needs_two_different_bank_accounts_and_an_amount(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    for wrong in (
        {"Amount": 10, "ToBankAccount": {"Code": "093"}},  # onto itself
        {"Amount": 10, "ToBankAccount": {"Code": "615"}},  # Payment Clearing is not a BANK account
        {"Amount": 0},
        {"Amount": 10.005},
    ):
        answer = _transfer(client, session, **wrong)
        assert answer.status_code == 400, answer.text
        assert answer.json()["Elements"][0]["ValidationErrors"]
    assert client.get(f"{API}/BankTransfers", headers=session.headers()).json()["BankTransfers"] == []


def test_a_request_creates_one_bank_transfer(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    body = {"FromBankAccount": {"Code": "093"}, "ToBankAccount": {"Code": "090"}, "Amount": 10}
    answer = client.put(f"{API}/BankTransfers", headers=session.headers(), json={"BankTransfers": [body, body]})
    assert answer.status_code == 400, answer.text
    assert "one bank transfer" in answer.text
    assert client.get(f"{API}/BankTransfers", headers=session.headers()).json()["BankTransfers"] == []


def _bank_summary(client: TestClient, session: Session) -> dict[str, tuple[str, str, str, str]]:
    """Each bank account's row of the Bank Summary report: (opening, received, spent, closing), by name."""
    answer = client.get(f"{API}/Reports/BankSummary", headers=session.headers())
    assert answer.status_code == 200, answer.text
    (report,) = answer.json()["Reports"]
    assert report["ReportType"] == "BankSummary" and report["Rows"][0]["RowType"] == "Header"
    rows = [row for section in report["Rows"][1:] for row in section["Rows"]]
    return {row["Cells"][0]["Value"]: tuple(cell["Value"] for cell in row["Cells"][1:]) for row in rows}


def test_the_bank_summary_follows_money_received_spent_transferred_and_deleted(
    xero: tuple[TestClient, Session],
) -> None:
    """Each save posts what changed: a tip into Card Clearing, a transfer on to the bank, a tip deleted again."""
    client, session = xero
    contact_id = create_contact(client, session, "Harbour Dental")["ContactID"]
    _, dropped = _put(client, session, [_received(contact_id, amount=40.25), _received(contact_id, amount=7)])
    assert _transfer(client, session, Amount=30.1, Reference="SO-O1").status_code == 200
    deleted = {**_received(contact_id), "BankTransactionID": dropped["BankTransactionID"], "Status": "DELETED"}
    answer = client.post(f"{API}/BankTransactions", headers=session.headers(), json={"BankTransactions": [deleted]})
    assert answer.status_code == 200, answer.text
    summary = _bank_summary(client, session)
    assert summary["Card Clearing"] == ("0.00", "40.25", "30.10", "10.15")
    assert summary["Business Bank Account"] == ("0.00", "30.10", "0.00", "30.10")
    assert summary["Cash Drawer"] == ("0.00", "0.00", "0.00", "0.00")
    assert "Payment Clearing" not in summary  # not a BANK account


def test_the_bank_summary_needs_the_reports_scope(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client, scope="offline_access accounting.settings")
    assert client.get(f"{API}/Reports/BankSummary", headers=session.headers()).status_code == 403
