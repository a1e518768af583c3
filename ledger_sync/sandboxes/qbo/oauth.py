"""Intuit's OAuth 2 endpoints, at their real paths: consent page, token endpoint, revocation.

The consent page (or, with `auto_consent`, an immediate redirect) creates the company on first consent and
sends the browser to `redirect_uri?code=...&state=...&realmId=...`. Clients authenticate to the token and
revoke endpoints by HTTP Basic or, as authlib can, by client_id/client_secret in the form body.
"""

import base64
import binascii
import json
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode

from fastapi import APIRouter, Request
from fastapi.templating import Jinja2Templates
from starlette.responses import JSONResponse, RedirectResponse, Response

from ledger_sync.sandboxes.qbo.chart import COMPANY_NAME
from ledger_sync.sandboxes.qbo.context import Sandbox
from ledger_sync.sandboxes.qbo.tokens import OAuthError

SCOPE = "com.intuit.quickbooks.accounting"
TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _form(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return unquote(client_id), unquote(secret)


def oauth_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter()
    config = sandbox.config

    def refusal(params: dict[str, str]) -> str | None:
        """Why these authorize parameters cannot be served, or None when they can."""
        if params.get("client_id") != config.client_id:
            return "The app (client_id) is not known."
        if params.get("response_type") != "code":
            return "response_type must be code."
        missing = [name for name in ("scope", "redirect_uri", "state") if not params.get(name)]
        if missing:
            return f"Missing parameter(s): {', '.join(missing)}."
        if SCOPE not in params["scope"].split():
            return f"The scope must include {SCOPE}."
        return None

    def error_page(request: Request, reason: str) -> Response:
        return TEMPLATES.TemplateResponse(request, "error.html", {"reason": reason}, status_code=400)

    def consent(params: dict[str, str]) -> RedirectResponse:
        company = sandbox.company(config.realm_id)
        company.create(config.country, config.automated_sales_tax)
        code = sandbox.tokens.issue_code(config.realm_id, params["redirect_uri"])
        query = urlencode({"code": code, "state": params["state"], "realmId": config.realm_id})
        separator = "&" if "?" in params["redirect_uri"] else "?"
        return RedirectResponse(f"{params['redirect_uri']}{separator}{query}", status_code=302)

    @router.get("/connect/oauth2")
    def authorize(request: Request) -> Response:
        params = dict(request.query_params)
        reason = refusal(params)
        if reason:
            return error_page(request, reason)
        if config.auto_consent:
            return consent(params)
        fields = {k: params[k] for k in ("client_id", "response_type", "scope", "redirect_uri", "state")}
        context = {
            "app_name": config.client_id,
            "company": COMPANY_NAME,
            "realm_id": config.realm_id,
            "scope": params["scope"],
            "fields": fields,
        }
        return TEMPLATES.TemplateResponse(request, "consent.html", context)

    @router.post("/connect/oauth2")
    async def connect(request: Request) -> Response:
        params = _form(await request.body())
        reason = refusal(params)
        if reason:
            return error_page(request, reason)
        return consent(params)

    def oauth_error(exc: OAuthError) -> JSONResponse:
        return JSONResponse({"error": exc.error}, status_code=exc.status, headers=NO_STORE)

    def authenticate_client(request: Request, form: dict[str, str]) -> None:
        credentials = _basic_credentials(request) or (form.get("client_id", ""), form.get("client_secret", ""))
        if not sandbox.tokens.client_ok(*credentials):
            raise OAuthError("invalid_client", status=401)

    @router.post("/oauth2/v1/tokens/bearer")
    async def token(request: Request) -> JSONResponse:
        form = _form(await request.body())
        try:
            authenticate_client(request, form)
            grant_type = form.get("grant_type")
            if grant_type == "authorization_code":
                issued = sandbox.tokens.exchange_code(form.get("code", ""), form.get("redirect_uri", ""))
            elif grant_type == "refresh_token":
                issued = sandbox.tokens.refresh(form.get("refresh_token", ""))
            else:
                raise OAuthError("unsupported_grant_type")
        except OAuthError as exc:
            return oauth_error(exc)
        include_hard = request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
        return JSONResponse(issued.wire(include_hard), headers=NO_STORE)

    @router.post("/v2/oauth2/tokens/revoke")
    async def revoke(request: Request) -> Response:
        raw = await request.body()
        if request.headers.get("content-type", "").startswith("application/json"):
            try:
                payload = json.loads(raw or b"{}")
            except ValueError:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            form = {k: str(v) for k, v in payload.items()} if isinstance(payload, dict) else {}
        else:
            form = _form(raw)
        try:
            authenticate_client(request, form)
        except OAuthError as exc:
            return oauth_error(exc)
        if not form.get("token"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        sandbox.tokens.revoke(form["token"])
        return Response(status_code=200)

    return router
