"""The HTTP client for one Xero organisation: auth, tenant header, Xero's limits and patient retries.

Every call sends `xero-tenant-id`. A 401 refreshes the token once through the provider. Limits:
at most `max_concurrent` calls in flight per tenant from this process; `X-MinLimit-Remaining` is
watched so the client waits for the minute window to free a call instead of tripping the limit;
a 429 is retried after its `Retry-After`, except the DAY limit, which is raised at once (waiting
hours inside a run helps nobody). Writes are retried with the SAME `Idempotency-Key`, so Xero
answers a repeat with the first result instead of writing twice.
"""

import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from ledger_sync.connectors.auth import AuthRejected, TokenProvider
from ledger_sync.connectors.http import backoff_delay
from ledger_sync.connectors.jsonnum import dumps, loads
from ledger_sync.connectors.ledger import ErrorKind, LedgerError
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.errors import DAY_LIMIT, response_error

RETRIED_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})
JSON_TYPE = "application/json"
MINUTE_REMAINING = "X-MinLimit-Remaining"
DAY_REMAINING = "X-DayLimit-Remaining"

_slots: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _tenant_slots(api_base: str, tenant_id: str, size: int) -> threading.BoundedSemaphore:
    """One semaphore per tenant for the whole process, shared by every client of that tenant."""
    with _slots_lock:
        return _slots.setdefault((api_base, tenant_id), threading.BoundedSemaphore(size))


class XeroClient:
    def __init__(
        self,
        config: XeroConfig,
        tenant_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._tenant_id = tenant_id
        self._tokens = tokens
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=config.timeout_seconds)
        self._sleep = sleep
        self._monotonic = monotonic
        self._random = random.Random()
        self._slots = _tenant_slots(config.api_base, tenant_id, config.max_concurrent)
        self._sent: deque[float] = deque()
        self._minute_remaining: int | None = None
        self._calls = 0
        self.day_remaining: int | None = None
        """The last `X-DayLimit-Remaining` Xero reported (None until the first answer)."""

    def __repr__(self) -> str:
        return f"XeroClient({self._config.api_base!r}, tenant={self._tenant_id!r}, calls={self._calls})"

    @property
    def calls(self) -> int:
        """HTTP requests sent to the API so far, retries included."""
        return self._calls

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._call("GET", path, dict(params or {}), None, None)

    def write(
        self, method: str, path: str, body: Mapping[str, Any], params: Mapping[str, str], idempotency_key: str
    ) -> dict[str, Any]:
        """PUT (create) or POST (create or update) `body`; a retry re-sends the same key."""
        return self._call(method, path, dict(params), dumps(body).encode(), idempotency_key)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _call(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, key: str | None
    ) -> dict[str, Any]:
        token = self._tokens.access_token()
        refreshed = False
        attempt = 1
        while True:
            try:
                response = self._send(method, path, params, content, key, token)
            except httpx.TransportError as exc:
                error = LedgerError(ErrorKind.UNAVAILABLE, f"Xero unreachable or timed out: {type(exc).__name__}")
            else:
                if response.status_code == 401:
                    if refreshed:
                        raise LedgerError(ErrorKind.AUTH, "Xero refused a freshly refreshed access token", code="401")
                    token = self._refreshed(token)
                    refreshed = True
                    continue
                body_or_error = _body_or_error(response)
                if not isinstance(body_or_error, LedgerError):
                    return body_or_error
                error = body_or_error
            if error.kind not in RETRIED_KINDS or error.code == DAY_LIMIT or attempt >= self._config.max_attempts:
                raise error
            self._sleep(self._delay(attempt, error.retry_after))
            attempt += 1

    def _send(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, key: str | None, token: str
    ) -> httpx.Response:
        headers = {"Accept": JSON_TYPE, "Authorization": f"Bearer {token}", "xero-tenant-id": self._tenant_id}
        if content is not None:
            headers["Content-Type"] = JSON_TYPE
        if key is not None:
            headers["Idempotency-Key"] = key
        self._pace()
        with self._slot():
            self._calls += 1
            self._sent.append(self._monotonic())
            response = self._http.request(
                method, f"{self._config.api_base}/{path}", params=params, content=content, headers=headers
            )
        self._note_limits(response.headers)
        return response

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self._slots:
            yield

    def _pace(self) -> None:
        """With no call left in the minute window, wait until our oldest call in it has aged out."""
        window = self._config.minute_window_seconds
        now = self._monotonic()
        while self._sent and self._sent[0] <= now - window:
            self._sent.popleft()
        if self._minute_remaining is not None and self._minute_remaining <= 0 and self._sent:
            self._sleep(self._sent[0] + window - now)
            self._minute_remaining = None

    def _note_limits(self, headers: httpx.Headers) -> None:
        minute, day = _count(headers.get(MINUTE_REMAINING)), _count(headers.get(DAY_REMAINING))
        if minute is not None:
            self._minute_remaining = minute
        if day is not None:
            self.day_remaining = day

    def _refreshed(self, rejected: str) -> str:
        try:
            return self._tokens.refreshed_access_token(rejected)
        except AuthRejected as exc:
            raise LedgerError(ErrorKind.AUTH, "Xero connection needs reconnecting: refresh was refused") from exc

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Server's Retry-After when given, else 'equal jitter' exponential backoff."""
        if retry_after is not None:
            return retry_after
        return backoff_delay(attempt, self._config.backoff_base_seconds, self._config.backoff_max_seconds, self._random)


def _body_or_error(response: httpx.Response) -> dict[str, Any] | LedgerError:
    if not response.is_success:
        return response_error(response)
    try:
        body = loads(response.content)
    except ValueError:
        return response_error(response)
    return body if isinstance(body, dict) else response_error(response)


def _count(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
