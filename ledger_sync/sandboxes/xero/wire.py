"""Xero's JSON dialect: exact decimal numbers, `/Date(ms+0000)/` dates, no nulls on the wire."""

import json
import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

_MS_DATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")


def loads(raw: bytes | str) -> Any:
    """Parse a request body keeping every number exact (floats become Decimal)."""
    return json.loads(raw, parse_float=Decimal)


def dumps(value: Any) -> str:
    """Serialise with Decimals written digit for digit (json.dumps would refuse or round them)."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps(v)}" for k, v in value.items() if v is not None) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value)


def ms_date(moment: datetime) -> str:
    """`/Date(1563753600000+0000)/`, the form Xero uses for every date and timestamp."""
    return f"/Date({round(moment.timestamp() * 1000)}+0000)/"


def ms_instant(moment: datetime) -> str:
    """`/Date(1588633397422)/`: the response envelope's DateTimeUTC carries no offset."""
    return f"/Date({round(moment.timestamp() * 1000)})/"


def day_fields(day: date) -> tuple[str, str]:
    """(`/Date(...)/`, `2019-07-22T00:00:00`) for a calendar date, as Xero's Date and DateString."""
    midnight = datetime.combine(day, time(), UTC)
    return ms_date(midnight), midnight.strftime("%Y-%m-%dT%H:%M:%S")


def parse_day(value: object) -> date:
    """Accept what clients send for a date: `2024-01-31`, `2024-01-31T00:00:00` or `/Date(ms)/`."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date")
    match = _MS_DATE.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC).date()
    return datetime.fromisoformat(value.strip()[:19]).date()


def parse_moment(value: str) -> datetime:
    """A `/Date(ms+0000)/` or ISO timestamp as an aware UTC datetime (for `where` comparisons)."""
    match = _MS_DATE.match(value.strip())
    if match:
        return datetime.fromtimestamp(int(match.group(1)) / 1000, UTC)
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
