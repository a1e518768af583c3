"""The currencies a sandbox Xero organisation takes: its base currency (CAD) and those a bookkeeper enabled
(Settings -> Currencies; `GET /Currencies` lists them). The accounting spec's `PUT /Currencies` says "Unsupported
- API is not able to create new Currency", so the sandbox adds currencies only through its admin API, as a
bookkeeper would in Xero's UI.

What the sandbox refuses (the stricter reading where Xero does not document it (?)):
- a contact's `DefaultCurrency`, an invoice's or credit note's `CurrencyCode`, in a currency the organisation has
  not enabled ("Organisation is not subscribed to currency USD"); a contact's `DefaultCurrency` changed once it has
  transactions (`contacts`);
- a foreign-currency invoice, credit note or payment (a credit note's refund too) without `CurrencyRate`: Xero
  would take XE.com's rate for the day, which the sandbox does not have; a base-currency one at a rate other than 1;
  a rate above zero with more than 6 decimal places (the spec's "max length = [18].[6]");
- a payment into (a refund out of) a bank account in a third currency (neither the base nor the document's);
- a credit allocated to an invoice in another currency (`creditnotes.checked_allocation`).

`CurrencyRate` is foreign units for one base unit (the spec's "e.g. 0.7500"): a document's base amount is its
amount divided by the rate, rounded half-up to the cent (`core.currency.xero_home_amount`; Xero does not document
its rounding). A payment of a foreign invoice into a base-currency account brings that base amount into the bank
(`BankAmount`); at another rate than the invoice's, Xero books the difference to its Realised Currency Gains
account (a system account; its balance is in reports the sandbox does not model).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from ledger_sync.sandboxes.xero.books import Books, Invalid

COLLECTION = "Currencies"
BASE = "CAD"
"""The sandbox organisation's base currency (`organisation.organisation`'s `BaseCurrency`)."""
NAMES = {"CAD": "Canadian Dollar", "USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound"}
PLACES = Decimal("0.000001")


def listed(books: Books) -> list[dict[str, Any]]:
    """`GET /Currencies`: the base currency, then the enabled ones."""
    enabled = [c for c in books.all(COLLECTION) if c["Code"] != BASE]
    return [{"Code": BASE, "Description": NAMES[BASE]}, *sorted(enabled, key=lambda c: c["Code"])]


def enable(books: Books, code: str) -> dict[str, Any]:
    """A bookkeeper enables `code` (a 3-letter ISO code)."""
    if len(code) != 3 or not code.isalpha() or not code.isupper():
        raise Invalid(f"{code} is not a currency code.")
    return books.save(COLLECTION, {"Code": code, "Description": NAMES.get(code, code)})


def check_enabled(code: str, books: Books) -> str | None:
    """Xero's refusal of a document in `code`, or None when the organisation takes it."""
    if code in {c["Code"] for c in listed(books)}:
        return None
    return f"Organisation is not subscribed to currency {code}"


def rate(code: str, given: object, errors: list[str]) -> Decimal:
    """The document's `CurrencyRate` (see the module docstring); each problem goes to `errors`."""
    if code == BASE:
        if given is not None and _decimal(given) != 1:
            errors.append(f"The currency rate of a {BASE} document must be 1.")
        return Decimal("1.000000")
    if given is None:
        errors.append(f"A currency rate must be given for a document in {code}.")
        return Decimal("1.000000")
    value = _decimal(given)
    if value is None or value <= 0 or value != value.quantize(PLACES):
        errors.append("CurrencyRate must be a number above zero with at most 6 decimal places.")
        return Decimal("1.000000")
    return value.quantize(PLACES)


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def bank_amount(
    amount: Decimal, code: str, currency_rate: Decimal, account: dict[str, Any], errors: list[str]
) -> Decimal:
    """What a payment of `amount` in `code` brings into `account`: the amount itself in an account of that currency,
    its base amount in a base-currency one; an account in a third currency is refused."""
    held = account.get("CurrencyCode", BASE)
    if held == code:
        return amount
    if held != BASE:
        errors.append(f"A payment in {code} cannot be made to or from an account in {held}.")
        return amount
    return (amount / currency_rate).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
