"""What a brand-new Canadian QBO company holds on first consent: its chart of accounts, sales taxes and names.

Like a real non-US company it has GST/HST/PST tax codes (each pointing at one sales TaxRate), some of
them inactive, an inactive income account, and a Vendor and an Employee whose names Customers may clash with.
"""

from decimal import Decimal
from typing import Any

COMPANY_NAME = "Maple Leaf Field Services Ltd."
CAD = {"value": "CAD", "name": "Canadian Dollar"}

# (Name, AccountType, AccountSubType, Classification, Active)
ACCOUNTS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Chequing", "Bank", "CashOnHand", "Asset", True),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", True),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset", True),
    ("Inventory Asset", "Other Current Asset", "Inventory", "Asset", True),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability", True),
    ("GST/HST Payable", "Other Current Liability", "GlobalTaxPayable", "Liability", True),
    ("PST Payable", "Other Current Liability", "GlobalTaxPayable", "Liability", True),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", True),
    ("Services", "Income", "ServiceFeeIncome", "Revenue", True),
    ("Labour Income", "Income", "ServiceFeeIncome", "Revenue", True),
    ("Service Plan Income", "Income", "OtherPrimaryIncome", "Revenue", True),
    ("Old Sales Income", "Income", "SalesOfProductIncome", "Revenue", False),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense", True),
    ("Advertising", "Expense", "AdvertisingPromotional", "Expense", True),
    ("Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses", "Expense", True),
    ("Bank Charges", "Expense", "BankCharges", "Expense", True),
    ("Retained Earnings", "Equity", "RetainedEarnings", "Equity", True),
)

# (Name, rate percent, agency, Active); each TaxCode of the same name charges exactly this rate.
TAXES: tuple[tuple[str, str, str, bool], ...] = (
    ("GST", "5", "Canada Revenue Agency", True),
    ("HST ON", "13", "Canada Revenue Agency", True),
    ("PST BC", "7", "BC Ministry of Finance", True),
    ("Exempt", "0", "Canada Revenue Agency", True),
    ("Zero-rated", "0", "Canada Revenue Agency", True),
    ("HST NS", "15", "Canada Revenue Agency", False),
    ("QST", "9.975", "Revenu Québec", False),
)

AGENCIES = ("Canada Revenue Agency", "BC Ministry of Finance", "Revenu Québec")


def company_entities(realm_id: str) -> dict[str, list[dict[str, Any]]]:
    """The new company's entities by type, without Id/SyncToken/MetaData (the caller stamps those)."""
    accounts = [
        {
            "Name": name,
            "SubAccount": False,
            "FullyQualifiedName": name,
            "Active": active,
            "Classification": classification,
            "AccountType": account_type,
            "AccountSubType": sub_type,
            "CurrentBalance": 0,
            "CurrentBalanceWithSubAccounts": 0,
            "CurrencyRef": CAD,
        }
        for name, account_type, sub_type, classification, active in ACCOUNTS
    ]
    rates = [
        {
            "Name": name,
            "Description": f"{name} {percent}%",
            "Active": active,
            "RateValue": Decimal(percent),
            "AgencyRef": {"value": str(AGENCIES.index(agency) + 1)},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": Decimal(percent), "EffectiveDate": "2010-07-01T00:00:00-07:00"}],
        }
        for name, percent, agency, active in TAXES
    ]
    codes = [
        {
            "Name": name,
            "Description": name,
            "Active": active,
            "Hidden": False,
            "Taxable": percent != "0",
            "TaxGroup": False,
            "SalesTaxRateList": {
                "TaxRateDetail": [
                    {
                        "TaxRateRef": {"value": str(number), "name": name},
                        "TaxTypeApplicable": "TaxOnAmount",
                        "TaxOrder": 0,
                    }
                ]
            },
            "PurchaseTaxRateList": {"TaxRateDetail": []},
        }
        for number, (name, percent, _agency, active) in enumerate(TAXES, start=1)
    ]
    return {
        "CompanyInfo": [
            {
                "Id": realm_id,
                "CompanyName": COMPANY_NAME,
                "LegalName": COMPANY_NAME,
                "Country": "CA",
                "CompanyAddr": {"Line1": "100 King St W", "City": "Toronto", "CountrySubDivisionCode": "ON"},
            }
        ],
        "Account": accounts,
        "TaxRate": rates,
        "TaxCode": codes,
        "Vendor": [{"DisplayName": "Acme Supplies", "CompanyName": "Acme Supplies", "Active": True, "Balance": 0}],
        "Employee": [{"DisplayName": "Jordan Lee", "GivenName": "Jordan", "FamilyName": "Lee", "Active": True}],
    }
