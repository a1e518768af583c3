"""JSON with exact numbers: Decimals go out digit for digit and come back as Decimals, never via float."""

from decimal import Decimal
from typing import Any

import msgspec
import orjson

BOM = b"\xef\xbb\xbf"
_DECODER = msgspec.json.Decoder(float_hook=Decimal)
"""Answers are read by msgspec, which hands each number with a fraction or an exponent over as its text: the JSON
of a batch answer is read in half the time `json.loads` takes, and the sync's CPU per record counts."""


def dumps(value: Any) -> str:
    """Compact JSON; a Decimal is written in plain notation (no exponent), exactly as it is; a float is refused.

    Written by orjson, a Decimal as its own digits (`orjson.Fragment`): a request body holds thousands of values
    and the sync's CPU per record counts. orjson would write a float as it is, so floats are looked for first."""
    _refuse_floats(value)
    try:
        return orjson.dumps(value, default=_number).decode()
    except orjson.JSONEncodeError as exc:
        if isinstance(exc.__cause__, ValueError):  # a non-finite Decimal, as `_number` says
            raise exc.__cause__ from None
        raise


def _refuse_floats(value: Any) -> None:
    """TypeError if a float is anywhere in `value`: it is not exact, so money must not go out as one."""
    if isinstance(value, dict):
        for item in value.values():
            if type(item) is not str:  # most values: nothing to look into
                _refuse_floats(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_floats(item)
    elif isinstance(value, float):
        raise TypeError(f"float {value!r} is not exact; use Decimal")


def _number(value: Any) -> orjson.Fragment:
    """A Decimal as JSON, digit for digit (orjson asks for what it cannot write itself)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{type(value).__name__} is not JSON serializable")
    if not value.is_finite():
        raise ValueError(f"{value!r} is not a JSON number")
    return orjson.Fragment(format(value, "f"))


def loads(data: str | bytes) -> Any:
    """The JSON value `data` holds, its numbers with a fraction or an exponent as Decimals (never via float). A
    leading UTF-8 byte order mark is skipped, as `json.loads` does; NaN and Infinity, which are not JSON, are a
    ValueError (msgspec.DecodeError), as any malformed text is."""
    if isinstance(data, bytes) and data.startswith(BOM):
        data = data[len(BOM) :]
    return _DECODER.decode(data)
