"""Payments against sales invoices: AUTHORISED invoice, amount within what is due, a payable account; and refunds
of sales credit notes: a payment naming an AUTHORISED ACCRECCREDIT note (`CreditNote`, the spec's Payment field)
pays its credit out (PaymentType ARCREDITPAYMENT), never more than its `RemainingCredit` (the same refusal as an
invoice's amount due), PAID at zero.

A payment is never changed, only deleted: `POST /Payments/{PaymentID}` `{"Status": "DELETED"}` (the spec's
PaymentDelete), which gives its amount back to the invoice (a PAID invoice is AUTHORISED again) or to the credit
note it refunded. Xero refuses to delete a reconciled payment; deleting one already deleted is refused too (Xero's
answer is not documented (?): the sandbox refuses, the stricter reading).
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import currencies, invoices, wire
from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import cents, number

EXCEEDS = "Payment amount exceeds the amount outstanding on this document"


def existing(books: Books, element: dict[str, Any]) -> None:
    """Payments are only ever created here; an update is a delete (`deletion`)."""
    return None


def deletion(payment_id: str) -> Callable[[Books, dict[str, Any]], dict[str, Any] | None]:
    """What `POST /Payments/{PaymentID}` updates: that payment (None when there is none)."""
    return lambda books, _element: books.get("Payments", payment_id)


def delete(books: Books, element: dict[str, Any], current: dict[str, Any] | None, unitdp: int) -> dict[str, Any]:
    if element.get("Status") != "DELETED":
        raise Invalid("A payment can only be deleted: Status must be DELETED.")
    if current is None:
        raise Invalid("Payment could not be found.")
    if current["Status"] == "DELETED":
        raise Invalid("This payment has already been deleted.")
    if current.get("IsReconciled"):
        raise Invalid("This payment has been reconciled and cannot be deleted. Unreconcile it first.")
    deleted = books.save("Payments", {**current, "Status": "DELETED"})
    if "CreditNote" in current:
        note = books.get("CreditNotes", current["CreditNote"]["CreditNoteID"])
        if note is not None:
            _pay_out(books, note, -current["Amount"])
        return deleted
    invoice = books.get("Invoices", current["Invoice"]["InvoiceID"])
    if invoice is not None:
        invoices.reapply_payments(books, invoice)
    return deleted


def save(books: Books, element: dict[str, Any], current: None, unitdp: int) -> dict[str, Any]:
    if element.get("CreditNote") is not None:
        return _refund(books, element)
    errors: list[str] = []
    invoice = _invoice(books, element.get("Invoice"), element.get("InvoiceNumber"), errors)
    account = _account(books, element.get("Account"), errors)
    owed = invoice["AmountDue"] if invoice is not None and invoice["Status"] == "AUTHORISED" else None
    amount, date_value = _amount_and_date(books, element, owed, errors)
    if errors or invoice is None or account is None:
        raise Invalid(*errors)
    rate = currencies.rate(invoice["CurrencyCode"], element.get("CurrencyRate"), errors)
    banked = currencies.bank_amount(amount, invoice["CurrencyCode"], rate, account, errors)
    if errors:
        raise Invalid(*errors)
    paid_on = {
        "Type": invoice["Type"],
        "InvoiceID": invoice["InvoiceID"],
        "InvoiceNumber": invoice["InvoiceNumber"],
        "Contact": invoice["Contact"],
        "CurrencyCode": invoice["CurrencyCode"],
    }
    payment = _payment(books, element, account, amount, date_value, "ACCRECPAYMENT") | {
        "Invoice": paid_on,
        "CurrencyRate": rate,
        "BankAmount": banked,
    }
    books.save("Payments", payment)
    invoices.record_payment(books, invoice, payment)
    return payment


def _refund(books: Books, element: dict[str, Any]) -> dict[str, Any]:
    """Pay out (part of) an AUTHORISED sales credit note's remaining credit from a payable account; a foreign note's
    refund is in its currency at a `CurrencyRate` of its own (required, as a foreign invoice payment's)."""
    errors: list[str] = []
    given = element["CreditNote"]
    key = (given.get("CreditNoteID") or given.get("CreditNoteNumber")) if isinstance(given, dict) else None
    note = books.find("CreditNotes", key) if key else None
    if note is None:
        errors.append("Credit note could not be found.")
    elif note["Status"] != "AUTHORISED" or note["Type"] != "ACCRECCREDIT":
        errors.append("Payment cannot be applied: the credit note must be an AUTHORISED sales credit note.")
    account = _account(books, element.get("Account"), errors)
    owed = note["RemainingCredit"] if note is not None and note["Status"] == "AUTHORISED" else None
    amount, date_value = _amount_and_date(books, element, owed, errors)
    if errors or note is None or account is None:
        raise Invalid(*errors)
    code = note.get("CurrencyCode", currencies.BASE)
    rate = currencies.rate(code, element.get("CurrencyRate"), errors)
    banked = currencies.bank_amount(amount, code, rate, account, errors)
    if errors:
        raise Invalid(*errors)
    paid_on = {
        "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note["CreditNoteNumber"],
        "Contact": note["Contact"],
        "CurrencyCode": code,
    }
    payment = _payment(books, element, account, amount, date_value, "ARCREDITPAYMENT") | {
        "CreditNote": paid_on,
        "CurrencyRate": rate,
        "BankAmount": banked,
    }
    books.save("Payments", payment)
    note["Payments"].append({"PaymentID": payment["PaymentID"], "Date": date_value, "Amount": amount})
    _pay_out(books, note, amount)
    return payment


def _amount_and_date(
    books: Books, element: dict[str, Any], owed: Decimal | None, errors: list[str]
) -> tuple[Decimal, str]:
    """The payment's amount (above zero, at most `owed` when the document takes payments) and its date as Xero
    writes it; each problem goes to `errors`."""
    amount = Decimal(0)
    try:
        amount = cents(number(element.get("Amount"), "Amount"))
        if amount <= 0:
            errors.append("Payment amount must be greater than zero.")
        elif owed is not None and amount > owed:
            errors.append(EXCEEDS)
    except Invalid as bad:
        errors.extend(bad.messages)
    day = books.today()
    try:
        day = wire.parse_day(element["Date"]) if "Date" in element else day
    except ValueError:
        errors.append("Date is not a valid date.")
    date_value, _ = wire.day_fields(day)
    return amount, date_value


def _payment(
    books: Books, element: dict[str, Any], account: dict[str, Any], amount: Decimal, date_value: str, kind: str
) -> dict[str, Any]:
    """A new payment of `kind` (ACCRECPAYMENT on an invoice, ARCREDITPAYMENT out of a credit note) as Xero holds it,
    without the document it pays."""
    return {
        "PaymentID": books.new_id(),
        "Date": date_value,
        "BankAmount": amount,
        "Amount": amount,
        "Reference": str(element.get("Reference", "")),
        "CurrencyRate": Decimal("1.000000"),
        "PaymentType": kind,
        "Status": "AUTHORISED",
        "IsReconciled": bool(element.get("IsReconciled", False)),
        "HasAccount": True,
        "HasValidationErrors": False,
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
    }


def _pay_out(books: Books, note: dict[str, Any], amount: Decimal) -> None:
    """`amount` more of the note's credit paid out (less, when a refund payment is deleted)."""
    note["AppliedAmount"] += amount
    note["RemainingCredit"] = note["Total"] - note["AppliedAmount"]
    note["Status"] = "PAID" if note["RemainingCredit"] == 0 else "AUTHORISED"
    books.save("CreditNotes", note)


def _invoice(books: Books, given: Any, number_: Any, errors: list[str]) -> dict[str, Any] | None:
    key = (given.get("InvoiceID") or given.get("InvoiceNumber")) if isinstance(given, dict) else number_
    invoice = books.find("Invoices", key) if key else None
    if invoice is None:
        errors.append("Invoice could not be found." if key else "An Invoice must be specified for the payment.")
    elif invoice["Status"] != "AUTHORISED":
        errors.append("Payment cannot be applied: the invoice must be AUTHORISED.")
    return invoice


def _account(books: Books, given: Any, errors: list[str]) -> dict[str, Any] | None:
    key = (given.get("AccountID") or given.get("Code")) if isinstance(given, dict) else None
    account = books.find("Accounts", key) if key else None
    if account is None:
        errors.append("Account could not be found." if key else "An Account must be specified for the payment.")
    elif account.get("Status") != "ACTIVE" or not (account["Type"] == "BANK" or account.get("EnablePaymentsToAccount")):
        errors.append("Account type is invalid for making a payment to/from")
        return None
    return account
