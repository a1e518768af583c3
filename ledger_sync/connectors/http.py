"""HTTP plumbing every ledger connector shares: Retry-After, patient backoff, token endpoint errors.

The vendor name only goes into messages; the rules are the same for QBO and Xero. Nothing here puts a
token or a client secret into an exception message.
"""

import random
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from ledger_sync.connectors.auth import AuthRejected
from ledger_sync.connectors.ledger import ErrorKind, LedgerError
from ledger_sync.connectors.oauth_client import OAuthError

REJECTED_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client"})
"""Errors after which no retry can help: the user must reconnect (or the app credentials are wrong)."""


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Only the delta-seconds form is honoured; an HTTP-date falls back to our own backoff."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def backoff_delay(attempt: int, base: float, ceiling: float, rng: random.Random) -> float:
    """'Equal jitter' exponential backoff before try `attempt + 1`: half fixed, half random, capped."""
    top = min(ceiling, base * 2 ** (attempt - 1))
    return top / 2 + rng.uniform(0, top / 2)


def status_kind(status: int) -> ErrorKind:
    """What an HTTP status from a token endpoint means for the caller."""
    if status == 429:
        return ErrorKind.THROTTLED
    return ErrorKind.UNAVAILABLE if status >= 500 else ErrorKind.AUTH


def oauth_error_code(response: httpx.Response) -> str | None:
    """The RFC 6749 `error` of a token endpoint's JSON answer, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    return str(body["error"]) if isinstance(body, dict) and "error" in body else None


@contextmanager
def token_endpoint_errors(vendor: str) -> Iterator[None]:
    """Turn authlib/httpx failures into AuthRejected or LedgerError, with messages free of secrets."""
    try:
        yield
    except OAuthError as exc:
        if exc.error in REJECTED_GRANT_ERRORS:
            raise AuthRejected(f"{vendor} refused the grant: {exc.error}") from None
        raise LedgerError(ErrorKind.AUTH, f"{vendor} token endpoint error: {exc.error}") from None
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise LedgerError(status_kind(status), f"{vendor} token endpoint answered HTTP {status}") from None
    except httpx.TransportError as exc:
        raise LedgerError(ErrorKind.UNAVAILABLE, f"{vendor} token endpoint unreachable: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise LedgerError(ErrorKind.UNAVAILABLE, f"{vendor} token endpoint answered a body that is not JSON") from exc
