"""Foreign-currency money (`core.currency`): home amounts half-up to the cent, Xero's 6-place inverse rate that
gives Service Opus's home amount, the realised gain or loss, and what the ledger lacks, in a bookkeeper's words."""

from decimal import Decimal

import pytest

from ledger_sync.core.currency import (
    CurrencyProblem,
    exchange_difference,
    home_amount,
    invoice_currency_problem,
    xero_home_amount,
    xero_rate,
)
from ledger_sync.core.ledger import LedgerCurrencies

QBO_OFF = LedgerCurrencies("CAD", False, frozenset({"CAD"}))
XERO = LedgerCurrencies("CAD", True, frozenset({"CAD"}))
XERO_USD = LedgerCurrencies("CAD", True, frozenset({"CAD", "USD"}))


def test_home_amounts_round_half_up_on_the_total() -> None:
    assert home_amount(Decimal("355.75"), Decimal("1.3512")) == Decimal("480.69")  # 480.6894
    assert home_amount(Decimal("0.37"), Decimal("1.35")) == Decimal("0.50")  # 0.4995
    assert home_amount(Decimal("12.34"), None) == Decimal("12.34")
    assert exchange_difference(Decimal("355.75"), Decimal("1.3512"), Decimal("1.3630")) == Decimal("4.20")


@pytest.mark.parametrize("amount", ["0.01", "355.75", "1000.00", "4321.09"])
@pytest.mark.parametrize("rate", ["1.3512", "0.7403", "1.35", "0.0091"])
def test_xeros_rate_gives_service_opus_home_amount_to_the_cent(amount: str, rate: str) -> None:
    chosen = xero_rate(Decimal(amount), Decimal(rate))
    assert chosen == chosen.quantize(Decimal("0.000001"))
    assert xero_home_amount(Decimal(amount), chosen) == home_amount(Decimal(amount), Decimal(rate))


def test_a_rate_six_places_cannot_express_for_the_amount_is_a_problem_naming_both_figures() -> None:
    with pytest.raises(CurrencyProblem, match=r"makes 49999\.99 worth 67559\.99 at home"):
        xero_rate(Decimal("49999.99"), Decimal("1.3512"))
    with pytest.raises(CurrencyProblem, match="not above zero"):
        xero_rate(Decimal("10.00"), Decimal("0"))


def test_what_keeps_an_invoices_currency_from_the_ledger_is_named() -> None:
    usd = Decimal("1.35")
    assert invoice_currency_problem("CAD", None, "CAD", QBO_OFF, "QuickBooks Online") is None
    assert invoice_currency_problem("USD", None, "CAD", XERO_USD, "Xero") == (
        "Invoice is in USD, not the company's CAD, and has no exchange rate recorded"
    )
    assert invoice_currency_problem("CAD", usd, "CAD", XERO, "Xero") == (
        "Invoice is in CAD, the company's own currency, but has an exchange rate recorded"
    )
    assert invoice_currency_problem("USD", usd, "CAD", QBO_OFF, "QuickBooks Online") == (
        "Invoice is in USD: QuickBooks Online has multicurrency off: a bookkeeper must turn it on to take USD"
    )
    assert invoice_currency_problem("USD", usd, "CAD", XERO, "Xero") == (
        "Invoice is in USD: USD is not among Xero's currencies: a bookkeeper must add it"
    )
    assert invoice_currency_problem("USD", usd, "CAD", XERO_USD, "Xero") is None
    assert invoice_currency_problem("USD", None, "USD", XERO, "Xero") == (
        "Service Opus keeps the company's books in USD but Xero keeps them in CAD"
    )
