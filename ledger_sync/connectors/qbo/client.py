"""The HTTP client for one QBO company: auth, minorversion, Fault typing and patient retries.

Every call goes to `{api_base}/v3/company/{realm}` with `minorversion`. A 401 refreshes the token once
through the provider. Throttling and outages are retried with exponential backoff and jitter (or the
server's Retry-After), re-sending the SAME `requestid` so QBO can answer a repeated write with the
original result instead of doing it twice.
"""

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from ledger_sync.connectors.auth import AuthRejected, TokenProvider
from ledger_sync.connectors.http import backoff_delay
from ledger_sync.connectors.jsonnum import dumps, loads
from ledger_sync.connectors.ledger import ErrorKind, LedgerError
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.faults import response_error

RETRIED_KINDS = frozenset({ErrorKind.THROTTLED, ErrorKind.UNAVAILABLE})
JSON_TYPE = "application/json"


class QboClient:
    def __init__(
        self,
        config: QboConfig,
        realm_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._base = f"{config.api_base.rstrip('/')}/v3/company/{realm_id}"
        self._tokens = tokens
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=config.timeout_seconds)
        self._sleep = sleep
        self._random = random.Random()
        self._calls = 0

    def __repr__(self) -> str:
        return f"QboClient({self._base!r}, calls={self._calls})"

    @property
    def calls(self) -> int:
        """HTTP requests sent to the API so far, retries included."""
        return self._calls

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, {}, None, None)

    def post(self, path: str, body: Mapping[str, Any], *, request_id: str | None = None) -> dict[str, Any]:
        params = {"requestid": request_id} if request_id else {}
        return self._call("POST", path, params, dumps(body).encode(), JSON_TYPE)

    def query(self, statement: str) -> dict[str, Any]:
        """POST rather than GET so long `IN (...)` lists never hit URL length limits."""
        return self._call("POST", "query", {}, statement.encode(), "application/text; charset=utf-8")

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def _call(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, content_type: str | None
    ) -> dict[str, Any]:
        query = {"minorversion": str(self._config.minor_version), **params}
        token = self._tokens.access_token()
        refreshed = False
        attempt = 1
        while True:
            try:
                response = self._send(method, path, query, content, content_type, token)
            except httpx.TransportError as exc:
                error = LedgerError(ErrorKind.UNAVAILABLE, f"QBO unreachable or timed out: {type(exc).__name__}")
            else:
                if response.status_code == 401:
                    if refreshed:
                        raise LedgerError(ErrorKind.AUTH, "QBO refused a freshly refreshed access token", code="401")
                    token = self._refreshed(token)
                    refreshed = True
                    continue
                body_or_error = _body_or_error(response)
                if not isinstance(body_or_error, LedgerError):
                    return body_or_error
                error = body_or_error
            if error.kind not in RETRIED_KINDS or attempt >= self._config.max_attempts:
                raise error
            self._sleep(self._delay(attempt, error.retry_after))
            attempt += 1

    def _send(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        content: bytes | None,
        content_type: str | None,
        token: str,
    ) -> httpx.Response:
        headers = {"Accept": JSON_TYPE, "Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        self._calls += 1
        return self._http.request(method, f"{self._base}/{path}", params=query, content=content, headers=headers)

    def _refreshed(self, rejected: str) -> str:
        try:
            return self._tokens.refreshed_access_token(rejected)
        except AuthRejected as exc:
            raise LedgerError(ErrorKind.AUTH, "QBO connection needs reconnecting: refresh was refused") from exc

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
    if not isinstance(body, dict) or isinstance(body.get("Fault"), dict):
        return response_error(response)
    return body
