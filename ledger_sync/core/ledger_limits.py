"""What a ledger refuses that no rule may fix, as its plug-in declares it; the record-level checks park such
records before a write, naming the ledger as a bookkeeper knows it.

Names are not limited here: the connectors fix what a ledger refuses in a name (see their `fields`), so a
customer with a colon or a long name syncs instead of holding back every invoice behind it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class LedgerLimits:
    ledger: str
    label: str
    """The ledger's name in parking reasons, e.g. "QuickBooks Online"."""
    doc_number_max: int
    email_max: int
