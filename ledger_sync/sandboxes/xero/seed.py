"""What a brand-new Canadian Xero organisation (CAD) starts with: a standard chart and the tax rates.

It includes an ARCHIVED revenue account and ARCHIVED/DELETED tax rates, because stale mappings to
those are what breaks real pushes.
"""

import uuid
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import tracking
from ledger_sync.sandboxes.xero.store import Store

# Code, Name, Type, Class, TaxType, Status, SystemAccount, EnablePaymentsToAccount
_ACCOUNTS: list[tuple[str, str, str, str, str, str, str, bool]] = [
    ("090", "Business Bank Account", "BANK", "ASSET", "NONE", "ACTIVE", "", False),
    ("091", "Business Savings Account", "BANK", "ASSET", "NONE", "ACTIVE", "", False),
    ("092", "Cash Drawer", "BANK", "ASSET", "NONE", "ACTIVE", "", False),
    ("093", "Card Clearing", "BANK", "ASSET", "NONE", "ACTIVE", "", False),
    ("200", "Sales", "REVENUE", "REVENUE", "OUTPUT", "ACTIVE", "", False),
    ("260", "Other Revenue", "REVENUE", "REVENUE", "OUTPUT", "ACTIVE", "", False),
    ("270", "Interest Income", "OTHERINCOME", "REVENUE", "EXEMPTOUTPUT", "ACTIVE", "", False),
    ("280", "Legacy Service Revenue", "REVENUE", "REVENUE", "OUTPUT", "ARCHIVED", "", False),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "EXPENSE", "INPUT", "ACTIVE", "", False),
    ("400", "Advertising", "OVERHEADS", "EXPENSE", "INPUT", "ACTIVE", "", False),
    ("404", "Bank Fees", "OVERHEADS", "EXPENSE", "NONE", "ACTIVE", "", False),
    ("429", "General Expenses", "OVERHEADS", "EXPENSE", "INPUT", "ACTIVE", "", False),
    ("453", "Office Expenses", "OVERHEADS", "EXPENSE", "INPUT", "ACTIVE", "", False),
    ("469", "Rent", "OVERHEADS", "EXPENSE", "INPUT", "ACTIVE", "", False),
    ("610", "Accounts Receivable", "CURRENT", "ASSET", "NONE", "ACTIVE", "DEBTORS", False),
    ("615", "Payment Clearing", "CURRENT", "ASSET", "NONE", "ACTIVE", "", True),
    ("800", "Accounts Payable", "CURRLIAB", "LIABILITY", "NONE", "ACTIVE", "CREDITORS", False),
    ("820", "GST/HST Payable", "CURRLIAB", "LIABILITY", "NONE", "ACTIVE", "GST", False),
    ("825", "Tips Payable", "CURRLIAB", "LIABILITY", "NONE", "ACTIVE", "", False),
    ("860", "Rounding", "CURRLIAB", "LIABILITY", "NONE", "ACTIVE", "ROUNDING", False),
    ("877", "Tracking Transfers", "CURRLIAB", "LIABILITY", "NONE", "ACTIVE", "TRACKINGTRANSFERS", False),
    ("960", "Retained Earnings", "EQUITY", "EQUITY", "NONE", "ACTIVE", "RETAINEDEARNINGS", False),
]

# Name, TaxType, Status, ReportTaxType, revenue?, expenses?, components [(name, rate)]
_TAX_RATES: list[tuple[str, str, str, str, bool, bool, list[tuple[str, str]]]] = [
    ("GST", "OUTPUT", "ACTIVE", "OUTPUT", True, False, [("GST", "5")]),
    ("GST on Purchases", "INPUT", "ACTIVE", "INPUT", False, True, [("GST", "5")]),
    ("HST ON", "TAX001", "ACTIVE", "OUTPUT", True, True, [("HST", "13")]),
    ("PST BC", "TAX002", "ACTIVE", "OUTPUT", True, True, [("PST", "7")]),
    ("GST + PST BC", "TAX003", "ACTIVE", "OUTPUT", True, True, [("GST", "5"), ("PST", "7")]),
    ("HST NS 15%", "TAX004", "ARCHIVED", "OUTPUT", True, True, [("HST", "15")]),
    ("QST (retired)", "TAX005", "DELETED", "OUTPUT", True, True, [("QST", "9.975")]),
    ("Tax Exempt", "EXEMPTOUTPUT", "ACTIVE", "EXEMPTOUTPUT", True, False, [("Tax Exempt", "0")]),
    ("Zero Rated", "ZERORATEDOUTPUT", "ACTIVE", "ZERORATEDOUTPUT", True, False, [("Zero Rated", "0")]),
    ("No Tax", "NONE", "ACTIVE", "NONE", True, True, [("No Tax", "0")]),
]

RATE_PLACES = Decimal("0.0001")


def _account(row: tuple[str, str, str, str, str, str, str, bool], stamp: str) -> dict[str, Any]:
    code, name, type_, class_, tax_type, status, system, payments = row
    account: dict[str, Any] = {
        "AccountID": str(uuid.uuid4()),
        "Code": code,
        "Name": name,
        "Status": status,
        "Type": type_,
        "TaxType": tax_type,
        "Class": class_,
        "EnablePaymentsToAccount": payments,
        "ShowInExpenseClaims": False,
        "BankAccountType": "BANK" if type_ == "BANK" else "",
        "ReportingCode": class_[:3],
        "HasAttachments": False,
        "UpdatedDateUTC": stamp,
        "AddToWatchlist": False,
    }
    if system:
        account["SystemAccount"] = system
    if type_ == "BANK":
        account["BankAccountNumber"] = "0000" + code
        account["CurrencyCode"] = "CAD"
    return account


def _tax_rate(row: tuple[str, str, str, str, bool, bool, list[tuple[str, str]]]) -> dict[str, Any]:
    name, tax_type, status, report_type, revenue, expenses, components = row
    total = sum((Decimal(rate) for _, rate in components), Decimal(0)).quantize(RATE_PLACES)
    return {
        "Name": name,
        "TaxType": tax_type,
        "ReportTaxType": report_type,
        "CanApplyToAssets": expenses,
        "CanApplyToEquity": expenses,
        "CanApplyToExpenses": expenses,
        "CanApplyToLiabilities": expenses,
        "CanApplyToRevenue": revenue,
        "DisplayTaxRate": total,
        "EffectiveRate": total,
        "Status": status,
        "TaxComponents": [
            {"Name": part, "Rate": Decimal(rate).quantize(RATE_PLACES), "IsCompound": False, "IsNonRecoverable": False}
            for part, rate in components
        ],
    }


def seed_organisation(store: Store, tenant: str, stamp: str) -> None:
    """Give a new tenant its starting chart of accounts and tax rates."""
    with store.transaction():
        for row in _ACCOUNTS:
            account = _account(row, stamp)
            store.put(tenant, "Accounts", account["AccountID"], account)
        for tax_row in _TAX_RATES:
            rate = _tax_rate(tax_row)
            store.put(tenant, "TaxRates", rate["TaxType"], rate)
        tracking.seed(store, tenant)
