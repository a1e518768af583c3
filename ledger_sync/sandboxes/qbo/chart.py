"""What a brand-new QBO company holds on first consent: its chart of accounts, sales taxes, preferences and names.

A Canadian company, like a real non-US one, has GST/HST/PST tax codes (each pointing at one sales TaxRate).
A US company has combined sales tax codes (state + county + city rates, several TaxRateDetail per code,
as a US TaxCode looks when read) and its lines only say `TAX` or `NON`; it may be on Automated Sales Tax.
Both have some inactive codes, an inactive income account, and a Vendor and an Employee whose names
Customers may clash with.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.tracking import TRACKING_PREFS, company_tracking

COMPANY_NAME = "Maple Leaf Field Services Ltd."
CAD = {"value": "CAD", "name": "Canadian Dollar"}
US_COMPANY_NAME = "Lone Star Field Services LLC"
USD = {"value": "USD", "name": "United States Dollar"}
HOME_CURRENCY = {"CA": CAD, "US": USD}

# (Name, AccountType, AccountSubType, Classification, Active)
ACCOUNTS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Chequing", "Bank", "CashOnHand", "Asset", True),
    ("Card Clearing", "Bank", "CashOnHand", "Asset", True),
    ("Cash Drawer", "Bank", "CashOnHand", "Asset", True),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", True),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset", True),
    ("Inventory Asset", "Other Current Asset", "Inventory", "Asset", True),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability", True),
    ("GST/HST Payable", "Other Current Liability", "GlobalTaxPayable", "Liability", True),
    ("PST Payable", "Other Current Liability", "GlobalTaxPayable", "Liability", True),
    ("Tips Payable", "Other Current Liability", "OtherCurrentLiabilities", "Liability", True),
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

US_ACCOUNTS: tuple[tuple[str, str, str, str, bool], ...] = (
    ("Checking", "Bank", "Checking", "Asset", True),
    ("Card Clearing", "Bank", "CashOnHand", "Asset", True),
    ("Cash Drawer", "Bank", "CashOnHand", "Asset", True),
    ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset", True),
    ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset", True),
    ("Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable", "Liability", True),
    ("Sales Tax Payable", "Other Current Liability", "SalesTaxPayable", "Liability", True),
    ("Tips Payable", "Other Current Liability", "OtherCurrentLiabilities", "Liability", True),
    ("Sales of Product Income", "Income", "SalesOfProductIncome", "Revenue", True),
    ("Services", "Income", "ServiceFeeIncome", "Revenue", True),
    ("Labor Income", "Income", "ServiceFeeIncome", "Revenue", True),
    ("Old Sales Income", "Income", "SalesOfProductIncome", "Revenue", False),
    ("Cost of Goods Sold", "Cost of Goods Sold", "SuppliesMaterialsCogs", "Expense", True),
    ("Advertising", "Expense", "AdvertisingPromotional", "Expense", True),
    ("Bank Charges", "Expense", "BankCharges", "Expense", True),
    ("Retained Earnings", "Equity", "RetainedEarnings", "Equity", True),
)

# (Name, rate percent, agency, Active): the component rates US codes combine.
US_TAXES: tuple[tuple[str, str, str, bool], ...] = (
    ("Texas State", "6.25", "Texas Comptroller", True),
    ("Austin City", "1", "Texas Comptroller", True),
    ("Austin MTA", "1", "Texas Comptroller", True),
    ("Washington State", "6.5", "Washington Department of Revenue", True),
    ("Seattle City", "3.85", "Washington Department of Revenue", True),
    ("Colorado State", "2.9", "Colorado Department of Revenue", True),
    ("Denver City", "4.81", "Colorado Department of Revenue", True),
    ("Denver RTD", "1", "Colorado Department of Revenue", True),
    ("Denver SCFD", "0.1", "Colorado Department of Revenue", True),
    ("Illinois State", "6.25", "Illinois Department of Revenue", True),
    ("Chicago City", "4", "Illinois Department of Revenue", True),
)

# (Name, component rate names, Active): a US TaxCode and the rates it combines.
US_CODES: tuple[tuple[str, tuple[str, ...], bool], ...] = (
    ("Austin, TX", ("Texas State", "Austin City", "Austin MTA"), True),
    ("Seattle, WA", ("Washington State", "Seattle City"), True),
    ("Denver, CO", ("Colorado State", "Denver City", "Denver RTD", "Denver SCFD"), True),
    ("Texas State only", ("Texas State",), True),
    ("Chicago, IL", ("Illinois State", "Chicago City"), False),
)

US_AGENCIES = (
    "Texas Comptroller",
    "Washington Department of Revenue",
    "Colorado Department of Revenue",
    "Illinois Department of Revenue",
)


def _accounts(table: tuple[tuple[str, str, str, str, bool], ...], currency: dict[str, str]) -> list[dict[str, Any]]:
    return [
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
            "CurrencyRef": currency,
        }
        for name, account_type, sub_type, classification, active in table
    ]


def _rates(table: tuple[tuple[str, str, str, bool], ...], agencies: tuple[str, ...]) -> list[dict[str, Any]]:
    return [
        {
            "Name": name,
            "Description": f"{name} {percent}%",
            "Active": active,
            "RateValue": Decimal(percent),
            "AgencyRef": {"value": str(agencies.index(agency) + 1)},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            "EffectiveTaxRate": [{"RateValue": Decimal(percent), "EffectiveDate": "2010-07-01T00:00:00-07:00"}],
        }
        for name, percent, agency, active in table
    ]


def _code(name: str, rates: list[tuple[int, str]], taxable: bool, active: bool) -> dict[str, Any]:
    """A TaxCode charging the TaxRates `rates` ((Id, name), in order) on the same net amount."""
    return {
        "Name": name,
        "Description": name,
        "Active": active,
        "Hidden": False,
        "Taxable": taxable,
        "TaxGroup": len(rates) > 1,
        "SalesTaxRateList": {
            "TaxRateDetail": [
                {"TaxRateRef": {"value": str(number), "name": rate}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
                for number, rate in rates
            ]
        },
        "PurchaseTaxRateList": {"TaxRateDetail": []},
    }


def _canadian() -> dict[str, list[dict[str, Any]]]:
    codes = [
        _code(name, [(number, name)], percent != "0", active)
        for number, (name, percent, _agency, active) in enumerate(TAXES, start=1)
    ]
    info = {
        "CompanyName": COMPANY_NAME,
        "LegalName": COMPANY_NAME,
        "Country": "CA",
        "CompanyAddr": {"Line1": "100 King St W", "City": "Toronto", "CountrySubDivisionCode": "ON"},
    }
    return {
        "CompanyInfo": [info],
        "Account": _accounts(ACCOUNTS, CAD),
        "TaxRate": _rates(TAXES, AGENCIES),
        "TaxCode": codes,
    }


def _american() -> dict[str, list[dict[str, Any]]]:
    rate_ids = {name: number for number, (name, *_rest) in enumerate(US_TAXES, start=1)}
    codes = [
        _code(name, [(rate_ids[rate], rate) for rate in components], True, active)
        for name, components, active in US_CODES
    ]
    info = {
        "CompanyName": US_COMPANY_NAME,
        "LegalName": US_COMPANY_NAME,
        "Country": "US",
        "CompanyAddr": {"Line1": "500 Congress Ave", "City": "Austin", "CountrySubDivisionCode": "TX"},
    }
    return {
        "CompanyInfo": [info],
        "Account": _accounts(US_ACCOUNTS, USD),
        "TaxRate": _rates(US_TAXES, US_AGENCIES),
        "TaxCode": codes,
    }


PAYMENT_METHODS = (
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
)
"""The payment methods a new QBO company starts with (as its UI lists them; the exact list may vary by region)."""


def company_entities(realm_id: str, country: str, automated_sales_tax: bool) -> dict[str, list[dict[str, Any]]]:
    """The new company's entities by type, without SyncToken/MetaData (the caller stamps those); Automated
    Sales Tax only exists for US companies."""
    entities = _american() if country == "US" else _canadian()
    entities["CompanyInfo"][0]["Id"] = realm_id
    tax_prefs = {"UsingSalesTax": True, "PartnerTaxEnabled": country == "US" and automated_sales_tax}
    return {
        **entities,
        "Preferences": [
            {
                "Id": "1",
                "SalesFormsPrefs": {"AllowDiscount": False},
                "TaxPrefs": tax_prefs,
                "AccountingInfoPrefs": dict(TRACKING_PREFS),
                "CurrencyPrefs": {"MultiCurrencyEnabled": False, "HomeCurrency": HOME_CURRENCY[country]},
            }
        ],
        **company_tracking(),
        "Vendor": [{"DisplayName": "Acme Supplies", "CompanyName": "Acme Supplies", "Active": True, "Balance": 0}],
        "Employee": [{"DisplayName": "Jordan Lee", "GivenName": "Jordan", "FamilyName": "Lee", "Active": True}],
        "PaymentMethod": [{"Name": name, "Type": kind, "Active": True} for name, kind in PAYMENT_METHODS],
    }
