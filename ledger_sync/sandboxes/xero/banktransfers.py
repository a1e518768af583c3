"""Bank transfers (spec `BankTransfer`): money moved between two of the organisation's BANK accounts, e.g. a card
processor's payout from the clearing account to the operating account.

A transfer is made once and never changed through the API (its Status is read-only): a POST creates too. Xero
books it as two bank transactions, SPEND-TRANSFER out of the source and RECEIVE-TRANSFER into the destination,
named by `FromBankTransactionID` and `ToBankTransactionID`. What it refuses, modelled here (the stricter reading
where the documentation is silent (?)): both accounts ACTIVE and of Type BANK, not the same one; an amount above
zero, in whole cents; one transfer a request (Xero documents "create a bank transfer", and its spec answers "an
array of one BankTransfer").
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import wire
from ledger_sync.sandboxes.xero.banktransactions import COLLECTION as TRANSACTIONS
from ledger_sync.sandboxes.xero.banktransactions import bank_account
from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import cents, number

COLLECTION = "BankTransfers"


def one_per_request(given: list[Any]) -> None:
    """The stricter reading: a request of several transfers is refused whole."""
    if len(given) > 1:
        raise Invalid(f"A request creates one bank transfer, not {len(given)}.")


def existing(books: Books, element: dict[str, Any]) -> None:
    """Transfers are only ever created."""
    return None


def save(books: Books, element: dict[str, Any], current: None, unitdp: int) -> dict[str, Any]:
    errors: list[str] = []
    source = bank_account(books, element.get("FromBankAccount"), errors)
    target = bank_account(books, element.get("ToBankAccount"), errors)
    if source is not None and target is not None and source["AccountID"] == target["AccountID"]:
        errors.append("The From and To bank accounts of a transfer must be different.")
    amount = Decimal(0)
    try:
        amount = number(element.get("Amount"), "Amount")
        if amount <= 0 or amount != cents(amount):
            errors.append("Amount must be greater than zero, in whole cents.")
    except Invalid as bad:
        errors.extend(bad.messages)
    try:
        day = wire.parse_day(element["Date"]) if element.get("Date") else books.today()
    except ValueError:
        errors.append("Date is not a valid date.")
    if errors or source is None or target is None:
        raise Invalid(*errors)
    date_value, date_string = wire.day_fields(day)
    reference = str(element.get("Reference", ""))
    sides = {
        kind: books.save(
            TRANSACTIONS,
            {
                "BankTransactionID": books.new_id(),
                "Type": kind,
                "BankAccount": {
                    "AccountID": account["AccountID"],
                    "Code": account.get("Code", ""),
                    "Name": account["Name"],
                },
                "Date": date_value,
                "DateString": date_string,
                "Reference": reference,
                "LineAmountTypes": "NoTax",
                "LineItems": [],
                "SubTotal": amount,
                "TotalTax": Decimal("0.00"),
                "Total": amount,
                "CurrencyCode": "CAD",
                "Status": "AUTHORISED",
                "IsReconciled": False,
                "HasAttachments": False,
            },
        )
        for kind, account in (("SPEND-TRANSFER", source), ("RECEIVE-TRANSFER", target))
    }
    transfer = {
        "BankTransferID": books.new_id(),
        "FromBankAccount": sides["SPEND-TRANSFER"]["BankAccount"],
        "ToBankAccount": sides["RECEIVE-TRANSFER"]["BankAccount"],
        "Amount": amount,
        "Date": date_value,
        "Reference": reference,
        "CurrencyRate": Decimal("1.000000"),
        "FromBankTransactionID": sides["SPEND-TRANSFER"]["BankTransactionID"],
        "ToBankTransactionID": sides["RECEIVE-TRANSFER"]["BankTransactionID"],
        "FromIsReconciled": False,
        "ToIsReconciled": False,
        "HasAttachments": False,
        "CreatedDateUTC": books.stamp(),
        "Status": "AUTHORISED",
    }
    return books.save(COLLECTION, transfer)
