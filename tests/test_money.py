from decimal import Decimal as D

import pytest

from ledger_sync.core.money import (
    MoneyError,
    RateLine,
    cents,
    invoice_discounts,
    line_amounts,
    plain,
    to_decimal,
    unit_price_for,
)


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


def test_a_negative_line_rounds_its_tax_away_from_zero_like_a_positive_one() -> None:
    assert line_amounts(D("-1"), D("0.50"), D("5"), inclusive=False) == line_amounts(D("1"), D("-0.50"), D("5"), False)
    amounts = line_amounts(D("-1"), D("0.50"), D("5"), inclusive=False)
    assert (amounts.net, amounts.tax, amounts.gross) == (D("-0.50"), D("-0.03"), D("-0.53"))
    inclusive = line_amounts(D("-0.5"), D("115.00"), D("13"), inclusive=True)
    assert (inclusive.net, inclusive.tax, inclusive.gross) == (D("-50.88"), D("-6.62"), D("-57.50"))  # -6.615


def test_the_invoice_discount_is_one_row_per_rate_taxed_at_that_rate() -> None:
    lines = [
        RateLine("HST", D("13"), False, D("33.35")),
        RateLine("GST", D("5"), False, D("10.05")),
        RateLine("HST", D("13"), False, D("66.70")),
        RateLine("HST", D("13"), True, D("11.30")),
    ]
    rows = invoice_discounts(lines, D("10"))
    assert list(rows) == [("HST", False), ("GST", False), ("HST", True)]
    assert rows[("HST", False)] == line_amounts(D("1"), D("-10.01"), D("13"), False)  # 100.05 x 10 % = 10.005
    assert (rows[("GST", False)].net, rows[("GST", False)].tax) == (D("-1.01"), D("-0.05"))
    assert (rows[("HST", True)].gross, rows[("HST", True)].tax) == (D("-1.13"), D("-0.13"))


def test_nothing_to_discount_gives_no_row() -> None:
    lines = [RateLine(1, D("5"), False, D("-20.00")), RateLine(2, D("5"), False, D("0.04"))]
    lines.append(RateLine(3, D("0"), False, D("0")))
    assert invoice_discounts(lines, D("10")) == {}  # negative subtotal, 0.004 rounds to 0.00, zero subtotal
    assert invoice_discounts([RateLine(1, D("5"), False, D("80.00"))], D("0")) == {}
