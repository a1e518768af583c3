"""Xero, as the ledger-independent tests see it through its sandbox."""

from tests.ledgers import LedgerFacts, Shape

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
        "a tab",
    ),
    balance="AmountDue",
    unknown_customer_ref="00000000-0000-0000-0000-000000000000",
    corpus={
        "colon in a name": "synced",
        "300-character name": "parked:at most 255",
        "501-character name": "parked:at most 255",
        "a vendor's name": "synced",
        "an employee's name": "synced",
        "number over 21 characters": "synced",
    },
)
