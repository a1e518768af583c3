"""QBO's arithmetic as the sandbox models it: exact Decimal amounts, rounded half-up to the cent.

Kept apart from `ledger_sync.core.money` on purpose (as the Xero sandbox keeps `taxmath`): the sandbox
models QBO independently, so a slip in our own money code shows up as a difference instead of being
mirrored. QBO keeps amounts to 2 dp but does not document its midpoint rule; the sandbox rounds half-up.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


class MoneyError(ValueError):
    """A request value that is not an exact, finite number."""


def to_decimal(value: object) -> Decimal:
    """The exact Decimal of a parsed request value; floats are refused (the wire parser yields Decimals)."""
    if isinstance(value, float | bool):
        raise MoneyError(f"{value!r} is not an exact number")
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


def spread(amount: Decimal, share: Decimal, whole: Decimal) -> Decimal:
    """The part of a discount `amount` that falls on `share` of `whole` (to the cent, half-up)."""
    return cents(amount * share / whole) if whole else Decimal(0)
