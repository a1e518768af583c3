"""Decimal money and tax math, the one definition of what Service Opus's totals are.

Tax is computed per line and rounded half-up to the cent, the way Service Opus prints it on the
invoice; ledgers must end up with these exact totals, whatever they compute themselves.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class MoneyError(ValueError):
    """A value that cannot be money: NaN, infinite, or not a number at all."""


def to_decimal(value: object) -> Decimal:
    """Exact Decimal from str/int/Decimal; floats are refused because they are not exact."""
    if isinstance(value, float):
        raise MoneyError(f"float {value!r} is not exact money; pass a str or Decimal")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation as exc:
        raise MoneyError(f"{value!r} is not a number") from exc
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number")
    return result


def cents(value: object) -> Decimal:
    """Round to the cent, half-up."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """One line's amounts after tax: net + tax == gross, each to the cent."""

    net: Decimal
    tax: Decimal
    gross: Decimal


def line_amounts(quantity: Decimal, unit_price: Decimal, rate_percent: Decimal, inclusive: bool) -> LineAmounts:
    """Net, tax and gross of a line. Inclusive prices already contain the tax."""
    extended = cents(to_decimal(quantity) * to_decimal(unit_price))
    rate = to_decimal(rate_percent) / HUNDRED
    if inclusive:
        tax = cents(extended * rate / (1 + rate))
        return LineAmounts(net=extended - tax, tax=tax, gross=extended)
    tax = cents(extended * rate)
    return LineAmounts(net=extended, tax=tax, gross=extended + tax)


def unit_price_for(net: Decimal, quantity: Decimal, places: int = 7) -> Decimal:
    """A unit price such that round(quantity x price, 2) == net, for ledgers that check Amount = Qty x Price."""
    quantity = to_decimal(quantity)
    if quantity == 0:
        raise MoneyError("quantity 0 has no unit price")
    price = (to_decimal(net) / quantity).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if cents(quantity * price) != net:
        raise MoneyError(f"no {places}-place unit price gives {net} for quantity {quantity}")
    return cents(price) if price == cents(price) else price.normalize()


def plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and never in exponent notation (19.9900 -> 19.99, 20.0000 -> 20)."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal
