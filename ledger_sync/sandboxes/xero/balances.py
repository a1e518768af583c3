"""Bank account balances as Xero's Bank Summary report shows them, kept up to date by each save.

Money moves in and out of a bank account by payments (a sales invoice's payment in, a credit note's refund payment
out) and by bank transactions (RECEIVE in, SPEND out; a bank transfer is a SPEND-TRANSFER and a RECEIVE-TRANSFER).
Every save of one of those posts the difference between the document as saved and as it was (a deleted one posts
its whole amount back), so a balance is never recomputed by a rescan. Xero's Bank Summary lists only BANK accounts;
the sandbox keeps every account money moves through and the report shows the BANK ones.
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

COLLECTION = "BankBalances"
"""The sandbox's own store of running balances (not a Xero collection), by AccountID."""
COUNTED = frozenset({"AUTHORISED", "PAID"})
OUT = frozenset({"ARCREDITPAYMENT", "APPAYMENT"})
"""Payment types that take money out of the bank account (the rest bring it in)."""


RECEIVED, SPENT = "Received", "Spent"
"""The report's "Cash Received" and "Cash Spent" columns, kept per account; its closing balance is their difference."""
Move = tuple[str, str]
"""(AccountID, RECEIVED or SPENT)"""


def movement(collection: str, doc: dict[str, Any] | None) -> dict[Move, Decimal]:
    """What a payment or bank transaction brings into or takes out of its bank account."""
    moved: defaultdict[Move, Decimal] = defaultdict(Decimal)
    if doc is None or doc.get("Status") not in COUNTED:
        return moved
    if collection == "Payments":
        way = SPENT if doc.get("PaymentType") in OUT else RECEIVED
        moved[doc["Account"]["AccountID"], way] += Decimal(str(doc.get("BankAmount", doc["Amount"])))
    elif collection == "BankTransactions":
        way = SPENT if str(doc["Type"]).startswith("SPEND") else RECEIVED
        moved[doc["BankAccount"]["AccountID"], way] += Decimal(str(doc["Total"]))
    return moved


def change(collection: str, saved: dict[str, Any], before: dict[str, Any] | None) -> dict[Move, Decimal]:
    """How much each account's received and spent money changes when `before` becomes `saved` (only what moves)."""
    moved = movement(collection, saved)
    for key, amount in movement(collection, before).items():
        moved[key] -= amount
    return {key: amount for key, amount in moved.items() if amount != 0}


def summary_row(account: dict[str, Any], held: dict[str, Any] | None) -> dict[str, Any]:
    """One account's row of the Bank Summary report (the spec's `ReportWithRows` example's shape).

    Dates are not modelled: the row covers every transaction, so its opening balance is 0 and its closing balance
    the account's balance now. (Xero's report covers `fromDate`..`toDate`, the current month by default (?); its
    closing balance is the balance at `toDate`, which is what a reader of the closing balance wants either way.)"""
    received = Decimal(held[RECEIVED]) if held else Decimal("0.00")
    spent = Decimal(held[SPENT]) if held else Decimal("0.00")
    account_id = account["AccountID"]
    attribute = [{"Value": account_id, "Id": "account"}]
    return {
        "RowType": "Row",
        "Cells": [
            {"Value": account["Name"], "Attributes": [{"Value": account_id, "Id": "accountID"}]},
            {"Value": "0.00"},
            {"Value": f"{received:.2f}", "Attributes": attribute},
            {"Value": f"{spent:.2f}", "Attributes": attribute},
            {"Value": f"{received - spent:.2f}"},
        ],
    }
