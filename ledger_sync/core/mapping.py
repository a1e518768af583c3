"""The ledger mapping a company admin makes, and the suggestion we preselect for them.

Accounts by role (Sales Income, Tax Payment, Undeposited Funds, Tips, Processing Fees), product categories to
income accounts, Service Opus bank accounts to ledger bank (or payment clearing) accounts, and Service Opus tax
rates to ledger tax rates. Suggestions only ever pick ACTIVE ledger accounts of a fitting type and ACTIVE tax
rates of the same percentage.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher
from enum import StrEnum

from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue, TrackedBy, TrackingLevel


class AccountRole(StrEnum):
    SALES_INCOME = "sales_income"
    TAX_PAYMENT = "tax_payment"
    UNDEPOSITED_FUNDS = "undeposited_funds"
    TIPS = "tips"
    PROCESSING_FEES = "processing_fees"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def fitting_types(self) -> tuple[str, ...]:
        return ROLE_TYPES[self]


ROLE_LABELS = {
    AccountRole.SALES_INCOME: "Sales Income Account",
    AccountRole.TAX_PAYMENT: "Tax Payment Account",
    AccountRole.UNDEPOSITED_FUNDS: "Undeposited Funds",
    AccountRole.TIPS: "Tips Account",
    AccountRole.PROCESSING_FEES: "Processing Fees Account",
}
ROLE_TYPES = {
    AccountRole.SALES_INCOME: ("income",),
    AccountRole.TAX_PAYMENT: ("liability",),
    AccountRole.UNDEPOSITED_FUNDS: ("undeposited_funds", "other_current_asset"),
    AccountRole.TIPS: ("liability",),  # tips are owed to the technicians: a liability, never revenue
    AccountRole.PROCESSING_FEES: ("expense",),
}
ROLE_HINTS = {
    AccountRole.SALES_INCOME: "sales",
    AccountRole.TAX_PAYMENT: "gst hst sales tax payable",
    AccountRole.UNDEPOSITED_FUNDS: "undeposited funds",
    AccountRole.TIPS: "tips gratuities",
    AccountRole.PROCESSING_FEES: "merchant card processing fees bank charges",
}

GUESSED_ONLY_BY_NAME = frozenset({AccountRole.TIPS, AccountRole.PROCESSING_FEES})
"""Roles suggested only when an account's name fits: any liability is not a tips account (a tax payable one
would take the technicians' money)."""

BANK_ACCOUNT_TYPES: dict[str, tuple[str, ...]] = {
    "operating": ("bank",),
    "card_clearing": ("bank", "undeposited_funds"),
    "cash_drawer": ("bank", "undeposited_funds"),
}
"""Service Opus bank account kind -> the ledger account types it may map to: ones both ledgers take a payment
into (QBO: Bank or Undeposited Funds; Xero: BANK or an account with EnablePaymentsToAccount). An operating
account is a real bank account, so only a bank account matches its feed."""
BANK_ACCOUNT_HINTS = {
    "operating": "operating chequing checking business bank",
    "card_clearing": "card clearing merchant",
    "cash_drawer": "cash drawer till",
}


@dataclass(frozen=True)
class SourceTaxRate:
    id: int
    name: str
    rate: Decimal
    active: bool


@dataclass(frozen=True)
class SourceCategory:
    id: int
    name: str


@dataclass(frozen=True)
class SourceBankAccount:
    id: int
    name: str
    kind: str
    """operating | card_clearing | cash_drawer"""

    @property
    def label(self) -> str:
        return f"Bank account '{self.name}'"

    @property
    def fitting_types(self) -> tuple[str, ...]:
        return BANK_ACCOUNT_TYPES.get(self.kind, ("bank",))


@dataclass(frozen=True)
class LedgerMapping:
    accounts: dict[AccountRole, str] = field(default_factory=dict)
    categories: dict[int, str] = field(default_factory=dict)
    tax_rates: dict[int, str] = field(default_factory=dict)
    bank_accounts: dict[int, str] = field(default_factory=dict)
    """Service Opus bank account id -> ledger account id."""
    tracking: dict[TrackedBy, dict[int, str]] = field(default_factory=dict)
    """Business unit / technician id -> ledger tracking option id (`core.tracking`); a dimension without any
    entry is not tracked."""

    @property
    def tracked(self) -> bool:
        return any(self.tracking.values())

    def income_account_for(self, category_id: int) -> str | None:
        return self.categories.get(category_id) or self.accounts.get(AccountRole.SALES_INCOME)


