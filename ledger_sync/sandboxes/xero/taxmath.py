"""Xero's arithmetic: line amounts and tax per line, each rounded to the cent, then summed.

Kept apart from `ledger_sync.core.money` on purpose: the sandbox models Xero independently, so a
slip in our own money code shows up as a difference instead of being mirrored. The midpoint rule
is half-up (Xero documents per-line 2 dp rounding but not the midpoint rule; one third party
reports banker's rounding (?)).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ledger_sync.sandboxes.xero.books import Invalid

CENT = Decimal("0.01")
QUANTITY_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)


def number(value: object, field: str) -> Decimal:
    """A request value as an exact Decimal, or Invalid naming the field."""
    if isinstance(value, bool):
        raise Invalid(f"{field} must be a number.")
    try:
        result = Decimal(str(value))
    except InvalidOperation as bad:
        raise Invalid(f"{field} must be a number.") from bad
    if not result.is_finite():
        raise Invalid(f"{field} must be a number.")
    return result


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def unit_amount(value: object, unitdp: int) -> Decimal:
    """UnitAmount as Xero keeps it: 2 dp, or 4 with `unitdp=4`."""
    places = Decimal("0.0001") if unitdp == 4 else CENT
    return number(value, "UnitAmount").quantize(places, rounding=ROUND_HALF_UP)


def quantity(value: object) -> Decimal:
    return number(value, "Quantity").quantize(QUANTITY_PLACES, rounding=ROUND_HALF_UP)


def line_tax(line_amount: Decimal, rate_percent: Decimal, mode: str) -> Decimal:
    """Tax on one line: on top of the amount (Exclusive), inside it (Inclusive), or none (NoTax)."""
    if mode == "NoTax":
        return Decimal("0.00")
    rate = rate_percent / HUNDRED
    if mode == "Inclusive":
        return cents(line_amount * rate / (1 + rate))
    return cents(line_amount * rate)
