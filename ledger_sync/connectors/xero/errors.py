"""Xero answers to `LedgerError`, typed by what the caller should do about them.

Xero reports a refused call as `{"ErrorNumber", "Type", "Message", "Elements": [...ValidationErrors]}`
(400), auth trouble as a problem body (401/403) and rate limits as 429 with `Retry-After` and
`X-Rate-Limit-Problem` (minute | day | appminute | concurrent), which is kept as the error's code.
"""

from typing import Any

import httpx

from ledger_sync.connectors.http import retry_after_seconds
from ledger_sync.connectors.jsonnum import loads
from ledger_sync.core.ledger import ErrorKind, LedgerError

DAY_LIMIT = "day"


def response_error(response: httpx.Response) -> LedgerError:
    """The error a non-2xx response (or a 2xx that is not a JSON object) stands for."""
    status = response.status_code
    body = _json(response)
    if status == 429:
        problem = response.headers.get("X-Rate-Limit-Problem", "minute").lower()
        return LedgerError(
            ErrorKind.THROTTLED,
            f"Xero {problem} rate limit reached",
            code=problem,
            retry_after=retry_after_seconds(response.headers),
        )
    if response.is_success:
        return LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered HTTP {status} with an unreadable body")
    message = _message(body) or f"HTTP {status}"
    if status in (401, 403):
        return LedgerError(ErrorKind.AUTH, f"Xero refused the call: {message}", code=str(status))
    if status >= 500:
        return LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered HTTP {status}: {message}", code=str(status))
    number = body.get("ErrorNumber") if isinstance(body, dict) else None
    return LedgerError(ErrorKind.VALIDATION, f"Xero: {message}", code=str(number or status))


def _json(response: httpx.Response) -> Any:
    try:
        return loads(response.content)
    except ValueError:
        return None


def _message(body: Any) -> str:
    """Message (and each element's validation errors) of an API exception, or a problem's Detail."""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("Message") or body.get("Detail") or body.get("Title") or "")]
    for element in body.get("Elements") or []:
        if isinstance(element, dict):
            parts += [str(e.get("Message")) for e in element.get("ValidationErrors") or [] if isinstance(e, dict)]
    return "; ".join(part for part in parts if part)
