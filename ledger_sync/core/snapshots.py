"""Plain snapshots of Service Opus rows, held by the sync without a database session."""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Generic, TypeVar

Cursor = int
"""A position in checkpoint order: a change number of the company (`Invoice.change_no`, `Payment.change_no`),
handed out in commit order, so reading past a cursor never skips a record committed late."""


@dataclass(frozen=True)
class SourceCustomer:
    id: int
    display_name: str
    email: str | None
    phone: str | None
    line1: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None
    currency: str | None = None
    """The customer's currency when it is not the company's home one; None: billed in the home currency."""
    change_no: Cursor | None = None

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no


@dataclass(frozen=True)
class SourceProduct:
    id: int
    category_id: int
    name: str
    description: str
    unit_price: Decimal


@dataclass(frozen=True)
class SourceLine:
    product_id: int
    category_id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate_id: int | None
    tax_inclusive: bool
    technician_id: int | None = None
    """Who did the line's work (invoice lines only)."""


@dataclass(frozen=True)
class SourceInvoice:
    id: int
    number: str
    customer_id: int | None
    issue_date: date
    due_date: date
    currency: str
    status: str
    locked_at: datetime | None
    """Only orders nothing and dates nothing in the ledger (issue_date does): None still syncs."""
    lines: tuple[SourceLine, ...]
    change_no: Cursor | None = None
    discount_percent: Decimal = Decimal(0)
    """The invoice discount in percent (see `money.invoice_discounts`)."""
    business_unit_id: int | None = None
    exchange_rate: Decimal | None = None
    """Home units for one unit of `currency` on a foreign-currency invoice, as Service Opus recorded it; None: home."""

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no


@dataclass(frozen=True)
class SourceCreditNote:
    id: int
    number: str
    customer_id: int | None
    invoice_id: int | None
    """The invoice it credits (its credit is applied to it); None: a credit on the customer's account."""
    issue_date: date
    currency: str
    status: str
    lines: tuple[SourceLine, ...]
    change_no: Cursor | None = None
    exchange_rate: Decimal | None = None
    """Home units for one unit of `currency` on a foreign-currency credit note, as Service Opus recorded it; None:
    home money."""

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no


@dataclass(frozen=True)
class SourcePayment:
    id: int
    invoice_id: int | None
    """None: a deposit taken before its invoice exists, all of it the customer's credit until it is applied."""
    amount: Decimal
    method: str
    status: str
    collected_at: datetime | None
    change_no: Cursor | None = None
    tip: Decimal = Decimal(0)
    """Paid on top of `amount`, which is what the invoice is credited with."""
    reference: str | None = None
    """The card's last four digits or the check number."""
    bank_account_id: int | None = None
    """The Service Opus bank account it landed in (its own, else its method's route); None: Undeposited Funds."""
    reversed_at: datetime | None = None
    """When a collected payment failed or was charged back (status failed or charged_back): to undo in the ledger."""
    exchange_rate: Decimal | None = None
    """Home units for one unit of its invoice's (foreign) currency when it was collected; None: home money."""
    customer_id: int | None = None
    """Who paid (a deposit's customer); None: its invoice's customer."""
    applied_at: datetime | None = None
    """When a deposit was applied to its invoice; None: applied when collected (or not applied yet)."""

    @property
    def reversed(self) -> bool:
        """Collected, then failed or charged back: the ledger's payment must go, reopening the invoice."""
        return self.status in ("failed", "charged_back") and self.collected_at is not None

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no

    @property
    def collection_order(self) -> tuple[datetime, int]:
        """Which of an invoice's payments came first (undated ones last)."""
        return (self.collected_at or datetime.max.replace(tzinfo=UTC), self.id)

    @property
    def application_order(self) -> tuple[datetime, int]:
        """Which of an invoice's payments was applied to it first: a deposit when it was applied, any other payment
        when it was collected (undated ones last)."""
        return (self.applied_at or self.collected_at or datetime.max.replace(tzinfo=UTC), self.id)


@dataclass(frozen=True)
class SourceRefund:
    """Money paid back out of a collected payment (tax included), read by change number."""

    id: int
    payment_id: int
    amount: Decimal
    refunded_on: date
    reason: str
    change_no: Cursor | None = None
    exchange_rate: Decimal | None = None
    """Home units for one unit of the refunded invoice's (foreign) currency when it was paid back; None: home money."""

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no


@dataclass(frozen=True)
class Unreadable:
    """A source record holding a value the sync cannot read; it is parked with `problem`, the run goes on."""

    id: int
    problem: str
    """Names the field and its (truncated) value."""
    change_no: Cursor | None = None

    @property
    def cursor(self) -> Cursor | None:
        return self.change_no


T = TypeVar("T")


@dataclass(frozen=True)
class Extracted(Generic[T]):
    """What one read of the source gave: the records it could read, and those it could not."""

    records: list[T] = field(default_factory=list)
    unreadable: list[Unreadable] = field(default_factory=list)
