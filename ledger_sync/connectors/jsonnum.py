"""JSON with exact numbers: Decimals go out digit for digit and come back as Decimals, never via float."""

import json
from datetime import date
from decimal import Decimal
from typing import Any


def dumps(value: Any) -> str:
    """Compact JSON; a Decimal is written in plain notation (no exponent), exactly as it is."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a JSON number")
        return format(value, "f")
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
