"""The HTTP client for one QBO company: auth, minorversion, Fault typing, pacing and patient retries.

Every call goes to `{api_base}/v3/company/{realm}` with `minorversion`. A 401 refreshes the token once
through the provider. Calls are paced under QBO's per-realm limits (10/s, 500/min, 40 batch calls/min),
shared by all of the process's clients of the realm, so a backfill rarely meets a 429; a 429 (QBO sends
no Retry-After) is waited out for a minute, as Intuit asks, and re-sent with the SAME `requestid`. Read
outages are retried with backoff; a write whose outcome is unknown is not resent (see `connectors.http`).
"""

import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import httpx

from ledger_sync.connectors.http import JSON_TYPE, LedgerHttpClient
from ledger_sync.connectors.jsonnum import dumps
from ledger_sync.connectors.pacing import RateLimit, shared_pacer
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.faults import response_error
from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.tokens import TokenProvider

BATCH_LIMIT = 30
"""Operations per `/batch` call (Intuit's limit)."""


def batch_request(operations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A `/batch` body: each operation an item, its `bId` its place in `operations`."""
    return {"BatchItemRequest": [{"bId": str(index), **operation} for index, operation in enumerate(operations)]}


def batch_answers(response: Mapping[str, Any], count: int) -> list[dict[str, Any] | None]:
    """The answers to a `batch_request` of `count` operations, in their order (matched by `bId`, as QBO may answer
    in any order); None where QBO answered none."""
    items = [item for item in response.get("BatchItemResponse") or [] if isinstance(item, dict)]
    by_bid = {str(item.get("bId")): item for item in items}
    return [by_bid.get(str(index)) for index in range(count)]


class QboClient(LedgerHttpClient):
    vendor = "QBO"

    def __init__(
        self,
        config: QboConfig,
        realm_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(config, tokens, http, sleep, monotonic)
        self.writes_sent = 0
        """Writes posted so far (see `read_ahead.ReadAhead`)."""
        self._config = config
        self._base = f"{config.api_base.rstrip('/')}/v3/company/{realm_id}"
        minute = config.minute_seconds
        realm = (config.api_base, realm_id)  # QBO's limits are per realm: its clients in this process share them
        self._pacers = [
            shared_pacer(realm, RateLimit(config.calls_per_second, minute / 60), monotonic, sleep),
            shared_pacer(realm, RateLimit(config.calls_per_minute, minute), monotonic, sleep),
        ]
        self._batch_pacer = shared_pacer(realm, RateLimit(config.batch_calls_per_minute, minute), monotonic, sleep)

    def __repr__(self) -> str:
        return f"QboClient({self._base!r}, calls={self._calls})"

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, {}, None, None, write=False)

    def post(
        self,
        path: str,
        body: Mapping[str, Any],
        *,
        request_id: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """A write (an entity or a `batch`); `params` such as `operation=void`."""
        query = {**(params or {}), **({"requestid": request_id} if request_id else {})}
        self.writes_sent += 1
        return self._call("POST", path, query, dumps(body).encode(), JSON_TYPE, write=True)

    def query(self, statement: str) -> dict[str, Any]:
        """POST rather than GET so long `IN (...)` lists never hit URL length limits."""
        return self._call("POST", "query", {}, statement.encode(), "application/text; charset=utf-8", write=False)

    def queries(self, statements: Sequence[str]) -> list[dict[str, Any] | None]:
        """Several queries in one `/batch` call (a batch item may be a `Query`: `BatchItemRequest` in
        IntuitRestServiceDef.xsd), sent as a read (nothing is written: retried like one); each one's answer in order,
        shaped as `query`'s, or None where QBO answered that item with a Fault of its own."""
        if len(statements) > BATCH_LIMIT:
            raise ValueError(f"{len(statements)} queries exceed QBO's batch limit of {BATCH_LIMIT}")
        body = dumps(batch_request([{"Query": statement} for statement in statements])).encode()
        answer = self._call("POST", "batch", {}, body, JSON_TYPE, write=False)
        found = [(item or {}).get("QueryResponse") for item in batch_answers(answer, len(statements))]
        return [{"QueryResponse": response} if isinstance(response, dict) else None for response in found]

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        content: bytes | None,
        content_type: str | None,
        *,
        write: bool,
    ) -> dict[str, Any]:
        query = {"minorversion": str(self._config.minor_version), **params}
        return self._patiently(partial(self._send, method, path, query, content, content_type, write), write=write)

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        content: bytes | None,
        content_type: str | None,
        write: bool,
        token: str,
    ) -> httpx.Response:
        headers = {"Accept": JSON_TYPE, "Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        pacers = [*self._pacers, self._batch_pacer] if path == "batch" else self._pacers
        for pacer in pacers:
            pacer.wait_turn()
        try:
            return self._request(method, f"{self._base}/{path}", query, content, headers, write=write)
        finally:
            for pacer in pacers:
                pacer.done()

    def _response_error(self, response: httpx.Response) -> LedgerError:
        return response_error(response)

    def _is_fault(self, body: dict[str, Any]) -> bool:
        """QBO may answer a 2xx whose body is a Fault."""
        return isinstance(body.get("Fault"), dict)
