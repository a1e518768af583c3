"""Plain inputs and outputs of the expectation gates, importable without Great Expectations.

The sync builds these rows from Service Opus, the mapping and the ledger's chart; `gates` and
`records` turn them into DataFrames and validate them with Great Expectations.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

REQUIRED_ACCOUNTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sales_income": ("Sales Income Account", ("income",)),
    "tax_payment": ("Tax Payment Account", ("liability",)),
    "undeposited_funds": ("Undeposited Funds Account", ("undeposited_funds", "other_current_asset")),
    "tips": ("Tips Account", ("liability",)),
    "processing_fees": ("Processing Fees Account", ("expense",)),
}
"""role -> (label, ledger types that fit). A role missing from the inputs counts as unmapped."""
CATEGORY_ACCOUNT_TYPES: tuple[str, ...] = ("income",)
"""A product category (role "category:<id>") must point at an income account."""


@dataclass(frozen=True)
class TaxRateMappingRow:
    """One ACTIVE Service Opus tax rate and what it is mapped to; ledger_* None: unmapped or not found."""

    source_id: int
    source_name: str
    source_rate: Decimal
    ledger_id: str | None
    ledger_name: str | None
    ledger_active: bool | None
    """None: the mapped id was not found in the ledger."""


@dataclass(frozen=True)
class AccountMappingRow:
    role: str
    """An account role ("sales_income", "tips", ...), "category:<id>" or "bank_account:<id>"."""
    label: str
    """What the bookkeeper calls it: "Sales Income Account", "Category 'Parts & Materials'"."""
    ledger_id: str | None
    ledger_name: str | None
    ledger_type: str | None
    ledger_active: bool | None
    """None: the mapped id was not found in the ledger."""
    expected_types: tuple[str, ...]


@dataclass(frozen=True)
class ConnectionRow:
    ledger: str
    label: str
    """The ledger's name as a bookkeeper knows it, for the check's messages."""
    status: str
    has_refresh_token: bool
    refresh_expires_at: datetime | None
    """None: expiry unknown, taken as not expired."""
    now: datetime


@dataclass(frozen=True)
class TrackingMappingRow:
    """One active business unit or technician of a tracked dimension (`core.tracking`) and the ledger option it
    maps to; ledger_* None: unmapped or not found."""

    label: str
    """What the bookkeeper calls it: "Technician 'Sam Chen'"."""
    ledger_id: str | None
    ledger_name: str | None
    ledger_active: bool | None
    """None: the mapped id was not found in the ledger."""
    shares_category_with: str | None = None
    """A technician's option in the category a business unit is mapped to ("Business unit 'North' (Region
    'North')"): a line carries one option of each category, so their invoices could not sync; None: no clash."""


@dataclass(frozen=True)
class RunGateInputs:
    tax_rates: list[TaxRateMappingRow]
    accounts: list[AccountMappingRow]
    connection: ConnectionRow
    tracking: list[TrackingMappingRow] = field(default_factory=list)
    """Checked with the tax rates by the chart-mapping gate."""


@dataclass(frozen=True)
class CheckFailure:
    check: str
    """"chart_mapping", "required_accounts" or "active_connection"."""
    item: str
    message: str


@dataclass(frozen=True)
class GateReport:
    passed: bool
    failures: list[CheckFailure]
    checks: dict[str, bool]
    docs_path: Path | None
    """The Data Docs page of the first failed check, or the index when all passed."""


@dataclass(frozen=True)
class CustomerRow:
    source_id: int
    display_name: str | None
    email: str | None


@dataclass(frozen=True)
class InvoiceRow:
    source_id: int
    number: str | None
    customer_id: int | None
    line_count: int
    total: Decimal | None
    """What Service Opus prints as the invoice's total (discounts and tax included); None when not finite."""
    max_abs_amount: Decimal | None
    """Largest absolute line amount or total; ignored when has_non_finite."""
    has_non_finite: bool
    issue_date: date | None
    unmapped_tax_rates: tuple[str, ...]
    """Names of line tax rates without an active mapping."""
    currency: str | None = None
    customer_currency: str | None = None
    """The invoice's customer's one currency; None: not set in Service Opus, so nothing to compare."""
    discount_percent: Decimal = Decimal(0)
    currency_problem: str | None = None
    """What keeps the invoice's currency or exchange rate from the ledger (`core.currency`); None: nothing."""

    @property
    def currency_differs(self) -> bool:
        """A ledger customer has one currency: an invoice in another one cannot be entered for it."""
        return self.customer_currency is not None and self.currency != self.customer_currency


@dataclass(frozen=True)
class PaymentRow:
    source_id: int
    invoice_id: int | None
    """None: a deposit not applied to an invoice yet (it needs its own customer)."""
    amount: Decimal | None
    invoice_total: Decimal | None
    """None: no invoice, or no total the sync can compute (the invoice is parked itself)."""
    invoice_status: str | None
    """Service Opus invoice status ("draft", "locked", "void"); None: the invoice was not found."""
    customer_id: int | None = None
    """Who paid, as the payment says; None: not said (a payment on an invoice pays for its customer)."""
    invoice_customer_id: int | None = None

    @property
    def invoice_found(self) -> bool | None:
        """None for a deposit, which has no invoice yet."""
        return None if self.invoice_id is None else self.invoice_status is not None

    @property
    def has_customer(self) -> bool | None:
        """Whether a deposit names its customer; None for a payment on an invoice."""
        return self.customer_id is not None if self.invoice_id is None else None

    @property
    def customer_matches(self) -> bool | None:
        """Whether a payment (a deposit applied later) was taken from its invoice's customer; None when either is
        not said."""
        if self.customer_id is None or self.invoice_customer_id is None:
            return None
        return self.customer_id == self.invoice_customer_id
