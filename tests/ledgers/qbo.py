"""QuickBooks Online, as the ledger-independent tests see it through its sandbox."""

from tests.ledgers import LedgerFacts, SandboxCompany, Shape

FACTS = LedgerFacts(
    shape=Shape(
        "realms",
        "Invoice",
        "DocNumber",
        "TotalAmt",
        lambda invoice: invoice["TxnTaxDetail"]["TotalTax"],
        lambda invoice: [ln for ln in invoice["Line"] if ln.get("DetailType") == "SalesItemLineDetail"],
        "Payment",
        "PaymentRefNum",
        "TotalAmt",
        "':'",
    ),
    balance="Balance",
    unknown_customer_ref="99999",
    corpus={
        "colon in a name": "parked:':'",
        "300-character name": "synced",
        "501-character name": "parked:at most 500",
        "a vendor's name": "parked:refused",
        "an employee's name": "parked:refused",
        "number over 21 characters": "parked:longer than the 21",
    },
    companies=(
        SandboxCompany("qbo-ca"),
        SandboxCompany("qbo-us", {"country": "US"}, "US"),
        SandboxCompany("qbo-us-ast", {"country": "US", "automated_sales_tax": True}, "US"),
    ),
)
