"""The HTTP client for one QBO company: auth, minorversion, Fault typing and patient retries.

Every call goes to `{api_base}/v3/company/{realm}` with `minorversion`. A 401 refreshes the token once
through the provider. Throttling and outages are retried with exponential backoff and jitter (or the
server's Retry-After), re-sending the SAME `requestid` so QBO can answer a repeated write with the
original result instead of doing it twice.
"""

import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import httpx

from ledger_sync.connectors.http import JSON_TYPE, LedgerHttpClient
from ledger_sync.connectors.jsonnum import dumps
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.faults import response_error
from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.tokens import TokenProvider


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
    ) -> None:
        super().__init__(config, tokens, http, sleep)
        self._config = config
        self._base = f"{config.api_base.rstrip('/')}/v3/company/{realm_id}"

    def __repr__(self) -> str:
        return f"QboClient({self._base!r}, calls={self._calls})"

    def get(self, path: str) -> dict[str, Any]:
        return self._call("GET", path, {}, None, None)

    def post(self, path: str, body: Mapping[str, Any], *, request_id: str | None = None) -> dict[str, Any]:
        params = {"requestid": request_id} if request_id else {}
        return self._call("POST", path, params, dumps(body).encode(), JSON_TYPE)

    def query(self, statement: str) -> dict[str, Any]:
        """POST rather than GET so long `IN (...)` lists never hit URL length limits."""
        return self._call("POST", "query", {}, statement.encode(), "application/text; charset=utf-8")

    def _call(
        self, method: str, path: str, params: dict[str, str], content: bytes | None, content_type: str | None
    ) -> dict[str, Any]:
        query = {"minorversion": str(self._config.minor_version), **params}
        return self._patiently(partial(self._send, method, path, query, content, content_type))

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
        return self._request(method, f"{self._base}/{path}", query, content, headers)

    def _response_error(self, response: httpx.Response) -> LedgerError:
        return response_error(response)

    def _is_fault(self, body: dict[str, Any]) -> bool:
        """QBO may answer a 2xx whose body is a Fault."""
        return isinstance(body.get("Fault"), dict)
