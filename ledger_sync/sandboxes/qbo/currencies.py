"""Currencies in a sandbox QBO company: multicurrency is off, as in a new company, so the home currency is
the only one, every customer's and every transaction's.

Intuit does not document the exact fault; the sandbox refuses a customer or an invoice in any other currency
(the strict reading) with QBO's Invalid Reference Fault on `CurrencyRef`.
"""

from typing import Any

from ledger_sync.sandboxes.qbo import chart, faults
from ledger_sync.sandboxes.qbo.books import ref_id

ENABLED = frozenset({str(chart.CAD["value"])})


def check(body: dict[str, Any]) -> None:
    """Refuse a customer or an invoice whose `CurrencyRef` names a currency the company has not enabled."""
    currency = ref_id(body.get("CurrencyRef"))
    if currency is not None and currency not in ENABLED:
        raise faults.invalid_reference("CurrencyRef")
