"""Xero, as the ledger-independent tests see it through its sandbox."""

from datetime import date

import httpx

from tests.ledgers import LedgerFacts, Shape


def close_books(base_url: str, tenant: str, through: date | None) -> None:
    """The organisation's period lock date, set through the sandbox's admin API as a bookkeeper sets it in Xero."""
    dates = {"PeriodLockDate": through.isoformat() if through else None}
    httpx.put(f"{base_url}/_sandbox/tenants/{tenant}/lock-dates", json=dates, timeout=60).raise_for_status()


def enable_currency(base_url: str, tenant: str, code: str) -> None:
    """Enable `code` through the sandbox's admin API as a bookkeeper does in Xero (Settings -> Currencies)."""
    httpx.put(f"{base_url}/_sandbox/tenants/{tenant}/currencies/{code}", timeout=60).raise_for_status()


FACTS = LedgerFacts(
    shape=Shape(
        "tenants",
        "Invoices",
        "InvoiceNumber",
        "Total",
        lambda invoice: invoice["TotalTax"],
        lambda invoice: [ln for ln in invoice["LineItems"] if ln.get("ItemCode")],
        "Payments",
        "Reference",
        "Amount",
        "Contacts",
        "ContactID",
        "Name",
        lambda invoice: invoice["Contact"]["ContactID"],
        "The contact name Harbour Dental is already assigned to another contact",
        lambda payment: payment["Account"]["AccountID"],
    ),
    balance="AmountDue",
    unknown_customer_ref="00000000-0000-0000-0000-000000000000",
    fixed_name="Northside Clinic: Main Street",
    edits_paid_invoices=False,
    close_books=close_books,
    enable_currency=enable_currency,
    corpus={
        "a vendor's name": "synced",
        "an employee's name": "synced",
        "email over 100 characters": "synced",
        "number over 21 characters": "synced",
    },
)
