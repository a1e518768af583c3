"""QBO's JSON: money stays an exact Decimal in and out (JSON numbers, never strings); times in Pacific time."""

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from starlette.responses import Response

QBO_ZONE = ZoneInfo("America/Los_Angeles")
"""QBO stamps `time` and MetaData in Pacific time, with the offset."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads(raw: bytes | str) -> Any:
    """Parse a request body; fractional numbers become Decimal. Raises ValueError when it is not JSON."""
    return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)


def _encode_decimal(value: object) -> orjson.Fragment:
    if isinstance(value, Decimal):
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(payload: object) -> bytes:
    return orjson.dumps(payload, default=_encode_decimal)


def qbo_time(moment: datetime) -> str:
    """E.g. `2025-07-26T21:32:59.136-07:00`, as in QBO's `time` attribute."""
    return moment.astimezone(QBO_ZONE).isoformat(timespec="milliseconds")


def qbo_timestamp(moment: datetime) -> str:
    """E.g. `2025-07-26T21:32:59-07:00`, as in QBO's MetaData."""
    return moment.astimezone(QBO_ZONE).isoformat(timespec="seconds")


class QboJSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return dumps(content)
