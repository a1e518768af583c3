"""JSON with exact numbers: Decimals go out digit for digit and come back as Decimals, never via float."""

import json
from datetime import date
from decimal import Decimal
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any


def dumps(value: Any) -> str:
    """Compact JSON; a Decimal is written in plain notation (no exponent), exactly as it is.

    Plain strings, numbers and constants are written by `json`'s own C escapers, not a `json.dumps` each: a
    request body holds thousands of them and the sync's CPU per record counts."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is Decimal:
        return _decimal(value)
    if kind is dict:
        return "{" + ",".join(f"{encode_basestring_ascii(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if kind is list or kind is tuple:
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    return _other(value)


def _decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value!r} is not a JSON number")
    return format(value, "f")


def _other(value: Any) -> str:
    """Subclasses and the rarer types, as `dumps` always wrote them."""
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, float):
        raise TypeError(f"float {value!r} is not exact; use Decimal")
    return json.dumps(value, ensure_ascii=False)


def loads(data: str | bytes) -> Any:
    return json.loads(data, parse_float=Decimal)
