"""Decimal money and tax math, the one definition of what Service Opus's totals are.

Tax is computed per line and rounded half-up to the cent (away from zero for a negative line), the way
Service Opus prints it on the invoice; ledgers must end up with these exact totals, whatever they compute
themselves. A discount line is a line with a negative amount and so negative tax. The invoice discount is a
percentage: Service Opus prints one discount row per tax rate (and tax-inclusive or not), that rate's
subtotal times the percentage rounded half-up to the cent, and taxes the row at that rate like a line, so
tax is charged on the discounted amounts.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Generic, TypeVar

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
K = TypeVar("K", bound=Hashable)


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


def extended_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Quantity x unit price to the cent: what a line charges before tax is split out or added."""
    return cents(to_decimal(quantity) * to_decimal(unit_price))


def line_amounts(quantity: Decimal, unit_price: Decimal, rate_percent: Decimal, inclusive: bool) -> LineAmounts:
    """Net, tax and gross of a line. Inclusive prices already contain the tax."""
    extended = extended_amount(quantity, unit_price)
    rate = to_decimal(rate_percent) / HUNDRED
    if inclusive:
        tax = cents(extended * rate / (1 + rate))
        return LineAmounts(net=extended - tax, tax=tax, gross=extended)
    tax = cents(extended * rate)
    return LineAmounts(net=extended, tax=tax, gross=extended + tax)


@dataclass(frozen=True)
class RateLine(Generic[K]):
    """What the invoice discount needs of a line: its tax rate (by any key), whether its price includes
    tax, and its extended amount."""

    rate: K
    rate_percent: Decimal
    inclusive: bool
    extended: Decimal


def invoice_discounts(lines: Iterable[RateLine[K]], percent: Decimal) -> dict[tuple[K, bool], LineAmounts]:
    """The invoice discount's rows, by (rate key, inclusive) in the order the lines first use them: each
    group's subtotal times `percent`, rounded half-up to the cent and taxed at the group's rate (negative
    amounts). A group whose subtotal is not positive has nothing to discount; rows of 0.00 are left out."""
    percent = to_decimal(percent)
    subtotals: dict[tuple[K, bool], tuple[Decimal, Decimal]] = {}
    for line in lines:
        key = (line.rate, line.inclusive)
        subtotal, _ = subtotals.get(key, (Decimal("0.00"), line.rate_percent))
        subtotals[key] = (subtotal + line.extended, line.rate_percent)
    rows: dict[tuple[K, bool], LineAmounts] = {}
    for (rate, inclusive), (subtotal, rate_percent) in subtotals.items():
        discount = cents(subtotal * percent / HUNDRED) if subtotal > 0 else Decimal("0.00")
        if discount:
            rows[(rate, inclusive)] = line_amounts(Decimal(1), -discount, rate_percent, inclusive)
    return rows


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
