"""Bank transactions (spec `BankTransaction`): money received into (RECEIVE) or spent from (SPEND) a bank account,
its lines posted to other accounts.

What Xero refuses, modelled here (the stricter reading where its documentation is silent (?)):
- `Type`, `BankAccount` and `LineItems` are required (the spec); a `Contact` too (Xero's docs list it as required
  for RECEIVE and SPEND). RECEIVE-PREPAYMENT and RECEIVE-OVERPAYMENT are created here too, each making the
  contact's credit it stands for (`prepayments`); the other types (SPEND-PREPAYMENT, SPEND-OVERPAYMENT, made by
  other endpoints or not by us: -TRANSFER) are refused.
- `BankAccount` must be an ACTIVE account of Type BANK (an account with `EnablePaymentsToAccount` takes payments,
  not bank transactions: refused, stricter).
- each line posts to an ACTIVE account that is not a BANK account, with an ACTIVE tax rate; a supplied
  `LineAmount` must equal Quantity x UnitAmount; the total must be above zero (stricter).
- an update (POST by `BankTransactionID`) replaces the lines; a reconciled or deleted one cannot be changed; a
  RECEIVE-PREPAYMENT or -OVERPAYMENT can only be deleted, and only as `prepayments.deleted` allows.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import contacts, prepayments, wire
from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import cents, line_tax, number, quantity, unit_amount

COLLECTION = "BankTransactions"
TYPES = ("RECEIVE", "SPEND")
MODES = ("Exclusive", "Inclusive", "NoTax")
ZERO = Decimal("0.00")


def existing(books: Books, element: dict[str, Any]) -> dict[str, Any] | None:
    """The bank transaction a POST updates, by BankTransactionID (None: a create)."""
    if not element.get("BankTransactionID"):
        return None
    found = books.get(COLLECTION, str(element["BankTransactionID"]))
    if found is None:
        raise Invalid("Bank transaction could not be found.")
    return found


def save(books: Books, element: dict[str, Any], current: dict[str, Any] | None, unitdp: int) -> dict[str, Any]:
    if current is not None and (current["Status"] != "AUTHORISED" or current.get("IsReconciled")):
        raise Invalid("This bank transaction cannot be edited: it is reconciled or deleted.")
    if current is not None and current["Type"] in prepayments.KINDS:
        return books.save(COLLECTION, prepayments.deleted(books, current, element))
    if current is not None and current["Type"] not in TYPES:
        raise Invalid(f"A {current['Type']} bank transaction is changed through what made it (its bank transfer).")
    if element.get("Status") == "DELETED" and current is not None:
        return books.save(COLLECTION, {**current, "Status": "DELETED"})
    merged = {**(current or {}), **element}
    errors: list[str] = []
    kind = merged.get("Type")
    if kind not in (*TYPES, *prepayments.KINDS):
        known = ", ".join((*TYPES, *prepayments.KINDS))
        errors.append(f"Type must be one of {known} (other types are made by their own endpoints).")
    contact = _contact(books, merged.get("Contact"), errors)
    bank = bank_account(books, merged.get("BankAccount"), errors)
    mode = merged.get("LineAmountTypes", "Exclusive")
    if mode not in MODES:
        errors.append(f"LineAmountTypes must be one of {', '.join(MODES)}.")
    lines = _lines(books, merged.get("LineItems"), mode, unitdp, errors)
    if kind in prepayments.KINDS:
        prepayments.check_lines(books, kind, mode, lines, errors)
    try:
        day = wire.parse_day(merged["Date"]) if merged.get("Date") else books.today()
    except ValueError:
        errors.append("Date is not a valid date.")
    if errors or contact is None or bank is None:
        raise Invalid(*errors)
    amounts = sum((line["LineAmount"] for line in lines), ZERO)
    tax = sum((line["TaxAmount"] for line in lines), ZERO)
    subtotal = amounts - tax if mode == "Inclusive" else amounts
    if subtotal + tax <= 0:
        raise Invalid("The total of a bank transaction must be greater than zero.")
    date_value, date_string = wire.day_fields(day)
    doc = {
        "BankTransactionID": current["BankTransactionID"] if current else books.new_id(),
        "Type": kind,
        "Contact": contacts.summary(contact),
        "BankAccount": {"AccountID": bank["AccountID"], "Code": bank.get("Code", ""), "Name": bank["Name"]},
        "Date": date_value,
        "DateString": date_string,
        "Reference": str(merged.get("Reference", "")),
        "LineAmountTypes": mode,
        "LineItems": lines,
        "SubTotal": subtotal,
        "TotalTax": tax,
        "Total": subtotal + tax,
        "CurrencyCode": "CAD",
        "Status": "AUTHORISED",
        "IsReconciled": bool(merged.get("IsReconciled", False)),
        "HasAttachments": False,
    }
    return books.save(COLLECTION, prepayments.credit_from(books, doc) if kind in prepayments.KINDS else doc)


def _contact(books: Books, given: Any, errors: list[str]) -> dict[str, Any] | None:
    key = given.get("ContactID") if isinstance(given, dict) else None
    contact = books.find("Contacts", key) if key else None
    if contact is None:
        missing = "A Contact must be specified for this type of transaction"
        errors.append("The contact could not be found." if key else missing)
    elif contact["ContactStatus"] != "ACTIVE":
        errors.append(f"The contact '{contact['Name']}' is archived and cannot be used on a new transaction.")
        return None
    return contact


def bank_account(books: Books, given: Any, errors: list[str]) -> dict[str, Any] | None:
    """The ACTIVE BANK account `given` names (by AccountID or Code), else None with the reason in `errors`."""
    key = (given.get("AccountID") or given.get("Code")) if isinstance(given, dict) else None
    account = books.find("Accounts", key) if key else None
    if account is None:
        errors.append("The bank account could not be found." if key else "A BankAccount must be specified.")
    elif account.get("Status") != "ACTIVE" or account.get("Type") != "BANK":
        errors.append(f"Account '{account.get('Name')}' is not an active bank account.")
        return None
    return account


def _lines(books: Books, given: Any, mode: str, unitdp: int, errors: list[str]) -> list[dict[str, Any]]:
    if not isinstance(given, list) or not given:
        errors.append("At least one line item must be specified.")
        return []
    lines = []
    for raw in given:
        try:
            lines.append(_line(books, raw, mode, unitdp))
        except Invalid as bad:
            errors.extend(bad.messages)
    return lines


def _line(books: Books, raw: Any, mode: str, unitdp: int) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise Invalid("Each line item must be an object.")
    qty = quantity(raw.get("Quantity", 1))
    unit = unit_amount(raw.get("UnitAmount", 0), unitdp)
    amount = cents(qty * unit)
    if "LineAmount" in raw and cents(number(raw["LineAmount"], "LineAmount")) != amount:
        raise Invalid(f"The line amount {raw['LineAmount']} does not equal Quantity x UnitAmount ({amount}).")
    code = raw.get("AccountCode")
    account = books.find("Accounts", str(code)) if code else None
    if account is None or account.get("Type") == "BANK":
        raise Invalid(f"Account code '{code}' is not a valid code for this document.")
    if account.get("Status") != "ACTIVE":
        raise Invalid(f"The account code '{code}' has been archived, or deleted.")
    tax_type = str(raw.get("TaxType") or "NONE")
    rate = books.get("TaxRates", tax_type)
    if rate is None or rate.get("Status") != "ACTIVE":
        raise Invalid(f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction.")
    return {
        "LineItemID": Books.new_id(),
        "Description": str(raw.get("Description", "")),
        "Quantity": qty,
        "UnitAmount": unit,
        "AccountCode": account["Code"],
        "TaxType": tax_type,
        "TaxAmount": line_tax(amount, Decimal(str(rate["EffectiveRate"])), mode),
        "LineAmount": amount,
    }
