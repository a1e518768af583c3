"""Plain snapshots of Service Opus rows, held by the sync without a database session."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

Cursor = tuple[datetime, int]
"""A position in checkpoint order: (locked_at or collected_at, id)."""


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
    """None: billed in the company's currency."""


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
    lines: tuple[SourceLine, ...]

    @property
    def cursor(self) -> Cursor | None:
        return (self.locked_at, self.id) if self.locked_at else None


@dataclass(frozen=True)
class SourcePayment:
    id: int
    invoice_id: int
    amount: Decimal
    method: str
    status: str
    collected_at: datetime | None

    @property
    def cursor(self) -> Cursor | None:
        return (self.collected_at, self.id) if self.collected_at else None
