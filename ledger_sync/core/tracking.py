"""Tracking: the ledger's reporting dimensions (QBO classes and departments, Xero tracking options) and the
Service Opus values mapped to them (an invoice's business unit, a line's technician).

A ledger offers tracking options at one of two levels: on each line (QBO classes when class tracking is per line,
every Xero tracking option) or on the whole transaction (QBO departments, also called locations, and classes when
class tracking is per transaction). A business unit belongs to a whole invoice, so it may map to an option of
either level (a line-level one is carried on every line); a technician belongs to one line, so only a line-level
option can carry it. A dimension is tracked once at least one of its values is mapped: from then on every active
value must map to an ACTIVE option (the chart gate names the one that does not). A line carries one option of each
category, so a technician mapped into a category a business unit is mapped to stops the run too (the gate names
both).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class TrackingLevel(StrEnum):
    LINE = "line"
    TRANSACTION = "transaction"


class TrackedBy(StrEnum):
    """What Service Opus tracks an invoice's revenue by."""

    BUSINESS_UNIT = "business_unit"
    """The business unit (or service area) an invoice belongs to: the whole invoice."""
    TECHNICIAN = "technician"
    """The technician who did a line's work: that line."""

    @property
    def label(self) -> str:
        return "Business unit" if self is TrackedBy.BUSINESS_UNIT else "Technician"


@dataclass(frozen=True)
class LedgerTrackingOption:
    """One option a ledger line or transaction can carry, as read at the start of the run."""

    id: str
    """The connector's own reference to it, unique across the ledger's categories (what the mapping stores)."""
    name: str
    category_id: str
    category: str
    """The dimension it belongs to, by the ledger's name for it ("Class", "Department", a Xero category's name)."""
    active: bool
    """QBO: the class or department is active; Xero: the option and its category are ACTIVE."""
    level: TrackingLevel

    @property
    def label(self) -> str:
        return f"{self.category} '{self.name}'"


@dataclass(frozen=True)
class TrackingTag:
    """A tracking option a record carries (on a line or on the whole transaction)."""

    option_id: str
    option: str
    category_id: str
    category: str


@dataclass(frozen=True)
class SourceTrackingValue:
    """A Service Opus business unit or technician."""

    id: int
    name: str
    tracked_by: TrackedBy
    active: bool = True

    @property
    def label(self) -> str:
        return f"{self.tracked_by.label} '{self.name}'"


def tag(option: LedgerTrackingOption) -> TrackingTag:
    return TrackingTag(option.id, option.name, option.category_id, option.category)


def revenue_by_option(lines: Iterable[tuple[Decimal, Iterable[TrackingTag]]]) -> dict[str, Decimal]:
    """Net revenue per tracking option id: each line's net amount counts for every option it carries."""
    totals: dict[str, Decimal] = {}
    for amount, tags in lines:
        for carried in tags:
            totals[carried.option_id] = totals.get(carried.option_id, Decimal("0.00")) + amount
    return totals
