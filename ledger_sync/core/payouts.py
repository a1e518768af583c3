"""Card payouts, the rule: a card processor pays the company the payments it settled, less its fees. In the ledger
the payout empties those payments out of the card clearing account (the gross), books the fees to the Processing
Fees expense account and lands the net in the operating bank account, so the clearing account holds only what is
still unsettled and the bank shows exactly what the bank feed shows (QBO: one Deposit; Xero: a BankTransfer and a
SPEND bank transaction, see `PayoutRecord`). A payout waits until each payment it settles (and the tip that came
with it) is in the ledger; figures that do not add up are parked, never sent.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.money import cents
from ledger_sync.core.records import PayoutRecord, SettledPayment
from ledger_sync.core.transform import TransformProblem

HELD_PAYMENTS = frozenset({"undeposited_funds", "other_current_asset"})
"""Ledger account types payments wait in to be deposited (QBO's Undeposited Funds), not bank accounts."""


@dataclass(frozen=True)
class SourcePayout:
    id: int
    paid_on: date
    processor: str
    gross: Decimal
    fees: Decimal
    net: Decimal
    clearing_account_id: int
    deposit_account_id: int
    payment_ids: tuple[int, ...]


@dataclass(frozen=True)
class Settled:
    """A payment of the payout as it is in the ledger: its record's ledger id and amount, its tip, where it landed."""

    payment_ref: str
    amount: Decimal
    tip: Decimal
    deposit_account_ref: str


def payout_record(
    payout: SourcePayout, settled: Mapping[int, Settled], mapping: LedgerMapping, chart: LedgerChart
) -> PayoutRecord:
    """The payout of these synced payments (every one of `payout.payment_ids`), or why it cannot be sent."""
    fees_account = mapping.accounts.get(AccountRole.PROCESSING_FEES)
    clearing = mapping.bank_accounts.get(payout.clearing_account_id)
    operating = mapping.bank_accounts.get(payout.deposit_account_id)
    if fees_account is None and payout.fees:
        raise TransformProblem(f"Payout carries fees of {cents(payout.fees)}, and no Processing Fees account is mapped")
    if clearing is None or operating is None:
        raise TransformProblem("The payout's clearing or operating bank account is not mapped to a ledger account")
    if any(cents(v) != v for v in (payout.gross, payout.fees, payout.net)) or payout.fees < 0 or payout.net <= 0:
        raise TransformProblem("A payout's gross, fees and net are whole cents, its fees not negative, its net above 0")
    if payout.gross - payout.fees != payout.net:
        raise TransformProblem(
            f"Payout gross {payout.gross} less fees {payout.fees} is {payout.gross - payout.fees}, not its net "
            f"{payout.net}"
        )
    payments = [settled[payment_id] for payment_id in payout.payment_ids]
    landed = sum((p.amount + p.tip for p in payments), Decimal("0.00"))
    if landed != payout.gross:
        raise TransformProblem(f"Payout gross {payout.gross} is not the {landed} its {len(payments)} payments brought")
    if any(p.deposit_account_ref != clearing for p in payments):
        raise TransformProblem("A payment of the payout landed elsewhere than the payout's clearing account")
    account = chart.accounts.get(clearing)
    holds_payments = account is not None and account.type in HELD_PAYMENTS
    if holds_payments and any(p.tip for p in payments):
        raise TransformProblem("Tips cannot wait in Undeposited Funds: map card clearing to a ledger bank account")
    return PayoutRecord(
        source_id=payout.id,
        paid_on=payout.paid_on,
        gross=payout.gross,
        fees=payout.fees,
        clearing_account_ref=clearing,
        clearing_holds_payments=holds_payments,
        operating_account_ref=operating,
        fees_account_ref=fees_account or "",
        processor=payout.processor,
        payments=tuple(SettledPayment(p.payment_ref, p.amount) for p in payments),
    )
