"""What of each payment pays its invoice, and what stays the customer's credit (deposits and overpayments).

Service Opus applies an invoice's payments in the order they reached it: a payment taken on the invoice when it was
collected, a deposit taken before the invoice existed when it was applied (`SourcePayment.application_order`). Each
pays what is still open on the invoice, at most its amount; what it brings beyond that (an overpayment's excess) stays
the customer's credit, so a later payment never changes what an earlier one paid.
"""

from collections.abc import Iterable
from decimal import Decimal

from ledger_sync.core.snapshots import SourcePayment

ZERO = Decimal("0.00")


def applied_parts(total: Decimal, payments: Iterable[SourcePayment]) -> dict[int, Decimal]:
    """By payment id, what each of one invoice's collected payments pays of its `total`."""
    open_balance = total
    parts: dict[int, Decimal] = {}
    for payment in sorted(payments, key=lambda p: p.application_order):
        part = min(payment.amount, max(open_balance, ZERO))
        parts[payment.id] = part
        open_balance -= part
    return parts


def applied_part(payment: SourcePayment, total: Decimal, payments: Iterable[SourcePayment]) -> Decimal:
    """What `payment` pays of its invoice's `total`, among the invoice's collected `payments` (it may be one of them
    or not: one not collected any more pays what it paid before those applied after it)."""
    others = [p for p in payments if p.id != payment.id]
    return applied_parts(total, [*others, payment])[payment.id]
