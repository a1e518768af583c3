"""Payments against invoices: what each invoice has received, and a payment's unapplied remainder."""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import cents, to_decimal


def invoice_links(payment: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(invoice Id, amount) for each payment line linked to an invoice."""
    links = []
    for line in payment.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") == "Invoice" and linked.get("TxnId") is not None:
                links.append((str(linked["TxnId"]), to_decimal(line.get("Amount", 0))))
    return links


def applied_amount(books: Books, invoice_id: str, exclude_payment_id: str | None = None) -> Decimal:
    """What all payments (but the excluded one, when re-checking its update) apply to the invoice."""
    applied = Decimal(0)
    for payment in books.payments_linking(invoice_id):
        if payment["Id"] != exclude_payment_id:
            applied += sum((amount for i, amount in invoice_links(payment) if i == invoice_id), Decimal(0))
    return applied


def paying_payment_ids(books: Books, invoice_id: str) -> list[str]:
    return [p["Id"] for p in books.payments_linking(invoice_id) if any(i == invoice_id for i, _ in invoice_links(p))]


def undeposited_funds(books: Books) -> dict[str, Any]:
    return next(a for a in books.all("Account") if a.get("AccountSubType") == "UndepositedFunds")


def settle(books: Books, payment: dict[str, Any]) -> dict[str, Any]:
    """Money as exact cents, the unlinked remainder as `UnappliedAmt`, deposit to Undeposited Funds by default."""
    total = cents(payment["TotalAmt"])
    lines = []
    for line in payment.get("Line") or []:
        lines.append({**line, "Amount": cents(line["Amount"])})
    applied = sum((line["Amount"] for line in lines), Decimal(0))
    settled = {**payment, "TotalAmt": total, "Line": lines, "UnappliedAmt": total - applied}
    if ref_id(payment.get("DepositToAccountRef")) is None:
        account = undeposited_funds(books)
        settled["DepositToAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    settled.setdefault("ProcessPayment", False)
    return settled
