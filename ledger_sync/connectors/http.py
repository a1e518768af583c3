"""HTTP plumbing every ledger connector shares: the patient call loop, Retry-After, backoff, token endpoint errors.

The vendor name only goes into messages; the rules are the same for QBO and Xero, and each ledger's
client only says how it sends a request and what an error answer means. Nothing here puts a token or a
client secret into an exception message.

A write whose answer is lost (timeout, dropped connection) or is an outage (5xx) may have been done: it is
never resent here. It comes back as an unknown outcome (UNAVAILABLE), and the engine looks the records up
by their external ids before writing them again. Throttle waits are not failed attempts: they are bounded
by `max_throttle_wait_seconds` instead, beyond which the client stands down until the wait is over.
"""

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import httpx

from ledger_sync.connectors.jsonnum import loads
from ledger_sync.connectors.oauth_client import OAuthError
from ledger_sync.connectors.tls import tls_context
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenProvider

REJECTED_GRANT_ERRORS = frozenset({"invalid_grant", "invalid_client"})
"""Errors after which no retry can help: the user must reconnect (or the app credentials are wrong)."""
RETRIED_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})
"""What the call loop waits out and tries again; anything else goes straight to the caller."""
NOTHING_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures before the request left: resending a write after one of them cannot duplicate it."""
JSON_TYPE = "application/json"


@dataclass(frozen=True, kw_only=True)
class HttpPolicy:
    """How patiently a connector talks to its API; each ledger's config extends it."""

    timeout_seconds: float = 30
    """Reads."""
    write_timeout_seconds: float = 150
    """Writes: longer than QBO lets a request run (120 s), so a slow write is answered, not abandoned."""
    max_attempts: int = 6
    """Tries per API call for outages (reads only), the first one included; throttle waits do not count."""
    backoff_base_seconds: float = 0.5
    backoff_max_seconds: float = 30
    throttle_wait_seconds: float | None = None
    """The wait after a throttle answer without Retry-After (QBO: a minute); None: backoff with jitter."""
    max_throttle_wait_seconds: float = 900
    """The longest one call waits for throttling, Retry-After included; beyond it the run stops cleanly
    (every call raises THROTTLED until the wait is over) and the next run resumes."""
    clock_scale: float = 1.0
    """Vendor seconds per real second (`Settings.vendor_clock_scale`): token lifetimes are divided by it."""


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Only the finite delta-seconds form is honoured; an HTTP-date, `inf` or `nan` counts as absent."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None


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
    """The call loop of both ledgers' API clients: one token refresh on a 401, throttling waited out (the
    server's Retry-After, else `throttle_wait_seconds` or backoff) up to `max_throttle_wait_seconds`, and
    outages of reads retried with backoff up to `max_attempts` tries. A write is resent only after a throttle
    or a failure before it left; any other failure of a write is an unknown outcome, raised at once.

    A subclass sends (`_patiently(send, write=...)`), says what an error answer means (`_response_error`) and
    may call a 2xx an error (`_is_fault`) or a throttle hopeless (`_is_final`).
    """

    vendor: ClassVar[str]

    def __init__(
        self,
        policy: HttpPolicy,
        tokens: TokenProvider,
        http: httpx.Client | None,
        sleep: Callable[[float], None],
        monotonic: Callable[[], float],
    ) -> None:
        self._policy = policy
        self._tokens = tokens
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=policy.timeout_seconds, verify=tls_context())
        self._sleep = sleep
        self._monotonic = monotonic
        self._random = random.Random()
        self._calls = 0
        self._stand_down: tuple[float, LedgerError] | None = None
        """(until, why): a throttle past what a run waits for; every call fails fast until then."""

    @property
    def calls(self) -> int:
        """HTTP requests sent to the API so far, retries included."""
        return self._calls

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _patiently(self, send: Callable[[str], httpx.Response], *, write: bool) -> dict[str, Any]:
        """The JSON object answered to `send(access_token)`, tried as often as the policy allows."""
        self._check_stand_down()
        token = self._tokens.access_token()
        refreshed = False
        attempt = throttles = 1
        throttle_waited = 0.0
        while True:
            try:
                response = send(token)
            except httpx.TransportError as exc:
                error = self._transport_error(exc, write)
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
                if write and error.kind is ErrorKind.UNAVAILABLE:
                    message = f"{error.message}; the write may have been done, so it is not resent"
                    raise LedgerError(ErrorKind.UNAVAILABLE, message, code=error.code)
            if error.kind is ErrorKind.THROTTLED:
                wait = self._throttle_wait(error, throttles, throttle_waited)
                throttle_waited += wait
                throttles += 1
            elif error.kind in RETRIED_KINDS and attempt < self._policy.max_attempts:
                wait = self._delay(attempt, error.retry_after)
                if wait > self._policy.max_throttle_wait_seconds:  # an outage's Retry-After is capped too
                    raise LedgerError(
                        error.kind,
                        f"{error.message}; the server asks to wait {wait:g} s, past what a run waits "
                        f"({self._policy.max_throttle_wait_seconds:g} s): the next run resumes",
                        code=error.code,
                        retry_after=wait,
                    )
                attempt += 1
            else:
                raise error
            self._sleep(wait)

    def _transport_error(self, exc: httpx.TransportError, write: bool) -> LedgerError:
        """A failure before the request left is retried; a write that may have arrived is raised at once."""
        name = type(exc).__name__
        if write and not isinstance(exc, NOTHING_SENT):
            raise LedgerError(
                ErrorKind.UNAVAILABLE,
                f"{self.vendor} write unanswered ({name}): it may have been done, so it is not resent",
            ) from exc
        return LedgerError(ErrorKind.UNAVAILABLE, f"{self.vendor} unreachable or timed out: {name}")

    def _throttle_wait(self, error: LedgerError, throttles: int, waited: float) -> float:
        """How long to wait before resending a throttled call; raises when this run should wait no longer."""
        policy = self._policy
        if error.retry_after is not None:
            wait = error.retry_after
        elif policy.throttle_wait_seconds is not None:
            wait = policy.throttle_wait_seconds
        else:
            wait = self._delay(throttles, None)
        if self._is_final(error) or waited + wait > policy.max_throttle_wait_seconds:
            self._stand_down = (self._monotonic() + wait, error)
            raise LedgerError(
                ErrorKind.THROTTLED,
                f"{error.message}; waiting {wait:g} s more is past what a run waits "
                f"({policy.max_throttle_wait_seconds:g} s): the next run resumes",
                code=error.code,
                retry_after=wait,
            )
        return wait

    def _check_stand_down(self) -> None:
        if self._stand_down is None:
            return
        until, error = self._stand_down
        left = until - self._monotonic()
        if left <= 0:
            self._stand_down = None
            return
        raise LedgerError(
            ErrorKind.THROTTLED,
            f"{self.vendor} throttled this connection for {left:g} s more; not calling until then",
            code=error.code,
            retry_after=left,
        )

    def _request(
        self,
        method: str,
        url: str,
        params: dict[str, str],
        content: bytes | None,
        headers: dict[str, str],
        *,
        write: bool,
    ) -> httpx.Response:
        """Every request goes out here, so `calls` counts retries too."""
        self._calls += 1
        timeout = self._policy.write_timeout_seconds if write else self._policy.timeout_seconds
        return self._http.request(method, url, params=params, content=content, headers=headers, timeout=timeout)

    @abstractmethod
    def _response_error(self, response: httpx.Response) -> LedgerError:
        """What an error answer (or a 2xx that is not a usable JSON object) stands for."""

    def _is_fault(self, body: dict[str, Any]) -> bool:
        """Whether a 2xx JSON object is an error all the same."""
        return False

    def _is_final(self, error: LedgerError) -> bool:
        """Whether a throttle is one that waiting inside this run cannot help."""
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
