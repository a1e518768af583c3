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
        "Customer",
        "Id",
        "DisplayName",
        lambda invoice: invoice["CustomerRef"]["value"],
        "QBO ValidationFault 6240: Duplicate Name Exists Error",
        lambda payment: payment["DepositToAccountRef"]["value"],
    ),
    balance="Balance",
    unknown_customer_ref="99999",
    corpus={
        "a vendor's name": "parked:refused",
        "an employee's name": "parked:refused",
        "email over 100 characters": "parked:Customer email is 162 characters; QuickBooks Online allows at most 100",
        "number over 21 characters": "parked:longer than the 21",
    },
    fixed_name="Northside Clinic - Main Street",
    companies=(
        SandboxCompany("qbo-ca"),
        SandboxCompany("qbo-us", {"country": "US"}, "US"),
        SandboxCompany("qbo-us-ast", {"country": "US", "automated_sales_tax": True}, "US"),
    ),
)
