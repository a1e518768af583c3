"""The request log the tests and the demo read back: what was called, with what outcome, and whether it wrote.

Query strings are kept (with `requestid`) but any token-like parameter is dropped; headers are never kept.
The sandbox's own `/_sandbox/` calls are not logged.
"""

import json
import re
from urllib.parse import parse_qsl, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo.store import Store
from ledger_sync.sandboxes.qbo.wire import qbo_time

SECRET_PARAMETERS = frozenset({"code", "token", "access_token", "refresh_token", "client_secret", "id_token"})
WRITE_PATH = re.compile(r"^/v3/company/[^/]+/(?!query$)[A-Za-z]+/?$")
"""POSTs here create or update entities (single or batch); `query` is a read."""
BATCH_PATH = re.compile(r"^/v3/company/[^/]+/batch/?$")


def writes(method: str, path: str, body: bytes) -> bool:
    """Whether a request may have written: a POST to an entity or `batch`, but a batch whose items are all `Query`
    items (a `BatchItemRequest` may be one: IntuitRestServiceDef.xsd), which only reads. A body that cannot be
    read as such counts as a write."""
    if method != "POST" or WRITE_PATH.match(path) is None:
        return False
    if BATCH_PATH.match(path) is None:
        return True
    try:
        items = json.loads(body).get("BatchItemRequest")
    except (ValueError, AttributeError):
        return True
    return not (
        isinstance(items, list) and items and all(isinstance(i, dict) and set(i) == {"bId", "Query"} for i in items)
    )


def scrubbed(query_string: str) -> str:
    pairs = parse_qsl(query_string, keep_blank_values=True)
    return urlencode([(k, v) for k, v in pairs if k.lower() not in SECRET_PARAMETERS])


class RequestLogMiddleware:
    def __init__(self, app: ASGIApp, store: Store, clock: ScaledClock) -> None:
        self._app = app
        self._store = store
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox/"):
            await self._app(scope, receive, send)
            return
        status = 500
        body: list[bytes] = []

        async def receiving() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                body.append(message.get("body", b""))
            return message

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self._app(scope, receiving, capture)
        finally:
            path, method = scope["path"], scope["method"]
            query = scrubbed(scope.get("query_string", b"").decode("latin-1"))
            write = writes(method, path, b"".join(body))
            await run_in_threadpool(
                self._store.log_request, qbo_time(self._clock.now()), method, path, query, status, write
            )
