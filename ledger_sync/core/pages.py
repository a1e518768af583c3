"""One page of the sync's input: locked invoices or collected payments with what they need.

Extraction fills a page, the record-level checks mark what must not be pushed, loading pushes the rest.
"""

from dataclasses import dataclass, field

from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor, SourceCustomer, SourceInvoice, SourcePayment, SourceProduct
from ledger_sync.core.sync_state import Parking


@dataclass
class InvoicePage:
    fresh: list[SourceInvoice]
    """Past the checkpoint, in checkpoint order."""
    retries: list[SourceInvoice]
    """Parked earlier, any status now."""
    customers: dict[int, SourceCustomer]
    products: dict[int, SourceProduct]
    next_after: Cursor | None
    parked: dict[tuple[EntityType, int], Parking] = field(default_factory=dict)
    """Filled by the record-level checks: what must not be pushed, and why."""

    def __len__(self) -> int:
        return len(self.fresh) + len(self.retries)

    @property
    def invoices(self) -> list[SourceInvoice]:
        return self.retries + self.fresh


@dataclass
class PaymentPage:
    fresh: list[SourcePayment]
    retries: list[SourcePayment]
    invoices: dict[int, SourceInvoice]
    paid_before: dict[int, list[SourcePayment]]
    """Every collected payment of the page's invoices, in collection order."""
    next_after: Cursor | None
    parked: dict[tuple[EntityType, int], Parking] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.fresh) + len(self.retries)

    @property
    def payments(self) -> list[SourcePayment]:
        return self.retries + self.fresh
