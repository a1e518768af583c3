"""What stands in front of the accounting API: bearer token and its scopes, `xero-tenant-id`, call limits, a log.

The request log keeps method, path, query (secrets masked), status and tenant, never a token.
"""

from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, urlencode

from fastapi import Request
from fastapi.responses import Response

from ledger_sync.sandboxes.xero import scopes
from ledger_sync.sandboxes.xero.context import Sandbox
from ledger_sync.sandboxes.xero.identity import bearer_problem
from ledger_sync.sandboxes.xero.responses import problem

API_PREFIX = "/api.xro/2.0"
_SECRET_PARAMS = {"code", "code_verifier", "refresh_token", "access_token", "id_token", "token", "client_secret"}
_WRITES = {"PUT", "POST", "PATCH", "DELETE"}

Next = Callable[[Request], Awaitable[Response]]


async def guard_accounting(request: Request, call_next: Next) -> Response:
    if not request.url.path.startswith(API_PREFIX):
        return await call_next(request)
    box: Sandbox = request.app.state.sandbox
    refused = bearer_problem(box, request)
    if refused is not None:
        return refused
    collection = request.url.path.removeprefix(API_PREFIX).strip("/").split("/", 1)[0]
    granted = box.tokens.access_scopes(request.headers["authorization"][7:].strip())
    if not scopes.permits(granted, collection, request.method):
        # Xero's exact answer to a missing scope is not documented; a 403 the client cannot retry is the strict one.
        return problem(403, "AuthorizationUnsuccessful")
    tenant = request.headers.get("xero-tenant-id", "").strip()
    if not tenant or not box.tenants.is_connected(tenant):
        return problem(403, "AuthenticationUnsuccessful")
    request.state.tenant = tenant
    admission = box.limits.admit(tenant)
    if not admission.allowed:
        return problem(429, "Rate limit exceeded", admission.headers)
    try:
        response = await call_next(request)
    finally:
        box.limits.release(tenant)
    response.headers.update(admission.headers)
    return response


def masked_query(raw: str) -> str:
    pairs = parse_qsl(raw, keep_blank_values=True)
    return urlencode([(name, "***" if name.lower() in _SECRET_PARAMS else value) for name, value in pairs])


async def log_requests(request: Request, call_next: Next) -> Response:
    response = await call_next(request)
    if not request.url.path.startswith("/_sandbox"):
        box: Sandbox = request.app.state.sandbox
        box.store.execute(
            "INSERT INTO requests (at, method, path, query, status, write, tenant) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                box.clock.seconds(),
                request.method,
                request.url.path,
                masked_query(request.url.query),
                response.status_code,
                int(request.method in _WRITES),
                request.headers.get("xero-tenant-id"),
            ),
        )
    return response
