"""Currencies in a sandbox QBO company: multicurrency is off, as in a new company, so the home currency is
the only one, every customer's and every transaction's.

Intuit does not document the exact fault; the sandbox refuses a customer or an invoice in any other currency
(the strict reading) with QBO's Invalid Reference Fault on `CurrencyRef`.
"""

from typing import Any

from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.books import ref_id


def check(body: dict[str, Any], home_currency: dict[str, str]) -> None:
    """Refuse a customer or an invoice whose `CurrencyRef` names another currency than the company's home one
    (CAD for a Canadian company, USD for a US one), the only one enabled."""
    currency = ref_id(body.get("CurrencyRef"))
    if currency is not None and currency != home_currency["value"]:
        raise faults.invalid_reference("CurrencyRef")
