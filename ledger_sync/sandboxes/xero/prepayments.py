"""Prepayments and overpayments (spec `Prepayment`, `Overpayment`): money a contact paid before (or beyond) what
it owes, held as its credit until allocated to its invoices.

What Xero does and refuses, modelled here (the stricter reading where its documentation is silent (?)):
- both are created only through `PUT /BankTransactions` with Type RECEIVE-PREPAYMENT or RECEIVE-OVERPAYMENT (the
  `/Prepayments` and `/Overpayments` endpoints read and allocate; they create nothing); the bank transaction
  carries the PrepaymentID / OverpaymentID of the credit it made, and neither is changed through BankTransactions
  again, only deleted (below; any other change refused, as Xero changes them only by allocation).
- their lines carry no tax here (LineAmountTypes NoTax) and post to Accounts Receivable (the DEBTORS system
  account): an overpayment's must (Xero's documentation); a prepayment's may post elsewhere in Xero, but the
  sandbox refuses any other account (?), the stricter reading, so a deposit never reaches revenue before its
  invoice does.
- `PUT /{Prepayments|Overpayments}/{id}/Allocations`: part of the credit applied to an AUTHORISED invoice of the
  same contact, no more than the invoice's AmountDue nor the RemainingCredit (a 400 otherwise); the invoice's
  AmountCredited goes up (the spec: "credit notes, over-payments and pre-payments applied"), PAID at zero; the
  credit is PAID when none remains. `DELETE /{Prepayments|Overpayments}/{id}/Allocations/{AllocationID}` undoes one
  (`creditnotes.deallocate`).
- an invoice a prepayment or overpayment is allocated to cannot be voided (`invoices`: its AmountCredited).
- the bank transaction that made one is deleted by `POST /BankTransactions` `{"BankTransactionID": ...,
  "Status": "DELETED"}` (other fields sent are ignored, as for any bank transaction's deletion); the credit is then
  VOIDED (the spec's status for it) and the money leaves the bank account. Refused while any of the credit is
  allocated or refunded (?): Xero's documentation does not say, its UI asks for allocations and refunds to be
  removed first, so the stricter reading.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import invoices, wire
from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.creditnotes import checked_allocation

KINDS = {
    "RECEIVE-PREPAYMENT": ("Prepayments", "PrepaymentID"),
    "RECEIVE-OVERPAYMENT": ("Overpayments", "OverpaymentID"),
}
"""Bank transaction Type -> the collection of the credit it makes and that credit's id field."""
ID_FIELDS = dict(KINDS.values())
"""Collection -> its id field."""


def check_lines(books: Books, kind: str, mode: str, lines: list[dict[str, Any]], errors: list[str]) -> None:
    """A prepayment's or overpayment's lines: untaxed, to Accounts Receivable (see the module's docstring)."""
    if mode != "NoTax":
        errors.append(f"A {kind} bank transaction takes LineAmountTypes NoTax.")
    receivable = {a["Code"] for a in books.all("Accounts") if a.get("SystemAccount") == "DEBTORS"}
    if any(line["AccountCode"] not in receivable for line in lines):
        errors.append(f"The line items of a {kind} bank transaction must be coded to Accounts Receivable.")


def credit_from(books: Books, transaction: dict[str, Any]) -> dict[str, Any]:
    """Make the prepayment or overpayment a new RECEIVE-PREPAYMENT / -OVERPAYMENT bank transaction stands for; the
    transaction, naming it."""
    collection, id_field = KINDS[transaction["Type"]]
    credit_id = books.new_id()
    credit = {
        id_field: credit_id,
        "ID": credit_id,
        "Type": transaction["Type"],
        "Contact": transaction["Contact"],
        "Date": transaction["Date"],
        "DateString": transaction["DateString"],
        "Status": "AUTHORISED",
        "LineAmountTypes": transaction["LineAmountTypes"],
        "LineItems": transaction["LineItems"],
        "SubTotal": transaction["SubTotal"],
        "TotalTax": transaction["TotalTax"],
        "Total": transaction["Total"],
        "Reference": transaction["Reference"],
        "CurrencyCode": transaction["CurrencyCode"],
        "RemainingCredit": transaction["Total"],
        "AppliedAmount": Decimal(0),
        "Allocations": [],
        "Payments": [],
        "HasAttachments": False,
    }
    books.save(collection, credit)
    return {**transaction, id_field: credit_id}


def allocate(books: Books, collection: str, credit: dict[str, Any], element: Any) -> dict[str, Any]:
    """Apply part of an AUTHORISED prepayment or overpayment to an AUTHORISED invoice of its contact."""
    if credit["Status"] != "AUTHORISED":
        raise Invalid(f"The {collection[:-1].lower()} must be AUTHORISED to be allocated.")
    invoice, amount, day = checked_allocation(books, credit, element)
    id_field = ID_FIELDS[collection]
    date_value, _ = wire.day_fields(day)
    allocation = {"AllocationID": books.new_id(), "Amount": amount, "Date": date_value, "IsDeleted": False}
    summary = {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"], "Type": invoice["Type"]}
    credit["Allocations"].append({**allocation, "Invoice": summary})
    credit["AppliedAmount"] += amount
    credit["RemainingCredit"] = credit["Total"] - credit["AppliedAmount"]
    if credit["RemainingCredit"] == 0:
        credit["Status"] = "PAID"
    books.save(collection, credit)
    listed = {id_field: credit[id_field], "AppliedAmount": amount, "Total": credit["Total"]}
    invoices.record_allocation(books, invoice, collection, listed, amount, date_value)
    return {**allocation, "Invoice": summary, collection[:-1]: {id_field: credit[id_field]}}


def deleted(books: Books, transaction: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
    """The RECEIVE-PREPAYMENT / -OVERPAYMENT bank transaction deleted (see the module's docstring), its credit
    VOIDED."""
    kind = transaction["Type"]
    if element.get("Status") != "DELETED":
        raise Invalid(
            f"A {kind} bank transaction can only be deleted (Status DELETED); its credit changes by allocation."
        )
    collection, id_field = KINDS[kind]
    credit = books.get(collection, transaction[id_field])
    assert credit is not None  # made with the transaction, never removed
    if any(not allocation["IsDeleted"] for allocation in credit["Allocations"]) or credit["Payments"]:
        raise Invalid(
            f"This {collection[:-1].lower()} cannot be deleted while it is allocated to invoices or refunded: "
            "remove its allocations and refunds first."
        )
    books.save(collection, {**credit, "Status": "VOIDED", "RemainingCredit": Decimal(0)})
    return {**transaction, "Status": "DELETED"}
