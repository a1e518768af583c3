"""Foreign-currency money: a document in a currency other than the company's home one, at the exchange rate
Service Opus recorded for it, and what it is worth at home.

The rate is Service Opus's, QBO's way round: home units for one foreign unit (QBO's `ExchangeRate`, Finance.xsd:
"the number of home currency units it takes to equal one foreign currency unit"). The home amount is the foreign
amount times the rate, rounded half-up to the cent on the document's total (`home_amount`). Neither vendor
documents its rounding of the home amount (QBO's `HomeTotalAmt` is "calculated by QuickBooks business logic"), so
the sandboxes round the same way and a ledger that did otherwise would be found out by the conformance suite.

Xero's `CurrencyRate` is the other way round (foreign units for one unit of the base currency, e.g. 0.7500) and
holds 6 decimal places at most (`Invoice.CurrencyRate`: "max length = [18].[6]"); its home amount is the foreign
amount divided by that rate. `xero_rate` picks the 6-place rate that gives Service Opus's home amount to the cent,
and says when none does (a large amount at a rate 6 places cannot express closely enough).

A payment collected at another rate than its invoice's clears the invoice's home amount at the invoice's rate;
the difference in home money is a realised exchange gain (or loss): QBO posts it to its Exchange Gain or Loss
account, Xero to its Realised Currency Gains account (`exchange_difference`).
"""

from decimal import ROUND_HALF_UP, Decimal

from ledger_sync.core.ledger import LedgerCurrencies
from ledger_sync.core.money import cents

XERO_RATE_PLACES = Decimal("0.000001")
"""Xero keeps a currency rate to 6 decimal places."""


class CurrencyProblem(ValueError):
    """A foreign amount the ledger cannot hold at Service Opus's rate; the message is the parking reason."""


def home_amount(amount: Decimal, rate: Decimal | None) -> Decimal:
    """What `amount` in a foreign currency is worth at home at `rate` (home units per foreign unit), to the cent
    half-up; None: already home money."""
    return cents(amount if rate is None else amount * rate)


def exchange_difference(amount: Decimal, invoice_rate: Decimal, payment_rate: Decimal) -> Decimal:
    """The realised gain (positive) or loss of collecting `amount` of an invoice at `payment_rate` instead of the
    invoice's `invoice_rate`, in home money."""
    return home_amount(amount, payment_rate) - home_amount(amount, invoice_rate)


def invoice_currency_problem(
    currency: str, exchange_rate: Decimal | None, home: str, ledger: LedgerCurrencies | None, ledger_label: str
) -> str | None:
    """Why an invoice in `currency` cannot go to the ledger as it is, in a bookkeeper's words; None: it can.
    Service Opus records a rate exactly on an invoice in another currency than the company's `home` one, and the
    ledger must keep its books in the same home currency and take `currency` (`LedgerCurrencies.missing`)."""
    if currency != home and exchange_rate is None:
        return f"Invoice is in {currency}, not the company's {home}, and has no exchange rate recorded"
    if currency == home and exchange_rate is not None:
        return f"Invoice is in {home}, the company's own currency, but has an exchange rate recorded"
    if ledger is None:
        return None
    if ledger.home != home:
        return f"Service Opus keeps the company's books in {home} but {ledger_label} keeps them in {ledger.home}"
    missing = ledger.missing(currency, ledger_label)
    return f"Invoice is in {currency}: {missing}" if missing else None


def credit_currency_problem(
    document: str, currency: str, exchange_rate: Decimal | None, customer_currency: str | None
) -> str | None:
    """Why a credit note (or refund) cannot go to the ledger in `currency`, in a bookkeeper's words; None: it can.
    Both ledgers hold it in its customer's one currency (`customer_currency`, None: the home one), and Service Opus
    records a rate exactly on one in a foreign currency."""
    if customer_currency is None:
        if exchange_rate is not None:
            return f"{document} has an exchange rate recorded, but its customer is billed in the company's own currency"
        return None
    if currency != customer_currency:
        return f"{document} is in {currency}, but its customer is billed in {customer_currency}"
    if exchange_rate is None:
        return f"{document} is in {currency}, not the company's currency, and has no exchange rate recorded"
    return None


def xero_home_amount(amount: Decimal, xero_currency_rate: Decimal) -> Decimal:
    """What Xero makes of `amount` at its `CurrencyRate` (foreign units per base unit), to the cent half-up."""
    return cents(amount / xero_currency_rate)


def xero_rate(amount: Decimal, rate: Decimal) -> Decimal:
    """Xero's 6-place `CurrencyRate` for Service Opus's `rate` that turns `amount` into Service Opus's home amount
    to the cent: the nearest to 1 / rate that does. Raises `CurrencyProblem` when no 6-place rate does."""
    if rate <= 0:
        raise CurrencyProblem(f"Exchange rate {rate.normalize()} is not above zero")
    wanted = home_amount(amount, rate)
    nearest = (1 / rate).quantize(XERO_RATE_PLACES, rounding=ROUND_HALF_UP)
    if amount == 0:
        return nearest
    for step in range(0, 50):
        for candidate in (nearest - step * XERO_RATE_PLACES, nearest + step * XERO_RATE_PLACES):
            if candidate > 0 and xero_home_amount(amount, candidate) == wanted:
                return candidate
    raise CurrencyProblem(
        f"Xero keeps an exchange rate to 6 places: no rate near {(1 / rate).quantize(XERO_RATE_PLACES)} makes "
        f"{cents(amount)} worth {wanted} at home, as Service Opus recorded it at {rate.normalize()}"
    )
