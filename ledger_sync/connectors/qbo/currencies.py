"""Which currencies a QBO company takes: `Preferences.CurrencyPrefs` (multicurrency on or off, the home currency)
and, with multicurrency on, its currency list (`CompanyCurrency`, the currencies a bookkeeper added)."""

from typing import Any

from ledger_sync.connectors.qbo.query import Queryable, select_all
from ledger_sync.core.ledger import ErrorKind, LedgerCurrencies, LedgerError


def read_currencies(client: Queryable) -> LedgerCurrencies:
    """The company's currencies; a company whose preferences name no home currency is an error, not a guess."""
    preferences: list[dict[str, Any]] = (
        client.query("SELECT * FROM Preferences").get("QueryResponse", {}).get("Preferences") or []
    )
    prefs: dict[str, Any] = (preferences[0] if preferences else {}).get("CurrencyPrefs") or {}
    home = str((prefs.get("HomeCurrency") or {}).get("value") or "")
    if not home:
        raise LedgerError(ErrorKind.UNAVAILABLE, "QBO answered without the home currency (CurrencyPrefs.HomeCurrency)")
    multicurrency = prefs.get("MultiCurrencyEnabled") is True
    listed = select_all(client, "CompanyCurrency", "Active = true") if multicurrency else []
    return LedgerCurrencies(home, multicurrency, frozenset({home} | {str(c["Code"]) for c in listed}))
