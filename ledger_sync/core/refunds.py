"""A refund as the ledger takes it: the share of the paid invoice's revenue and tax that the money paid back gives
back.

Service Opus records a refund as an amount (tax included) paid back out of one payment, with no lines or tax of its
own. Both ledgers need lines and tax to take revenue and tax back (a QBO RefundReceipt, a Xero credit note), so the
refund is spread over the invoice's tax codes in proportion: for each code, its net and its tax on the invoice
(discounts included) times refund / invoice total, each rounded half-up to the cent; the cent or two rounding
leaves over goes to the net of the code with the largest share. A full refund of a payment of the whole invoice
gives back exactly the invoice's net and tax per code.

A refund of a foreign-currency invoice's payment is in that currency, at the rate Service Opus recorded on the day it
was paid back (`SourceRefund.exchange_rate`).
"""

from dataclasses import dataclass
from decimal import Decimal

from ledger_sync.core.currency import credit_currency_problem
from ledger_sync.core.money import cents
from ledger_sync.core.records import InvoiceLineRecord, InvoiceRecord, RefundRecord, TaxLineRecord
from ledger_sync.core.snapshots import SourceRefund
from ledger_sync.core.transform import TransformProblem


@dataclass
class _Share:
    """One tax code's part of the invoice: what its lines and discounts come to, and the item its lines sell."""

    item_ref: str
    net: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")


def refund_record(
    refund: SourceRefund, invoice: InvoiceRecord, *, payment_number: int, deposit_account_ref: str
) -> RefundRecord:
    """The refund of a payment of `invoice` (the ledger-neutral invoice, as synced), paid out of
    `deposit_account_ref`; refused (parked) when it is not a whole, positive number of cents or exceeds the
    invoice."""
    amount = refund.amount
    if amount <= 0 or cents(amount) != amount:
        raise TransformProblem(f"Refund amount {amount.normalize()} is not a positive whole number of cents")
    if invoice.total <= 0 or amount > invoice.total:
        raise TransformProblem(f"Refund of {amount} exceeds invoice {invoice.number}, which totals {invoice.total}")
    customer_currency = invoice.currency if invoice.exchange_rate is not None else None
    problem = credit_currency_problem(f"Refund {refund.id}", invoice.currency, refund.exchange_rate, customer_currency)
    if problem is not None:
        raise TransformProblem(problem)
    shares: dict[str, _Share] = {}
    for line in invoice.lines:
        share = shares.setdefault(line.tax_code_ref, _Share(line.item_ref))
        share.net, share.tax = share.net + line.amount, share.tax + line.tax_amount
    for discount in invoice.discounts:
        share = shares.setdefault(discount.tax_code_ref, _Share(invoice.lines[0].item_ref))
        share.net, share.tax = share.net + discount.amount, share.tax + discount.tax_amount
    ratio = amount / invoice.total
    given = {code: (cents(s.net * ratio), cents(s.tax * ratio)) for code, s in shares.items()}
    largest = max(shares, key=lambda code: shares[code].net + shares[code].tax)
    left = amount - sum((net + tax for net, tax in given.values()), Decimal("0.00"))
    given[largest] = (given[largest][0] + left, given[largest][1])
    description = f"Refund of payment {payment_number} on invoice {invoice.number}"
    if refund.reason:
        description += f": {refund.reason}"
    lines = tuple(
        InvoiceLineRecord(shares[code].item_ref, description, Decimal(1), net, net, code, tax)
        for code, (net, tax) in given.items()
        if net or tax
    )
    rates = {tax_line.tax_code_ref: tax_line for tax_line in invoice.tax_lines}
    tax_lines = tuple(
        TaxLineRecord(code, rates[code].tax_rate_ref, rates[code].rate_percent, net, tax)
        for code, (net, tax) in given.items()
        if code in rates and (net or tax)
    )
    subtotal = sum((net for net, _ in given.values()), Decimal("0.00"))
    total_tax = sum((tax for _, tax in given.values()), Decimal("0.00"))
    return RefundRecord(
        source_id=refund.id,
        number=f"RF-{refund.id}",
        customer_ref=invoice.customer_ref,
        issue_date=refund.refunded_on,
        currency=invoice.currency,
        lines=lines,
        tax_lines=tax_lines,
        subtotal=subtotal,
        total_tax=total_tax,
        total=subtotal + total_tax,
        deposit_account_ref=deposit_account_ref,
        reason=refund.reason,
        exchange_rate=refund.exchange_rate,
    )
