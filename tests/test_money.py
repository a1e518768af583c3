from decimal import Decimal as D

import pytest

from ledger_sync.core.money import MoneyError, cents, line_amounts, plain, to_decimal, unit_price_for


def test_exclusive_line_rounds_tax_half_up_per_line() -> None:
    amounts = line_amounts(D("3"), D("19.99"), D("13"), inclusive=False)
    assert (amounts.net, amounts.tax, amounts.gross) == (D("59.97"), D("7.80"), D("67.77"))
    assert line_amounts(D("1"), D("0.50"), D("5"), inclusive=False).tax == D("0.03")  # 0.025 -> 0.03


def test_inclusive_line_keeps_the_gross_and_splits_out_the_tax() -> None:
    amounts = line_amounts(D("3"), D("19.99"), D("13"), inclusive=True)
    assert amounts.gross == D("59.97")
    assert amounts.net + amounts.tax == amounts.gross
    assert amounts.tax == D("6.90")


@pytest.mark.parametrize("quantity", ["1", "3", "7", "1.5", "0.333", "12", "999"])
@pytest.mark.parametrize("net", ["0.01", "17.69", "53.07", "100.00", "12345.67"])
def test_unit_price_reproduces_the_net_amount(quantity: str, net: str) -> None:
    price = unit_price_for(D(net), D(quantity))
    assert cents(D(quantity) * price) == D(net)
    assert "E" not in str(price)


@pytest.mark.parametrize("bad", [1.1, "NaN", "Infinity", "-inf", "abc"])
def test_non_money_is_refused(bad: object) -> None:
    with pytest.raises(MoneyError):
        to_decimal(bad)


def test_plain_never_uses_exponent_notation() -> None:
    assert str(plain(D("20.0000"))) == "20"
    assert str(plain(D("19.9900"))) == "19.99"
    assert str(plain(D("100"))) == "100"
