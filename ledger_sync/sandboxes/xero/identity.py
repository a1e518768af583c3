"""Xero's identity service: authorize (consent), token, revocation, and the connections list.

Real Xero serves these from login.xero.com, identity.xero.com and api.xero.com; here one server
answers them all on the real paths, so only the base URLs change.
"""

import base64
import binascii
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ledger_sync.sandboxes.xero import scopes
from ledger_sync.sandboxes.xero.context import Sandbox, sandbox
from ledger_sync.sandboxes.xero.responses import oauth_error, problem, xero_json
from ledger_sync.sandboxes.xero.tokens import GrantError, TokenPair

router = APIRouter()
_templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
_AUTH_FIELDS = ("client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method")


def _redirect(redirect_uri: str, params: dict[str, str]) -> RedirectResponse:
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{separator}{urlencode(params)}", status_code=302)


def _authorize_problem(box: Sandbox, fields: dict[str, str], response_type: str) -> Response | None:
    """Refuse a bad request: unknown client on an error page, other faults back to the redirect URI."""
    if fields["client_id"] != box.config.client_id or not fields["redirect_uri"].startswith(("http://", "https://")):
        return HTMLResponse("<h1>Error</h1><p>unauthorized_client</p>", status_code=400)
    error = None
    if response_type != "code":
        error = "unsupported_response_type"
    elif not fields["scope"].strip() or scopes.refused_at_consent(fields["scope"], box.config.legacy_scopes):
        error = "invalid_scope"
    elif fields["code_challenge"] and fields["code_challenge_method"] != "S256":
        error = "invalid_request"
    return _redirect(fields["redirect_uri"], {"error": error, "state": fields["state"]}) if error else None


def _grant(box: Sandbox, fields: dict[str, str], tenant_ids: list[str]) -> RedirectResponse:
    auth_event_id = str(uuid.uuid4())
    box.tenants.connect(tenant_ids, auth_event_id)
    code = box.tokens.issue_code(
        fields["redirect_uri"], fields["scope"], fields["code_challenge"] or None, auth_event_id
    )
    params = {"code": code, "scope": fields["scope"], "state": fields["state"]}
    return _redirect(fields["redirect_uri"], {key: value for key, value in params.items() if value})


@router.get("/identity/connect/authorize", response_model=None)
def authorize(
    request: Request,
    box: Annotated[Sandbox, Depends(sandbox)],
    client_id: str = "",
    response_type: str = "",
    redirect_uri: str = "",
    scope: str = "",
    state: str = "",
    code_challenge: str = "",
    code_challenge_method: str = "",
) -> Response:
    fields = dict(
        zip(_AUTH_FIELDS, (client_id, redirect_uri, scope, state, code_challenge, code_challenge_method), strict=True)
    )
    refused = _authorize_problem(box, fields, response_type)
    if refused is not None:
        return refused
    organisations = box.tenants.organisations()
    if box.config.auto_consent:
        return _grant(box, fields, [org["id"] for org in organisations])
    context = {"client_id": client_id, "scopes": scope.split(), "organisations": organisations}
    return _templates.TemplateResponse(
        request, "consent.html", {**context, "fields": {**fields, "response_type": response_type}}
    )


@router.post("/identity/connect/authorize", response_model=None)
async def consent(request: Request, box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    form = await _form(request)
    fields = {name: _one(form, name) for name in _AUTH_FIELDS}
    refused = _authorize_problem(box, fields, _one(form, "response_type"))
    if refused is not None:
        return refused
    chosen = [tenant_id for tenant_id in form.get("tenant", []) if box.tenants.exists(tenant_id)]
    if _one(form, "decision") != "allow" or not chosen:
        return _redirect(fields["redirect_uri"], {"error": "access_denied", "state": fields["state"]})
    return _grant(box, fields, chosen)


async def _form(request: Request) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body (parsed here: no multipart dependency needed)."""
    return parse_qs((await request.body()).decode(), keep_blank_values=True)


def _one(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0]


def _client_authenticated(box: Sandbox, request: Request, client_id: str, client_secret: str) -> bool | None:
    """True with a good secret, False for a public (PKCE) client by id alone, None when refused."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, client_secret = base64.b64decode(header[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
    if client_id != box.config.client_id:
        return None
    if not client_secret:
        return False
    return True if client_secret == box.config.client_secret else None


def _token_body(pair: TokenPair, box: Sandbox) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": pair.access_token,
        "expires_in": max(0, round(pair.expires_at - box.clock.seconds())),
        "token_type": "Bearer",
        "scope": pair.scope,
    }
    if "openid" in pair.scope.split():
        body = {"id_token": pair.id_token, **body}
    if "offline_access" in pair.scope.split():
        body["refresh_token"] = pair.refresh_token
    return body


@router.post("/connect/token", response_model=None)
async def token(request: Request, box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    form = await _form(request)
    authenticated = _client_authenticated(box, request, _one(form, "client_id"), _one(form, "client_secret"))
    if authenticated is None:
        return oauth_error("invalid_client")
    grant_type = _one(form, "grant_type")
    try:
        if grant_type == "authorization_code":
            verifier = _one(form, "code_verifier") or None
            pair = box.tokens.exchange_code(_one(form, "code"), _one(form, "redirect_uri"), verifier, authenticated)
        elif grant_type == "refresh_token":
            pair = box.tokens.refresh(_one(form, "refresh_token"))
        else:
            return oauth_error("unsupported_grant_type")
    except GrantError as refused:
        return oauth_error(refused.error)
    return xero_json(_token_body(pair, box), headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.post("/connect/revocation", response_model=None)
async def revocation(request: Request, box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    form = await _form(request)
    if _client_authenticated(box, request, _one(form, "client_id"), _one(form, "client_secret")) is None:
        return oauth_error("invalid_client")
    box.tokens.revoke(_one(form, "token"))
    return Response(status_code=200)


def bearer_problem(box: Sandbox, request: Request) -> Response | None:
    """The 401 Xero gives for a missing, unknown, revoked or expired access token; None if it is live."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("bearer "):
        return problem(401, "AuthenticationUnsuccessful", {"WWW-Authenticate": "Bearer"})
    expires_at = box.tokens.access_expiry(header[7:].strip())
    if expires_at is None:
        return problem(401, "AuthenticationUnsuccessful", {"WWW-Authenticate": "Bearer"})
    if expires_at < box.clock.seconds():
        detail = f"TokenExpired: token expired at {datetime.fromtimestamp(expires_at, UTC):%m/%d/%Y %H:%M:%S}"
        return problem(401, detail, {"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return None


@router.get("/connections", response_model=None)
@router.get("/Connections", response_model=None, include_in_schema=False)
def connections(
    request: Request,
    box: Annotated[Sandbox, Depends(sandbox)],
    auth_event_id: str | None = Query(None, alias="authEventId"),
) -> Response:
    return bearer_problem(box, request) or xero_json(box.tenants.connections(auth_event_id))


@router.delete("/connections/{connection_id}", response_model=None)
@router.delete("/Connections/{connection_id}", response_model=None, include_in_schema=False)
def disconnect(request: Request, box: Annotated[Sandbox, Depends(sandbox)], connection_id: str) -> Response:
    refused = bearer_problem(box, request)
    if refused is not None:
        return refused
    if not box.tenants.disconnect(connection_id):
        return problem(404, "Connection not found")
    return Response(status_code=204)
