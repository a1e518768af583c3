"""Sales credit notes (ACCRECCREDIT) and their allocations to the customer's invoices.

A credit note's contact and lines follow the invoice rules (`invoices`): same accounts, tax rates, per-line
tax and totals. Once AUTHORISED it holds `RemainingCredit`; `PUT /CreditNotes/{id}/Allocations` applies
part of it to an AUTHORISED invoice of the same contact: the invoice's `AmountCredited` goes up and its
`AmountDue` down (PAID at zero), the note's `RemainingCredit` down (PAID at zero). An allocation larger
than the invoice's `AmountDue` or the note's `RemainingCredit` is refused, and so is one to an invoice in another
currency than the credit's. A credit note is in its contact's currency at a `CurrencyRate`, as an invoice is
(`invoices.currency_fields`, `currencies`). Xero's exact wording of these
refusals is not documented (?): the sandbox answers a ValidationException naming the amounts.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import currencies, invoices, wire
from ledger_sync.sandboxes.xero.books import ID_FIELDS, Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import cents, number

TYPE = "ACCRECCREDIT"
_CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
ZERO = Decimal("0.00")


def existing(books: Books, element: dict[str, Any]) -> dict[str, Any] | None:
    """The credit note a POST updates: by CreditNoteID, else by CreditNoteNumber."""
    if element.get("CreditNoteID"):
        found = books.find("CreditNotes", element["CreditNoteID"])
        if found is None:
            raise Invalid("Credit note could not be found")
        return found
    number_ = element.get("CreditNoteNumber")
    return books.find("CreditNotes", number_) if number_ else None


def save(books: Books, element: dict[str, Any], current: dict[str, Any] | None, unitdp: int) -> dict[str, Any]:
    """Create, or update a credit note nothing is allocated from yet (Xero locks an allocated one)."""
    kind = element.get("Type", (current or {}).get("Type"))
    if kind != TYPE:
        raise Invalid(f"CreditNote Type must be {TYPE} (the sandbox models sales credit notes only).")
    if current is not None and element.get("Status") == "VOIDED":
        return _voided(books, current, element)
    note = dict(current) if current else _blank(books)
    if current is not None and (current["Allocations"] or current["Status"] not in ("DRAFT", "SUBMITTED")):
        # Xero refuses edits to an authorised note with allocations; the sandbox refuses any edit once
        # authorised (stricter: the sync never edits a credit note it issued).
        raise Invalid("This credit note cannot be edited: it is authorised or has allocations.")
    wanted = element.get("Status", note["Status"])
    if wanted not in _CREATE_STATUSES:
        raise Invalid(f"CreditNote Status must be one of {', '.join(_CREATE_STATUSES)}.")
    note["Status"] = wanted
    errors: list[str] = []
    for step in (_header, invoices._contact, invoices._lines):
        try:
            step(books, note, element, current, unitdp)
        except Invalid as bad:
            errors.extend(bad.messages)
    if errors:
        raise Invalid(*errors)
    if note["Total"] < 0:
        raise Invalid(f"The credit note total ({note['Total']}) is below zero.")
    note["RemainingCredit"] = note["Total"] - note["AppliedAmount"]
    return books.save("CreditNotes", note)


def _voided(books: Books, current: dict[str, Any], element: dict[str, Any]) -> dict[str, Any]:
    """`Status: VOIDED` on an AUTHORISED credit note nothing is allocated from (voiding it again changes nothing).
    Xero's documentation does not say whether it voids an allocated credit note; the sandbox refuses it (stricter:
    delete the allocations first), and refuses anything else sent with the void."""
    others = set(element) - {"CreditNoteID", "CreditNoteNumber", "Status"}
    if others:
        raise Invalid(f"A credit note is voided by its Status alone, not with {', '.join(sorted(others))}.")
    if current["Status"] == "VOIDED":
        return current
    if current["Status"] != "AUTHORISED" or current["AppliedAmount"] != 0:
        raise Invalid("This credit note cannot be voided: it has allocations. Remove the allocations first.")
    return books.save("CreditNotes", {**current, "Status": "VOIDED", "RemainingCredit": ZERO})


def _blank(books: Books) -> dict[str, Any]:
    return {
        "CreditNoteID": books.new_id(),
        "Type": TYPE,
        "Reference": "",
        "Status": "DRAFT",
        "LineAmountTypes": "Exclusive",
        "LineItems": [],
        "CurrencyCode": "CAD",
        "CurrencyRate": Decimal("1.000000"),
        "Allocations": [],
        "Payments": [],
        "AppliedAmount": ZERO,
        "HasAttachments": False,
        "HasErrors": False,
    }


def _header(books: Books, note: dict[str, Any], element: dict[str, Any], current: Any, unitdp: int) -> None:
    errors: list[str] = []
    if "Reference" in element:
        note["Reference"] = str(element["Reference"])
    invoices.currency_fields(books, note, element, current, errors)
    if "Date" in element or current is None:
        try:
            day = wire.parse_day(element["Date"]) if "Date" in element else books.today()
            note["Date"], note["DateString"] = wire.day_fields(day)
        except ValueError:
            errors.append("Date is not a valid date.")
    given = element.get("CreditNoteNumber")
    if given is not None:
        note["CreditNoteNumber"] = str(given).strip()
    elif current is None:
        note["CreditNoteNumber"] = books.next_number("CreditNotes", "CN")
    clash = any(
        other["CreditNoteID"] != note["CreditNoteID"]
        for other in books.store.matching(books.tenant, "CreditNotes", "CreditNoteNumber", note["CreditNoteNumber"])
    )
    if clash:
        errors.append("Credit Note Number must be unique.")
    if errors:
        raise Invalid(*errors)


def checked_allocation(books: Books, credit: dict[str, Any], element: Any) -> tuple[dict[str, Any], Decimal, date]:
    """(invoice, amount, date) of an allocation of a credit (a credit note, prepayment or overpayment) to an
    AUTHORISED invoice of its contact, no more than the invoice's amount due nor the credit remaining."""
    if not isinstance(element, dict):
        raise Invalid("Each allocation must be a JSON object.")
    errors: list[str] = []
    given = element.get("Invoice")
    key = given.get("InvoiceID") or given.get("InvoiceNumber") if isinstance(given, dict) else None
    invoice = books.find("Invoices", key) if key else None
    if invoice is None:
        errors.append("Invoice could not be found." if key else "An Invoice must be specified for the allocation.")
    elif invoice["Status"] != "AUTHORISED":
        errors.append("The invoice must be AUTHORISED to allocate a credit to it.")
    elif invoice["Contact"]["ContactID"] != credit["Contact"]["ContactID"]:
        errors.append("The invoice and the credit must be for the same contact.")
    elif invoice["CurrencyCode"] != credit.get("CurrencyCode", currencies.BASE):
        # Xero documents no wording; a contact has one currency in the sandbox, so this guards a credit kept from
        # before a currency change (stricter: refused outright, never converted).
        errors.append(
            f"The credit is in {credit.get('CurrencyCode', currencies.BASE)} but the invoice is in "
            f"{invoice['CurrencyCode']}: a credit is allocated only to an invoice in its own currency."
        )
    amount = ZERO
    try:
        amount = cents(number(element.get("Amount"), "Amount"))
    except Invalid as bad:
        errors.extend(bad.messages)
    if amount <= 0:
        errors.append("The allocation amount must be greater than zero.")
    if amount > credit["RemainingCredit"]:
        errors.append(
            f"The allocation amount ({amount}) is more than the credit remaining ({credit['RemainingCredit']})."
        )
    if invoice is not None and invoice["Status"] == "AUTHORISED" and amount > invoice["AmountDue"]:
        errors.append(
            f"The allocation amount ({amount}) is more than the invoice's amount due ({invoice['AmountDue']})."
        )
    day = books.today()
    try:
        day = wire.parse_day(element["Date"]) if "Date" in element else day
    except ValueError:
        errors.append("Date is not a valid date.")
    if errors or invoice is None:
        raise Invalid(*errors)
    return invoice, amount, day