GENERIC_WORDS = frozenset({"income", "revenue", "account", "accounts", "other", "of", "and", "the", "a"})
"""Words every income account shares: they say nothing about which one fits."""


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower())) - GENERIC_WORDS


def _best(candidates: Iterable[LedgerAccount | LedgerTaxRate], hint: str, *, need_overlap: bool = False) -> str | None:
    """The candidate sharing the most meaningful words with `hint`; string similarity breaks ties."""
    wanted = _words(hint)
    ranked = sorted(
        candidates,
        key=lambda c: (
            -len(_words(c.name) & wanted),
            -SequenceMatcher(None, c.name.lower(), hint.lower()).ratio(),
            c.name,
        ),
    )
    if not ranked or (need_overlap and not _words(ranked[0].name) & wanted):
        return None
    return ranked[0].id


def suggest_mapping(
    tax_rates: Iterable[SourceTaxRate],
    categories: Iterable[SourceCategory],
    ledger_accounts: list[LedgerAccount],
    ledger_tax_rates: list[LedgerTaxRate],
    bank_accounts: Iterable[SourceBankAccount] = (),
) -> LedgerMapping:
    """A preselection: same-percentage active tax rates by closest name, accounts by type then name (a bank
    account, the tips and the fees account only when a name fits: a wrong guess there moves real money)."""
    active_accounts = [a for a in ledger_accounts if a.active]
    accounts: dict[AccountRole, str] = {}
    for role in AccountRole:
        fitting = [a for a in active_accounts if a.type in role.fitting_types]
        if (choice := _best(fitting, ROLE_HINTS[role], need_overlap=role in GUESSED_ONLY_BY_NAME)) is not None:
            accounts[role] = choice
    income = [a for a in active_accounts if a.type == "income"]
    # A category without a clearly fitting income account falls back to Sales Income (left unmapped).
    category_map = {c.id: choice for c in categories if (choice := _best(income, c.name, need_overlap=True))}
    bank_map: dict[int, str] = {}
    for bank in bank_accounts:
        fitting = [a for a in active_accounts if a.type in bank.fitting_types]
        hint = f"{bank.name} {BANK_ACCOUNT_HINTS.get(bank.kind, '')}"
        if (choice := _best(fitting, hint, need_overlap=True)) is not None:
            bank_map[bank.id] = choice
    rate_map: dict[int, str] = {}
    for rate in tax_rates:
        same = [r for r in ledger_tax_rates if r.active and r.rate_percent == rate.rate]
        if (choice := _best(same, rate.name)) is not None:
            rate_map[rate.id] = choice
    return LedgerMapping(accounts=accounts, categories=category_map, tax_rates=rate_map, bank_accounts=bank_map)


def suggest_tracking(
    values: Iterable[SourceTrackingValue], options: Iterable[LedgerTrackingOption]
) -> dict[TrackedBy, dict[int, str]]:
    """A preselection of the tracking mapping: each active business unit or technician to the one active ledger option
    of the same name (its words, ignoring case and punctuation), none when no option or several match (a wrong guess
    misreports revenue). A technician only to a line-level option outside the categories the business units got, so
    the suggestion never gives a line two options of one category."""
    active = [o for o in options if o.active]
    chosen: dict[TrackedBy, dict[int, str]] = {TrackedBy.BUSINESS_UNIT: {}, TrackedBy.TECHNICIAN: {}}
    for by in (TrackedBy.BUSINESS_UNIT, TrackedBy.TECHNICIAN):
        taken = {o.category_id for o in active if o.id in chosen[TrackedBy.BUSINESS_UNIT].values()}
        offered = [
            o
            for o in active
            if by is TrackedBy.BUSINESS_UNIT or (o.level is TrackingLevel.LINE and o.category_id not in taken)
        ]
        for value in values:
            if value.tracked_by is not by or not value.active:
                continue
            same = [o.id for o in offered if _words(o.name) == _words(value.name) and _words(value.name)]
            if len(same) == 1:
                chosen[by][value.id] = same[0]
    return {by: picks for by, picks in chosen.items() if picks}
