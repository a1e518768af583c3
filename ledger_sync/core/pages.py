"""One page of the sync's input: locked invoices, issued credit notes or collected payments with what they need,
or edited customers.

Extraction fills a page, the record-level checks mark what must not be pushed, loading pushes the rest.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Generic, TypeVar

from ledger_sync.core.mapping import SourceTaxRate
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import (
    Cursor,
    SourceCreditNote,
    SourceCustomer,
    SourceInvoice,
    SourcePayment,
    SourceProduct,
    SourceRefund,
    Unreadable,
)
from ledger_sync.core.sync_state import Parking
from ledger_sync.core.transform import total_due

R = TypeVar("R", SourceInvoice, SourceCreditNote, SourcePayment, SourceCustomer, SourceRefund)


class _SourcePage(Generic[R]):
    """What every page shares: its size and whether extraction may go on past it."""

    fresh: list[R]
    retries: list[R]
    unreadable: list[Unreadable]

    def __len__(self) -> int:
        return len(self.fresh) + len(self.retries) + len(self.unreadable)

    @property
    def has_fresh(self) -> bool:
        """Something past the checkpoint was read: there may be more."""
        return bool(self.fresh) or any(u.cursor is not None for u in self.unreadable)


@dataclass
class InvoicePage(_SourcePage[SourceInvoice]):
    fresh: list[SourceInvoice]
    """Past the checkpoint, in checkpoint order."""
    retries: list[SourceInvoice]
    """Parked earlier, any status now."""
    customers: dict[int, SourceCustomer]
    """The invoices' customers, and those the next page's locked invoices bring (unless this page is the last):
    written with these, they fill the page's last batch of customers (`tasks.load.load_customers`)."""
    products: dict[int, SourceProduct]
    next_after: Cursor | None
    parked: dict[tuple[EntityType, int], Parking] = field(default_factory=dict)
    """Filled by extraction (unreadable products) and the record-level checks: what must not be pushed, and why."""
    unreadable: list[Unreadable] = field(default_factory=list)
    """Invoices holding a value the sync cannot read (fresh ones with their cursor): parked."""
    last: bool = False
    """The source held fewer invoices past the checkpoint than a page takes when this one was read: its partly full
    batch is written at once, not held back for a next page (a live run's invoice reaches the ledger two seconds
    sooner); one that comes after all the same only misses sharing that batch."""

    @property
    def invoices(self) -> list[SourceInvoice]:
        return self.retries + self.fresh


@dataclass
class CreditNotePage(_SourcePage[SourceCreditNote]):
    """Issued credit notes with their customers and products (loaded first, as for invoices) and the invoices
    they credit, which their credit is applied to."""

    fresh: list[SourceCreditNote]
    retries: list[SourceCreditNote]
    customers: dict[int, SourceCustomer]
    products: dict[int, SourceProduct]
    invoices: dict[int, SourceInvoice]
    next_after: Cursor | None
    parked: dict[tuple[EntityType, int], Parking] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def credit_notes(self) -> list[SourceCreditNote]:
        return self.retries + self.fresh


DocumentPage = InvoicePage | CreditNotePage
"""A page whose documents bring their customers and products along."""


@dataclass
class PaymentPage(_SourcePage[SourcePayment]):
    fresh: list[SourcePayment]
    retries: list[SourcePayment]
    invoices: dict[int, SourceInvoice]
    paid_before: dict[int, list[SourcePayment]]
    """Every collected payment of the page's invoices, in collection order."""
    next_after: Cursor | None
    parked: dict[tuple[EntityType, int], Parking] = field(default_factory=dict)
    unreadable: list[Unreadable] = field(default_factory=list)
    """Payments holding a value the sync cannot read (fresh ones with their cursor): parked."""
    customers: dict[int, SourceCustomer] = field(default_factory=dict)
    """The customers of the page's deposits not applied to an invoice yet (loaded first, as for invoices)."""
    totals: dict[int, Decimal] = field(default_factory=dict)
    """Invoice id -> its total (`invoice_total`), filled as they are asked for."""

    @property
    def payments(self) -> list[SourcePayment]:
        return self.retries + self.fresh

    def invoice_total(self, invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate]) -> Decimal:
        """`transform.total_due` of one of the page's invoices, worked out once for the page's checks and its loads
        (each asks it of every payment's invoice); raises `MoneyError` as it does."""
        total = self.totals.get(invoice.id)
        if total is None:
            total = self.totals[invoice.id] = total_due(invoice, tax_rates)
        return total


@dataclass
class RefundPage(_SourcePage[SourceRefund]):
    """Refunds with the payments they pay back (any status) and those payments' invoices."""

    fresh: list[SourceRefund]
    retries: list[SourceRefund]
    payments: dict[int, SourcePayment]
    invoices: dict[int, SourceInvoice]
    next_after: Cursor | None
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def refunds(self) -> list[SourceRefund]:
        return self.retries + self.fresh


@dataclass
class CustomerPage(_SourcePage[SourceCustomer]):
    """Customers added or edited past the customer checkpoint (parked customers are retried with invoices)."""

    fresh: list[SourceCustomer]
    next_after: Cursor | None
    unreadable: list[Unreadable] = field(default_factory=list)
    retries: list[SourceCustomer] = field(default_factory=list)
