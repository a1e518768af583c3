"""HTTP plumbing every ledger connector shares: the patient call loop, Retry-After, backoff, token endpoint errors.

The vendor name only goes into messages; the rules are the same for QBO and Xero, and each ledger's
client only says how it sends a request and what an error answer means. Nothing here puts a token or a
client secret into an exception message.
"""

import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ledger_sync.connectors.jsonnum import loads
from ledger_sync.connectors.oauth_client import OAuthError
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenProvider

REJECTED_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client"})
"""Errors after which no retry can help: the user must reconnect (or the app credentials are wrong)."""
RETRIED_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})
"""What the call loop waits out and tries again; anything else goes straight to the caller."""
JSON_TYPE = "application/json"


@dataclass(frozen=True, kw_only=True)
class HttpPolicy:
    """How patiently a connector talks to its API; each ledger's config extends it."""

    timeout_seconds: float = 30
    max_attempts: int = 6
    """Tries per API call for throttling and outages, the first one included."""
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30


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


def raise_for_revocation(response: httpx.Response, vendor: str, endpoint: str) -> None:
    """Nothing for a 2xx; AuthRejected for a refused grant; else a LedgerError typed by the status."""
    if response.is_success:
        return
    error = oauth_error_code(response)
    if error in REJECTED_GRANT_ERRORS:
        raise AuthRejected(f"{vendor} refused the revocation: {error}")
    raise LedgerError(status_kind(response.status_code), f"{vendor} {endpoint} answered HTTP {response.status_code}")


class LedgerHttpClient(ABC):
    """The call loop of both ledgers' API clients: one token refresh on a 401, then throttling and outages
    retried after the server's Retry-After (or backoff with jitter) up to `max_attempts` tries.

    A subclass sends (`_patiently(send)`), says what an error answer means (`_response_error`) and may
    call a 2xx an error (`_is_fault`) or a retried kind hopeless (`_is_final`).
    """

    vendor: ClassVar[str]

    def __init__(
        self,
        policy: HttpPolicy,
        tokens: TokenProvider,
        http: httpx.Client | None,
        sleep: Callable[[float], None],
    ) -> None:
        self._policy = policy
        self._tokens = tokens
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=policy.timeout_seconds)
        self._sleep = sleep
        self._random = random.Random()
        self._calls = 0

    @property
    def calls(self) -> int:
        """HTTP requests sent to the API so far, retries included."""
        return self._calls

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _patiently(self, send: Callable[[str], httpx.Response]) -> dict[str, Any]:
        """The JSON object answered to `send(access_token)`, tried as often as the policy allows."""
        token = self._tokens.access_token()
        refreshed = False
        attempt = 1
        while True:
            try:
                response = send(token)
            except httpx.TransportError as exc:
                error = LedgerError(
                    ErrorKind.UNAVAILABLE, f"{self.vendor} unreachable or timed out: {type(exc).__name__}"
                )
            else:
                if response.status_code == 401:
                    if refreshed:
                        raise LedgerError(
                            ErrorKind.AUTH, f"{self.vendor} refused a freshly refreshed access token", code="401"
                        )
                    token = self._refreshed(token)
                    refreshed = True
                    continue
                body_or_error = self._body_or_error(response)
                if not isinstance(body_or_error, LedgerError):
                    return body_or_error
                error = body_or_error
            if error.kind not in RETRIED_KINDS or self._is_final(error) or attempt >= self._policy.max_attempts:
                raise error
            self._sleep(self._delay(attempt, error.retry_after))
            attempt += 1

    def _request(
        self, method: str, url: str, params: dict[str, str], content: bytes | None, headers: dict[str, str]
    ) -> httpx.Response:
        """Every request goes out here, so `calls` counts retries too."""
        self._calls += 1
        return self._http.request(method, url, params=params, content=content, headers=headers)

    @abstractmethod
    def _response_error(self, response: httpx.Response) -> LedgerError:
        """What an error answer (or a 2xx that is not a usable JSON object) stands for."""

    def _is_fault(self, body: dict[str, Any]) -> bool:
        """Whether a 2xx JSON object is an error all the same."""
        return False

    def _is_final(self, error: LedgerError) -> bool:
        """Whether a throttle or outage is one that waiting inside this call cannot help."""
        return False

    def _body_or_error(self, response: httpx.Response) -> dict[str, Any] | LedgerError:
        if not response.is_success:
            return self._response_error(response)
        try:
            body = loads(response.content)
        except ValueError:
            return self._response_error(response)
        if not isinstance(body, dict) or self._is_fault(body):
            return self._response_error(response)
        return body

    def _refreshed(self, rejected: str) -> str:
        try:
            return self._tokens.refreshed_access_token(rejected)
        except AuthRejected as exc:
            raise LedgerError(
                ErrorKind.AUTH, f"{self.vendor} connection needs reconnecting: refresh was refused"
            ) from exc

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Server's Retry-After when given, else 'equal jitter' exponential backoff."""
        if retry_after is not None:
            return retry_after
        return backoff_delay(attempt, self._policy.backoff_base_seconds, self._policy.backoff_max_seconds, self._random)


class ClientConnector:
    """What a connector hands straight to its one API client."""

    _client: LedgerHttpClient

    @property
    def calls(self) -> int:
        """API calls spent so far (retries included), for run summaries."""
        return self._client.calls

    def close(self) -> None:
        self._client.close()
