"""What ledger-independent tests need to know of each ledger with a local sandbox: one module per
ledger (`tests/ledgers/<ledger>.py`, defining `FACTS`), found through the plug-in registry."""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger_sync.connectors.registry import get, names


@dataclass(frozen=True)
class Shape:
    """Where the ledger's sandbox keeps what the end-to-end tests compare."""

    owner: str
    """The sandbox admin API's collection of companies ("realms", "tenants")."""
    invoices: str
    number: str
    total: str
    total_tax: Callable[[dict[str, Any]], Any]
    item_lines: Callable[[dict[str, Any]], list[Any]]
    payments: str
    reference: str
    amount: str
    customers: str
    customer_id: str
    customer_name: str
    invoice_customer: Callable[[dict[str, Any]], str]
    """The id of an invoice's customer."""
    duplicate_name_reason: str
    """What the ledger's refusal of the demo's second `demo.PROBLEM_CUSTOMER` (a name taken) says."""
    payment_account: Callable[[dict[str, Any]], str]
    """The id of the account a payment was deposited to."""


@dataclass(frozen=True)
class SandboxCompany:
    """A kind of company the ledger's sandbox creates: the end-to-end matrix runs each one."""

    id: str
    """The test id."""
    settings: Mapping[str, object] = field(default_factory=dict)
    """`SandboxOptions.company`: empty for the sandbox's default company."""
    country: str = "CA"
    """The Service Opus company seeded to match it (its tax rates and currency)."""


@dataclass(frozen=True)
class LedgerFacts:
    shape: Shape
    balance: str
    """Where a raw invoice keeps its balance due (its total: `shape.total`)."""
    unknown_customer_ref: str
    """A well-formed customer reference the ledger does not know."""
    corpus: Mapping[str, str]
    """The outcome of each ledger-dependent case of the bad-input corpus (`tests/corpus/hostile.py`)."""
    fixed_name: str
    """What the demo's `demo.FIXED_NAME_CUSTOMER` is called in the ledger."""
    companies: tuple[SandboxCompany, ...] = ()
    """The kinds of company its sandbox creates; none: its one default company, named after the ledger."""
    edits_paid_invoices: bool = True
    """Whether the ledger edits an invoice with a payment allocated (else it refuses: `ErrorKind.LOCKED`)."""
    close_books: Callable[[str, str, date | None], None] | None = None
    """Close the sandbox company's books through a date (None: reopen them), given the sandbox's base URL and
    the tenant: the ledger then refuses to write or edit a document dated in the closed period (`LOCKED`)."""
    enable_currency: Callable[[str, str, str], None] | None = None
    """Let the sandbox company take a foreign currency, as a bookkeeper does (QBO: multicurrency on and the currency
    on its list; Xero: the currency enabled), given the sandbox's base URL, the tenant and the currency code."""


def sandbox_ledgers() -> list[str]:
    """The registered ledgers that ship a local sandbox: the ones end-to-end tests run against."""
    return [name for name in names() if get(name).sandbox is not None]


def facts(ledger: str) -> LedgerFacts:
    module = importlib.import_module(f"tests.ledgers.{ledger}")
    found: LedgerFacts = module.FACTS
    return found
