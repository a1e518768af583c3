"""Reading one raw Service Opus value into its Python type, failing for that value only.

The source columns are typed, but SQLite stores whatever an app wrote (text in a Numeric column, a
date that does not exist, an enum value the enum lacks). Extraction reads raw values and converts them
here, one record at a time: a value that does not convert raises `BadValue` naming the field and the
value (truncated), which parks that record and no other.
"""

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TypeVar

SHOWN_CHARS = 40
"""How much of a bad value a parking reason shows."""
NUMERIC_LIMIT = Decimal(10) ** 10
"""Service Opus's Numeric(14, 4) columns hold less than this in magnitude."""


E = TypeVar("E", bound=StrEnum)


class BadValue(ValueError):
    """A field whose raw value cannot be read."""

    def __init__(self, field: str, value: object, why: str) -> None:
        super().__init__(f"{field} {shown(value)} {why}")
        self.field = field


def shown(value: object) -> str:
    """The value as a parking reason shows it: repr, cut to SHOWN_CHARS."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def decimal_value(field: str, raw: object) -> Decimal:
    """A Numeric value; NaN and infinities pass (the record-level checks park them with their own reason)."""
    if raw is None:
        raise BadValue(field, raw, "is empty")
    if isinstance(raw, bool) or not isinstance(raw, Decimal | int | float | str):
        raise BadValue(field, raw, "is not a number")
    try:
        value = Decimal(str(raw).strip()) if isinstance(raw, str | float) else Decimal(raw)
    except InvalidOperation:
        raise BadValue(field, raw, "is not a number") from None
    if value.is_finite() and abs(value) >= NUMERIC_LIMIT:
        raise BadValue(field, raw, f"is out of range (at most {NUMERIC_LIMIT - 1} in magnitude)")
    return value


def date_value(field: str, raw: object) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if not isinstance(raw, str):
        raise BadValue(field, raw, "is not a date")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise BadValue(field, raw, "is not a date") from None


def moment_value(field: str, raw: object) -> datetime | None:
    """A naive-UTC timestamp as Service Opus stores it, made aware; None stays None."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        parsed = raw
    elif isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw.strip())
        except ValueError:
            raise BadValue(field, raw, "is not a date and time") from None
    else:
        raise BadValue(field, raw, "is not a date and time")
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def choice_value(field: str, raw: object, enum: type[E]) -> E:
    if isinstance(raw, str):
        try:
            return enum(raw)
        except ValueError:
            pass
    allowed = ", ".join(member.value for member in enum)  # only for the error: listing them costs every read
    raise BadValue(field, raw, f"is not one of {allowed}")


def flag_value(field: str, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in (0, 1):
        return bool(raw)
    raise BadValue(field, raw, "is not true or false")


def text_value(field: str, raw: object) -> str:
    if isinstance(raw, str):
        return raw
    raise BadValue(field, raw, "is not text")
