"""Bank and clearing balances, the rule: what Service Opus routed into each ledger bank or clearing account
through the records the sync sends, against the balance the ledger itself reports for that account.

Service Opus's side is summed from the ledger-neutral records (rebuilt with the sync's own transform, so every
Service Opus bank account is already its mapped ledger account, and a payment routed nowhere is in Undeposited
Funds): a collected payment brings its amount into the account it landed in and its tip brings the tip there; a
refund takes its amount out of that account; a card payout takes its gross out of the clearing account and brings
its net into the operating account. A reversed (failed or charged-back) payment brings nothing: the bank took the
money back, its tip with it (the ledger keeps a reversed payment's tip, see `core.tips`, so such a tip shows here).

What is compared: the account's whole balance as the ledger reports it. An account only the sync posts to (a card
clearing account, a cash drawer) must equal Service Opus's figure to the cent; one shared with money the sync does
not own (an operating account's opening balance, bank feed lines, bills paid from it) differs by that money, which
the report shows as it shows receivables: next to the differences that explain it, for the bookkeeper to judge.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from ledger_sync.core.currency import home_amount
from ledger_sync.core.records import PaymentRecord, PayoutRecord, RefundRecord, TipRecord

Money = PaymentRecord | TipRecord | RefundRecord | PayoutRecord
"""The records that move money in or out of a bank or clearing account."""


def routed(records: Iterable[Money]) -> dict[str, Decimal]:
    """What these records bring into (or take out of) each ledger account, by ledger account id."""
    balances: defaultdict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for record in records:
        if isinstance(record, PaymentRecord):
            # A foreign payment lands in the (home-currency) account at its own rate.
            landed = home_amount(record.amount, record.exchange_rate)
            balances[record.deposit_account_ref] += Decimal("0.00") if record.reversed else landed
        elif isinstance(record, TipRecord):
            balances[record.deposit_account_ref] += record.amount
        elif isinstance(record, RefundRecord):
            balances[record.deposit_account_ref] -= home_amount(record.total, record.exchange_rate)  # as a payment
        else:
            balances[record.clearing_account_ref] -= record.gross
            balances[record.operating_account_ref] += record.net
    return dict(balances)


@dataclass(frozen=True)
class BankBalance:
    """One mapped bank or clearing account: Service Opus's figure and the ledger's (None: not reported)."""

    account_ref: str
    name: str
    expected: Decimal
    ledger: Decimal | None

    @property
    def equal(self) -> bool:
        return self.expected == self.ledger


def bank_balances(
    accounts: Mapping[str, str], expected: Mapping[str, Decimal], ledger: Mapping[str, Decimal]
) -> list[BankBalance]:
    """Each of `accounts` (ledger id -> name: the mapped bank and clearing accounts) side by side, by name."""
    return sorted(
        (BankBalance(ref, name, expected.get(ref, Decimal("0.00")), ledger.get(ref)) for ref, name in accounts.items()),
        key=lambda balance: (balance.name, balance.account_ref),
    )
