"""Voids: `POST /invoice?operation=void` and `POST /payment?operation=update&include=void`.

QBO keeps a voided transaction with its number and customer but at zero: every amount 0, the memo (PrivateNote)
replaced by "Voided" (whatever stamp it held is gone), Balance 0. A voided payment no longer pays its invoices.
QBO has no status field, so "Voided" with a zero total is how a voided transaction is told apart.

Stricter than QBO where it is not documented (?):
- real QBO may void an invoice that payments are applied to (leaving them as unapplied credit); the sandbox
  refuses it (6000) until those payments are voided or unlinked, so a client must deal with them explicitly;
- voiding something already voided, and updating a voided transaction, are refused (6000).
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.books import Books
from ledger_sync.sandboxes.qbo.money import to_decimal
from ledger_sync.sandboxes.qbo.payments import paying_payment_ids

VOIDED_NOTE = "Voided"
ZERO = Decimal(0)


def is_voided(entity: dict[str, Any]) -> bool:
    return entity.get("PrivateNote") == VOIDED_NOTE and to_decimal(entity.get("TotalAmt", 0)) == ZERO


def check_not_voided(entity: str, existing: dict[str, Any] | None) -> None:
    """A voided invoice or payment takes no further change."""
    if existing is not None and entity in ("Invoice", "Payment") and is_voided(existing):
        raise faults.business(f"This {entity.lower()} has been voided and cannot be changed.")


def voided_invoice(books: Books, invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice as QBO keeps it once voided; refused while a payment is applied to it."""
    check_not_voided("Invoice", invoice)
    paying = [pid for pid in paying_payment_ids(books, invoice["Id"]) if not is_voided(books.get("Payment", pid) or {})]
    if paying:
        raise faults.business(
            f"Invoice {invoice['Id']} has payments applied to it ({', '.join(paying)}): "
            f"void or unlink them before voiding the invoice."
        )
    lines = [{**line, "Amount": ZERO} if "Amount" in line else line for line in invoice.get("Line") or []]
    tax = dict(invoice.get("TxnTaxDetail") or {})
    tax["TotalTax"] = ZERO
    if "TaxLine" in tax:
        tax["TaxLine"] = [{**line, "Amount": ZERO} for line in tax["TaxLine"]]
    return {
        **invoice,
        "Line": lines,
        "TxnTaxDetail": tax,
        "TotalAmt": ZERO,
        "Balance": ZERO,
        "PrivateNote": VOIDED_NOTE,
    }


def voided_payment(payment: dict[str, Any]) -> dict[str, Any]:
    """The payment as QBO keeps it once voided: zero, applied to nothing."""
    check_not_voided("Payment", payment)
    return {**payment, "TotalAmt": ZERO, "UnappliedAmt": ZERO, "Line": [], "PrivateNote": VOIDED_NOTE}
