"""Which OAuth scopes a Xero app may ask for, and which one each accounting collection needs.

Apps created from 2026-03-02 cannot ask for the broad `accounting.transactions`; they use granular
scopes (`accounting.invoices`, `accounting.payments`, ...). Older apps keep it until they migrate
(`legacy_scopes`). A `.read` scope is enough for GET.
"""

LEGACY_TRANSACTIONS = "accounting.transactions"
NEEDED = {
    "Invoices": ("accounting.invoices", LEGACY_TRANSACTIONS),
    "Payments": ("accounting.payments", LEGACY_TRANSACTIONS),
    "CreditNotes": ("accounting.invoices", LEGACY_TRANSACTIONS),
    # The granular scope's name for bank transactions is taken from Xero's announcement (?); the sandbox asks for it.
    "BankTransactions": ("accounting.banktransactions", LEGACY_TRANSACTIONS),
    "BankTransfers": ("accounting.banktransactions", LEGACY_TRANSACTIONS),
    "Contacts": ("accounting.contacts",),
    "Accounts": ("accounting.settings",),
    "TaxRates": ("accounting.settings",),
    "Items": ("accounting.settings",),
    "Organisation": ("accounting.settings",),
    "TrackingCategories": ("accounting.settings",),
    "Currencies": ("accounting.settings",),
    "Reports": ("accounting.reports",),  # GET only: `accounting.reports.read` (the spec's scope for every report)
}
"""Collection -> the scopes any one of which lets a token use it."""


def refused_at_consent(requested: str, legacy_scopes: bool) -> bool:
    """Whether the authorize request asks for a scope this app may not have."""
    return not legacy_scopes and any(scope.startswith(LEGACY_TRANSACTIONS) for scope in requested.split())


def permits(granted: set[str], collection: str, method: str) -> bool:
    """Whether a token with `granted` scopes may call `method` on `collection` (unlisted: no check)."""
    needed = NEEDED.get(collection)
    if needed is None:
        return True
    usable = {*needed, *(f"{scope}.read" for scope in needed)} if method == "GET" else set(needed)
    return bool(usable & granted)