def allocate(books: Books, note: dict[str, Any], element: Any) -> dict[str, Any]:
    """Apply part of an AUTHORISED credit note to an AUTHORISED invoice of its contact."""
    if note["Status"] != "AUTHORISED":
        raise Invalid("The credit note must be AUTHORISED to be allocated.")
    invoice, amount, day = checked_allocation(books, note, element)
    date_value, _ = wire.day_fields(day)
    allocation = {"AllocationID": books.new_id(), "Amount": amount, "Date": date_value, "IsDeleted": False}
    note["Allocations"].append({**allocation, "Invoice": _invoice_summary(invoice)})
    note["AppliedAmount"] += amount
    note["RemainingCredit"] = note["Total"] - note["AppliedAmount"]
    if note["RemainingCredit"] == 0:
        note["Status"] = "PAID"
    books.save("CreditNotes", note)
    invoices.record_credit(books, invoice, note, amount)
    return {
        **allocation,
        "Invoice": _invoice_summary(invoice),
        "CreditNote": {"CreditNoteID": note["CreditNoteID"], "CreditNoteNumber": note["CreditNoteNumber"]},
    }


def _invoice_summary(invoice: dict[str, Any]) -> dict[str, Any]:
    return {"InvoiceID": invoice["InvoiceID"], "InvoiceNumber": invoice["InvoiceNumber"], "Type": invoice["Type"]}


def deallocate(books: Books, collection: str, credit: dict[str, Any], allocation_id: str) -> dict[str, Any]:
    """Delete one allocation of a credit note, prepayment or overpayment (`collection`): the credit goes back to it
    (AUTHORISED again) and the amount due back onto the invoice (AUTHORISED again); an allocation deleted already is
    refused as not found."""
    found = [a for a in credit["Allocations"] if a["AllocationID"] == allocation_id and not a["IsDeleted"]]
    if not found:
        raise Invalid("Allocation could not be found.")
    allocation = found[0]
    allocation["IsDeleted"] = True
    amount = allocation["Amount"]
    credit["AppliedAmount"] -= amount
    credit["RemainingCredit"] = credit["Total"] - credit["AppliedAmount"]
    credit["Status"] = "AUTHORISED"
    books.save(collection, credit)
    invoice = books.find("Invoices", allocation["Invoice"]["InvoiceID"])
    assert invoice is not None  # an allocated invoice cannot be deleted or voided
    id_field = ID_FIELDS[collection]
    invoices.remove_allocation(books, invoice, collection, credit[id_field], amount)
    return {**allocation, collection[:-1]: {id_field: credit[id_field]}}
