"""Currency (issue 10 part 8): a customer has one currency in both ledgers, so an invoice in another one is
parked before any write, with a reason a bookkeeper understands."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from ledger_sync.connectors.registry import get
from ledger_sync.expectations.inputs import InvoiceRow
from ledger_sync.expectations.records import check_invoices

GOOD = InvoiceRow(1, "INV-1", 7, 2, Decimal("1"), Decimal("250.00"), False, date(2026, 2, 1), (), "CAD", "CAD")


def test_an_invoice_in_another_currency_than_its_customers_is_parked(tmp_path: Path) -> None:
    rows = [GOOD, replace(GOOD, source_id=2, currency="USD"), replace(GOOD, source_id=3, customer_currency=None)]
    parked = check_invoices(rows, get("xero").limits, context_dir=tmp_path / "gx", run_name="currency")
    assert parked == {2: "Invoice is in USD but its customer is billed in CAD; a customer has one currency in Xero"}
    qbo = check_invoices(rows, get("qbo").limits, context_dir=tmp_path / "gx", run_name="currency-qbo")
    assert list(qbo) == [2] and qbo[2].endswith("one currency in QuickBooks Online")


def test_an_invoice_whose_currency_the_ledger_cannot_take_is_parked_naming_what_is_missing(tmp_path: Path) -> None:
    missing = "Invoice is in USD: Xero has multicurrency off: a bookkeeper must turn it on to take USD"
    rows = [GOOD, replace(GOOD, source_id=4, currency="USD", customer_currency="USD", currency_problem=missing)]
    parked = check_invoices(rows, get("xero").limits, context_dir=tmp_path / "gx", run_name="currency-gate")
    assert parked == {4: missing}
