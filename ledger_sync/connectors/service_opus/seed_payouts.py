"""The seed's card payouts: the card processor settles a company's collected card payments (and their tips) in
windows of a few days and pays out each window two days after it closes, keeping 2.9 % + 0.30 of each payment.
The last windows, not paid out by the time of the latest payment, leave their money in card clearing, as a real
clearing account does. Derived from the payments alone (no random stream), so adding payouts changed nothing else
a seed gives."""

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection, select

from ledger_sync.connectors.service_opus.models import Payment, PaymentMethod, PaymentStatus, PayoutPayment
from ledger_sync.core.money import cents

PROCESSOR = "Opus Pay"
WINDOW = timedelta(days=3)
PAYOUT_DELAY = timedelta(days=2)
FEE_RATE, FEE_FIXED = Decimal("0.029"), Decimal("0.30")


def payout_rows(
    conn: Connection, company_id: int, clearing_id: int, operating_id: int, ids: dict[str, Iterator[int]]
) -> dict[str, list[dict[str, object]]]:
    """The payouts of the company's collected card payments in `clearing_id` that no payout settles yet."""
    settled = select(PayoutPayment.payment_id)
    card = conn.execute(
        select(Payment.id, Payment.amount, Payment.tip_amount, Payment.collected_at)
        .where(
            Payment.company_id == company_id,
            Payment.method == PaymentMethod.CARD,
            Payment.status == PaymentStatus.COLLECTED,
            Payment.bank_account_id == clearing_id,
            Payment.id.not_in(settled),
        )
        .order_by(Payment.collected_at, Payment.id)
    ).all()
    rows: dict[str, list[dict[str, object]]] = {"payouts": [], "payout_payments": []}
    if not card:
        return rows
    latest: datetime = card[-1].collected_at
    windows: dict[datetime, list[tuple[int, Decimal]]] = {}
    first: datetime = card[0].collected_at.replace(hour=0, minute=0, second=0, microsecond=0)
    for payment in card:
        start = first + WINDOW * ((payment.collected_at - first) // WINDOW)
        windows.setdefault(start, []).append((payment.id, payment.amount + payment.tip_amount))
    for start, payments in windows.items():
        paid_on = start + WINDOW + PAYOUT_DELAY
        if paid_on > latest:
            continue
        gross = sum((landed for _, landed in payments), Decimal("0.00"))
        fees = sum((cents(landed * FEE_RATE + FEE_FIXED) for _, landed in payments), Decimal("0.00"))
        payout_id = next(ids["payouts"])
        rows["payouts"].append(
            {
                "id": payout_id,
                "company_id": company_id,
                "paid_on": paid_on.date(),
                "processor": PROCESSOR,
                "gross": gross,
                "fees": fees,
                "net": gross - fees,
                "clearing_account_id": clearing_id,
                "deposit_account_id": operating_id,
            }
        )
        rows["payout_payments"] += [
            {"id": next(ids["payout_payments"]), "payout_id": payout_id, "payment_id": payment_id}
            for payment_id, _ in payments
        ]
    return rows
