"""What Service Opus routed into each ledger bank or clearing account (`core.bank_balances`), to the cent."""

from datetime import date
from decimal import Decimal

from ledger_sync.core.bank_balances import BankBalance, bank_balances, routed
from ledger_sync.core.records import PaymentRecord, PayoutRecord, RefundRecord, SettledPayment, TipRecord

DAY = date(2026, 5, 4)


def _paid(source_id: int, amount: str, account: str, reversed_: bool = False) -> PaymentRecord:
    return PaymentRecord(source_id, "I-1", "C-1", Decimal(amount), DAY, "card", account, reversed=reversed_)


def _refund(source_id: int, amount: str, account: str) -> RefundRecord:
    total = Decimal(amount)
    return RefundRecord(
        source_id, f"R{source_id}", "C-1", DAY, "CAD", (), (), total, Decimal("0.00"), total,
        deposit_account_ref=account, reason="",
    )  # fmt: skip


def test_payments_tips_refunds_and_a_payout_net_of_fees_land_where_service_opus_routed_them() -> None:
    cards = [_paid(n, "50.00", "CLR") for n in range(1, 4)]
    payout = PayoutRecord(
        9, DAY, Decimal("150.00"), Decimal("4.65"), "CLR", False, "OPS", "FEES", "Opus Pay",
        tuple(SettledPayment(f"P{p.source_id}", p.amount) for p in cards),
    )  # fmt: skip
    ach = _paid(5, "120.40", "OPS")
    records = [
        *cards,
        _paid(4, "79.35", "CLR", reversed_=True),  # charged back: the bank took it back
        ach,
        TipRecord(5, "C-1", Decimal("12.60"), DAY, "OPS", "TIPS", ach.external_id),
        _paid(6, "60.00", "DRAWER"),
        _refund(7, "60.00", "DRAWER"),
        _refund(8, "20.00", "OPS"),
        _paid(10, "85.25", "UF"),
        payout,
    ]
    assert routed(records) == {
        "CLR": Decimal("0.00"),
        "OPS": Decimal("120.40") + Decimal("12.60") - Decimal("20.00") + Decimal("145.35"),
        "DRAWER": Decimal("0.00"),
        "UF": Decimal("85.25"),
    }


def test_each_mapped_account_is_shown_by_name_with_the_ledgers_figure_or_none() -> None:
    shown = bank_balances(
        {"OPS": "Operating", "CLR": "Card Clearing", "UF": "Undeposited Funds"},
        {"OPS": Decimal("10.00"), "CLR": Decimal("0.00")},
        {"OPS": Decimal("1010.00"), "CLR": Decimal("0.00")},
    )
    assert shown == [
        BankBalance("CLR", "Card Clearing", Decimal("0.00"), Decimal("0.00")),
        BankBalance("OPS", "Operating", Decimal("10.00"), Decimal("1010.00")),
        BankBalance("UF", "Undeposited Funds", Decimal("0.00"), None),
    ]
    assert [b.equal for b in shown] == [True, False, False]
