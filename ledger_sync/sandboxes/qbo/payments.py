"""Payments against invoices: what each invoice has received, and a payment's unapplied remainder.

A payment line may also link a CreditMemo: that is how QBO applies a credit memo to an invoice (a payment,
often of TotalAmt 0, whose invoice lines are paid by its credit memo lines). The memo's credit counts
against the payment's total: TotalAmt = invoice lines - credit memo lines + unapplied amount.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import cents, to_decimal

LINKABLE = ("Invoice", "CreditMemo")
"""What a payment line may link to."""


def invoice_links(payment: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(invoice Id, amount) for each payment line linked to an invoice."""
    return _links(payment, "Invoice")


def credit_links(payment: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(credit memo Id, amount) for each payment line that applies a credit memo."""
    return _links(payment, "CreditMemo")


def _links(payment: dict[str, Any], txn_type: str) -> list[tuple[str, Decimal]]:
    links = []
    for line in payment.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") == txn_type and linked.get("TxnId") is not None:
                links.append((str(linked["TxnId"]), to_decimal(line.get("Amount", 0))))
    return links


def applied_amount(books: Books, invoice_id: str, exclude_payment_id: str | None = None) -> Decimal:
    """What all payments (but the excluded one, when re-checking its update) apply to the invoice."""
    applied = Decimal(0)
    for payment in books.payments_linking(invoice_id):
        if payment["Id"] != exclude_payment_id:
            applied += sum((amount for i, amount in invoice_links(payment) if i == invoice_id), Decimal(0))
    return applied


def credited_amount(books: Books, memo_id: str, exclude_payment_id: str | None = None) -> Decimal:
    """What all payments (but the excluded one) apply of the credit memo."""
    applied = Decimal(0)
    for payment in books.payments_linking(memo_id):
        if payment["Id"] != exclude_payment_id:
            applied += sum((amount for i, amount in credit_links(payment) if i == memo_id), Decimal(0))
    return applied


def paying_payment_ids(books: Books, invoice_id: str) -> list[str]:
    return [p["Id"] for p in books.payments_linking(invoice_id) if any(i == invoice_id for i, _ in invoice_links(p))]


def crediting_payment_ids(books: Books, memo_id: str) -> list[str]:
    return [p["Id"] for p in books.payments_linking(memo_id) if any(i == memo_id for i, _ in credit_links(p))]


def net_applied(payment: dict[str, Any]) -> Decimal:
    """What the payment's lines take of its total: the lines that pay, less the credit memo lines that fund them."""
    taken = Decimal(0)
    for line in payment.get("Line") or []:
        credits = any(linked.get("TxnType") == "CreditMemo" for linked in line.get("LinkedTxn") or [])
        taken += -to_decimal(line.get("Amount", 0)) if credits else to_decimal(line.get("Amount", 0))
    return taken


def undeposited_funds(books: Books) -> dict[str, Any]:
    return next(a for a in books.all("Account") if a.get("AccountSubType") == "UndepositedFunds")


def settle(books: Books, payment: dict[str, Any]) -> dict[str, Any]:
    """Money as exact cents, the unlinked remainder as `UnappliedAmt`, deposit to Undeposited Funds by default."""
    total = cents(payment["TotalAmt"])
    lines = []
    for line in payment.get("Line") or []:
        lines.append({**line, "Amount": cents(line["Amount"])})
    settled = {**payment, "TotalAmt": total, "Line": lines}
    settled["UnappliedAmt"] = total - net_applied(settled)
    if ref_id(payment.get("DepositToAccountRef")) is None:
        account = undeposited_funds(books)
        settled["DepositToAccountRef"] = {"value": account["Id"], "name": account["Name"]}
    settled.setdefault("ProcessPayment", False)
    return settled
