"""QuickBooks Online, as the ledger-independent tests see it through its sandbox."""

from datetime import date

import httpx

from tests.ledgers import LedgerFacts, SandboxCompany, Shape


def close_books(base_url: str, realm_id: str, through: date | None) -> None:
    """The books' closing date (`Preferences.AccountingInfoPrefs.BookCloseDate`), set through the sandbox's admin
    API as a bookkeeper sets it in QBO."""
    prefs = {"AccountingInfoPrefs": {"BookCloseDate": through.isoformat() if through else None}}
    httpx.patch(f"{base_url}/_sandbox/realms/{realm_id}/Preferences/1", json=prefs, timeout=60).raise_for_status()


def enable_currency(base_url: str, realm_id: str, code: str) -> None:
    """Turn multicurrency on (`Preferences.CurrencyPrefs`) and add `code` to the currency list, through the
    sandbox's admin API as a bookkeeper does in QBO (Settings -> Advanced -> Currency, then Currencies)."""
    admin = f"{base_url}/_sandbox/realms/{realm_id}"
    (prefs,) = httpx.get(f"{admin}/Preferences", timeout=60).raise_for_status().json()
    currency_prefs = {**prefs["CurrencyPrefs"], "MultiCurrencyEnabled": True}
    httpx.patch(f"{admin}/Preferences/1", json={"CurrencyPrefs": currency_prefs}, timeout=60).raise_for_status()
    httpx.post(f"{admin}/CompanyCurrency", json={"Code": code}, timeout=60).raise_for_status()


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
    close_books=close_books,
    enable_currency=enable_currency,
    companies=(
        SandboxCompany("qbo-ca"),
        SandboxCompany("qbo-us", {"country": "US"}, "US"),
        SandboxCompany("qbo-us-ast", {"country": "US", "automated_sales_tax": True}, "US"),
    ),
)
