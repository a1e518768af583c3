"""Deposits: money into a Bank account from other accounts (a tip credited to Tips Payable), and QBO's refusals."""

import itertools
from decimal import Decimal
from typing import Any

from .helpers import Qbo, assert_fault
from .test_ledger import make_invoice
from .test_voids import pay, read, void_payment

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


def payout(qbo: Qbo, payments: list[dict[str, Any]], fees: str, into: str = "Chequing") -> dict[str, Any]:
    """A card payout: the payments out of Undeposited Funds, less the processor's fees, into the bank."""
    lines: list[dict[str, Any]] = [
        {"Amount": p["TotalAmt"], "LinkedTxn": [{"TxnId": p["Id"], "TxnType": "Payment"}]} for p in payments
    ]
    fee_account = {"AccountRef": {"value": qbo.named("Account", "Bank Charges")["Id"]}}
    lines.append({"Amount": -Decimal(fees), "DetailType": "DepositLineDetail", "DepositLineDetail": fee_account})
    return {"TxnDate": "2026-03-12", "DepositToAccountRef": {"value": qbo.named("Account", into)["Id"]}, "Line": lines}


def test_a_deposit_takes_payments_out_of_undeposited_funds_whole_and_once(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    first, second = pay(qbo, invoice, "100.00"), pay(qbo, invoice, "50.00")
    saved = qbo.create("Deposit", payout(qbo, [first, second], "4.95"))
    assert saved["TotalAmt"] == Decimal("145.05")
    deposited = read(qbo, "Payment", first["Id"])
    assert deposited["LinkedTxn"] == [{"TxnId": saved["Id"], "TxnType": "Deposit"}]
    assert_fault(qbo.post("Deposit", payout(qbo, [first], "0.10")), 400, "6000")  # deposited already
    assert_fault(void_payment(qbo, deposited), 400, "6000")  # changed through its deposit only
    half = payout(qbo, [second], "0")
    half["Line"][0]["Amount"] = Decimal("25.00")
    assert_fault(qbo.post("Deposit", half), 400, "6000")


def test_only_payments_held_in_undeposited_funds_can_be_linked(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    banked = pay(qbo, invoice, "20.00")
    banked = qbo.create(
        "Payment",
        {**banked, "DepositToAccountRef": {"value": qbo.named("Account", "Card Clearing")["Id"]}, "sparse": True},
        operation="update",
    )
    error = assert_fault(qbo.post("Deposit", payout(qbo, [banked], "0.88")), 400, "6000")
    assert "not held in Undeposited Funds" in error["Detail"]


def _balances(qbo: Qbo, *names: str) -> dict[str, Decimal]:
    """`CurrentBalance` of these accounts, as a `select * from Account` reads it."""
    return {a["Name"]: a["CurrentBalance"] for a in qbo.rows("SELECT * FROM Account") if a["Name"] in names}


def test_account_balances_follow_payments_deposits_and_voids(qbo: Qbo) -> None:
    """Each save posts what it changed: payments into Undeposited Funds, their payout less fees into the bank
    (an expense account keeps no CurrentBalance), a tip into Card Clearing owed to Tips Payable, a void undone; an
    account's update cannot set its balance."""
    names = ("Undeposited Funds", "Chequing", "Card Clearing", "Tips Payable", "Bank Charges")
    before = _balances(qbo, *names)
    invoice = make_invoice(qbo)
    first, second = pay(qbo, invoice, "100.00"), pay(qbo, invoice, "50.00")
    qbo.create("Deposit", payout(qbo, [first, second], "4.95"))
    qbo.create("Deposit", deposit(qbo, "Card Clearing", "12.50"))
    assert void_payment(qbo, pay(qbo, invoice, "10.00")).status_code == 200
    after = _balances(qbo, *names)
    moved = {name: after[name] - before[name] for name in names}
    assert moved == {
        "Undeposited Funds": Decimal("0.00"),
        "Chequing": Decimal("145.05"),
        "Card Clearing": Decimal("12.50"),
        "Tips Payable": Decimal("12.50"),
        "Bank Charges": Decimal("0"),
    }
    chequing = qbo.named("Account", "Chequing")  # read-only: an update sending another balance keeps QBO's own
    updated = qbo.create("Account", {**chequing, "CurrentBalance": Decimal("0")}, operation="update")
    assert updated["CurrentBalance"] == after["Chequing"]


def test_a_deleted_deposit_takes_its_money_back_and_one_that_deposits_payments_is_refused(qbo: Qbo) -> None:
    """`operation=delete` (a reversed payment's tip): Id and current SyncToken; both accounts move back, the deposit
    is gone (610 on a read). A deposit of payments (a payout) is refused (6000), the stricter reading."""
    names = ("Card Clearing", "Tips Payable")
    before = _balances(qbo, *names)
    saved = qbo.create("Deposit", deposit(qbo, "Card Clearing", "12.50"))
    stale = {"Id": saved["Id"], "SyncToken": "7"}
    assert_fault(qbo.post("Deposit", stale, operation="delete"), 400, "5010")
    answer = qbo.post("Deposit", {"Id": saved["Id"], "SyncToken": saved["SyncToken"]}, operation="delete")
    assert answer.status_code == 200, answer.text
    assert _balances(qbo, *names) == before
    assert qbo.rows("SELECT * FROM Deposit") == []

    invoice = make_invoice(qbo)
    paid_out = qbo.create("Deposit", payout(qbo, [pay(qbo, invoice, "40.00")], "1.20"))
    removal = {"Id": paid_out["Id"], "SyncToken": paid_out["SyncToken"]}
    assert_fault(qbo.post("Deposit", removal, operation="delete"), 400, "6000")
