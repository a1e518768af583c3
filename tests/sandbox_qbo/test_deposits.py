"""Deposits: money into a Bank account from other accounts (a tip credited to Tips Payable), and QBO's refusals."""

import itertools
from decimal import Decimal
from typing import Any

from .helpers import Qbo, assert_fault


TIPPERS = itertools.count(1)


def deposit(qbo: Qbo, into: str, amount: str = "12.50", credited: str = "Tips Payable", **fields: Any) -> dict:
    customer = qbo.customer(f"Tipper {next(TIPPERS)}")
    return {
        "TxnDate": "2026-03-09",
        "PrivateNote": "SO-T1 tip with payment SO-P1",
        "DepositToAccountRef": {"value": qbo.named("Account", into)["Id"]},
        "Line": [
            {
                "Amount": Decimal(amount),
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": {
                    "AccountRef": {"value": qbo.named("Account", credited)["Id"]},
                    "Entity": {"value": customer["Id"], "type": "CUSTOMER"},
                },
            }
        ],
        **fields,
    }


def test_a_deposit_into_a_bank_account_totals_its_lines_and_names_its_accounts(qbo: Qbo) -> None:
    saved = qbo.create("Deposit", deposit(qbo, "Card Clearing", "12.50"))
    assert saved["TotalAmt"] == Decimal("12.50")
    assert saved["DepositToAccountRef"]["name"] == "Card Clearing"
    assert saved["Line"][0]["DepositLineDetail"]["AccountRef"]["name"] == "Tips Payable"
    [found] = qbo.rows("SELECT * FROM Deposit WHERE TxnDate >= '2026-03-09' AND TxnDate <= '2026-03-09'")
    assert found["Id"] == saved["Id"] and found["PrivateNote"].split()[0] == "SO-T1"


def test_a_deposit_into_undeposited_funds_or_a_non_bank_account_is_refused(qbo: Qbo) -> None:
    for into in ("Undeposited Funds", "Tips Payable"):
        error = assert_fault(qbo.post("Deposit", deposit(qbo, into, credited="Services")), 400, "6000")
        assert "Select a bank account for this deposit" in error["Detail"]
    assert qbo.rows("SELECT * FROM Deposit") == []


def test_a_deposit_needs_lines_with_an_account_and_a_positive_total(qbo: Qbo) -> None:
    assert_fault(qbo.post("Deposit", deposit(qbo, "Card Clearing", Line=[])), 400, "2020")
    no_account = deposit(qbo, "Card Clearing")
    del no_account["Line"][0]["DepositLineDetail"]["AccountRef"]
    assert_fault(qbo.post("Deposit", no_account), 400, "2020")
    assert_fault(qbo.post("Deposit", deposit(qbo, "Card Clearing", "-3.00")), 400, "6000")
    onto_itself = deposit(qbo, "Card Clearing", credited="Card Clearing")
    assert_fault(qbo.post("Deposit", onto_itself), 400, "6000")
    assert qbo.rows("SELECT * FROM Deposit") == []


def test_a_deposit_update_must_be_whole_not_sparse(qbo: Qbo) -> None:
    saved = qbo.create("Deposit", deposit(qbo, "Card Clearing", "10.00"))
    sparse = {"Id": saved["Id"], "SyncToken": saved["SyncToken"], "sparse": True, "PrivateNote": "changed"}
    assert_fault(qbo.post("Deposit", sparse, operation="update"), 400, "2020")
    whole = {**deposit(qbo, "Card Clearing", "11.00"), "Id": saved["Id"], "SyncToken": saved["SyncToken"]}
    updated = qbo.create("Deposit", whole, operation="update")
    assert (updated["Id"], updated["SyncToken"], updated["TotalAmt"]) == (saved["Id"], "1", Decimal("11.00"))
