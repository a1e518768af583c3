"""What a ledger refuses in names and numbers, as its plug-in declares it; the record-level checks park
such records before a write, naming the ledger as a bookkeeper knows it."""

from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerLimits:
    ledger: str
    label: str
    """The ledger's name in parking reasons, e.g. "QuickBooks Online"."""
    customer_name_max: int
    forbidden_name_chars: str
    doc_number_max: int
