"""The HTTP client for one Xero organisation: auth, tenant header, Xero's limits and patient retries.

Every call sends `xero-tenant-id`. A 401 refreshes the token once through the provider. Limits:
at most `max_concurrent` calls in flight per tenant from this process; the process's calls to the tenant
are paced under 60 a minute (counted from their answers, `connectors.pacing`), and `X-MinLimit-Remaining` is watched
(other clients of the tenant count too) so the client waits for the minute window to free a call
instead of tripping the limit;
a 429 is retried after its `Retry-After`, except the DAY limit, which is raised at once (waiting
hours inside a run helps nobody). A throttled write is re-sent with the SAME `Idempotency-Key`; a
write whose outcome is unknown is not re-sent at all (see `connectors.http`).
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import partial
from typing import Any

import httpx

from ledger_sync.connectors.http import JSON_TYPE, LedgerHttpClient
from ledger_sync.connectors.jsonnum import dumps
from ledger_sync.connectors.pacing import RateLimit, shared_pacer
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.errors import DAY_LIMIT, response_error
from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.tokens import TokenProvider

MINUTE_REMAINING = "X-MinLimit-Remaining"
DAY_REMAINING = "X-DayLimit-Remaining"

_slots: dict[tuple[str, str], threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


def _tenant_slots(api_base: str, tenant_id: str, size: int) -> threading.BoundedSemaphore:
    """One semaphore per tenant for the whole process, shared by every client of that tenant."""
    with _slots_lock:
        return _slots.setdefault((api_base, tenant_id), threading.BoundedSemaphore(size))


class XeroClient(LedgerHttpClient):
    vendor = "Xero"

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
        super().__init__(config, tokens, http, sleep, monotonic)
        self._config = config
        self._tenant_id = tenant_id
        self._slots = _tenant_slots(config.api_base, tenant_id, config.max_concurrent)
        self._sent: deque[float] = deque()
        minute = RateLimit(config.calls_per_minute, config.minute_window_seconds)
        self._pacer = shared_pacer((config.api_base, tenant_id), minute, monotonic, sleep)
        """Our own calls (every client of the tenant in this process), kept under the per-minute limit before Xero
        says so (the header only tells after)."""
        self._minute_remaining: int | None = None
        self.day_remaining: int | None = None
        """The last `X-DayLimit-Remaining` Xero reported (None until the first answer)."""

    def __repr__(self) -> str:
        return f"XeroClient({self._config.api_base!r}, tenant={self._tenant_id!r}, calls={self._calls})"

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._call("GET", path, dict(params or {}), None, None)

    def write(
        self, method: str, path: str, body: Mapping[str, Any], params: Mapping[str, str], idempotency_key: str
    ) -> dict[str, Any]:
        """PUT (create) or POST (update) `body`; a throttled call is re-sent with the same key."""
        return self._call(method, path, dict(params), dumps(body).encode(), idempotency_key)

    def _call(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, key: str | None
    ) -> dict[str, Any]:
        write = content is not None
        return self._patiently(partial(self._send, method, path, params, content, key), write=write)

    def _send(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, key: str | None, token: str
    ) -> httpx.Response:
        headers = {"Accept": JSON_TYPE, "Authorization": f"Bearer {token}", "xero-tenant-id": self._tenant_id}
        if content is not None:
            headers["Content-Type"] = JSON_TYPE
        if key is not None:
            headers["Idempotency-Key"] = key
        self._pace()
        self._pacer.wait_turn()
        with self._slot():
            try:
                response = self._request(
                    method, f"{self._config.api_base}/{path}", params, content, headers, write=content is not None
                )
            finally:  # counted from its answer: Xero saw it no later, so its window frees no later than ours
                self._sent.append(self._monotonic())
                self._pacer.done()
        self._note_limits(response.headers)
        return response

    @contextmanager
    def _slot(self) -> Iterator[None]:
        with self._slots:
            yield

    def _pace(self) -> None:
        """With no call left in the minute window, wait until our oldest call in it has aged out (counted from its
        answer: counted from its sending, a call sent a window after it could reach Xero a little before that call's
        hit leaves Xero's window, and be answered 429)."""
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

    def _response_error(self, response: httpx.Response) -> LedgerError:
        return response_error(response)

    def _is_final(self, error: LedgerError) -> bool:
        """The DAY limit: waiting hours inside a run helps nobody."""
        return error.code == DAY_LIMIT


def _count(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
