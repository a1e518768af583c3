"""Connecting and disconnecting a ledger: the consent popup, the OAuth callback, the organisation picker.

The Connect button opens `/integrations/accounting/{ledger}/authorize` in a popup, which redirects to
the provider's consent page. The provider sends the popup back to the callback with `code` and `state`;
the callback accepts only a `state` this browser session started (single use, server-side), exchanges
the code (with the PKCE verifier for Xero), stores the tokens encrypted, then closes the popup and
reloads the Accounting tab. Nothing the provider hands out is ever written to a page or a log.
"""

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from ledger_sync import onboarding
from ledger_sync.connectors.registry import UnknownLedger, ledger_label, names
from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher
from ledger_sync.web.existing_records import match_on_connect
from ledger_sync.web.pages import notify, render
from ledger_sync.web.pending import PendingAuthorizations
from ledger_sync.web.security import require_admin, require_csrf, valid_link_token

log = logging.getLogger(__name__)
STATES = "oauth_states"
"""Session key: the `state` values this browser started, so a callback cannot be replayed in another session."""
AUTHORIZE = "authorize"
"""The purpose of the Connect link's token."""
PICK = "tenant_pick"
"""Session key: the organisations offered after a Xero consent, and the key of the parked tokens."""


def accounting_url(company_id: int, ledger: str | None = None) -> str:
    return f"/settings/integrations/accounting?company={company_id}" + (f"#{ledger}" if ledger else "")


def connect_router(settings: Settings, store: StateStore) -> APIRouter:
    router = APIRouter(prefix="/integrations/accounting/{ledger}", dependencies=[Depends(require_admin)])
    pending = PendingAuthorizations(store, TokenCipher.from_settings(settings))

    def popup_result(request: Request, company_id: int, status_code: int = 200, error: str | None = None) -> Response:
        """Close the popup and reload the opener; without an opener, go to the Accounting tab."""
        if error is not None:
            notify(request, "error", error)
        context = {"target": accounting_url(company_id), "error": error}
        return render(request, "popup_done.html", context, status_code, show_notices=False)

    def finish(request: Request, company_id: int, ledger: str, tenant: tuple[str, str], tokens: TokenSet) -> None:
        onboarding.save_connection(settings, store, company_id, ledger, tenant[0], tokens)
        log.info("company %s connected to %s (%s)", company_id, ledger, tenant[0])
        notify(request, "ok", f"Connected to {ledger_label(ledger)}: {tenant[1]}.")
        match_on_connect(request, settings, store, company_id, ledger)

    @router.get("/authorize")
    def authorize(request: Request, ledger: str, company: int = 1, token: str = "") -> Response:
        """The popup's first page: remember a fresh `state` and go to the provider's consent page.

        A GET, so it must carry the page's link token: a link from elsewhere starts (and stores) nothing.
        """
        if not valid_link_token(request, AUTHORIZE, token):
            message = "This Connect link has expired or did not come from Settings. Reload Settings and retry."
            return popup_result(request, company, 403, message)
        try:
            start = onboarding.start_authorization(settings, ledger)
        except UnknownLedger:
            return popup_result(request, company, 404, f"{ledger_label(ledger)} is not available in this installation.")
        pending.open(start.state, company, ledger, start.code_verifier)
        request.session[STATES] = [*request.session.get(STATES, [])[-4:], start.state]
        return RedirectResponse(start.url, status_code=303)

    @router.get("/callback")
    def callback(
        request: Request,
        ledger: str,
        state: str = "",
        code: str = "",
        error: str = "",
        realm_id: Annotated[str | None, Query(alias="realmId")] = None,
    ) -> Response:
        started = request.session.get(STATES, [])
        claim = pending.take(state, ledger) if state and state in started else None
        request.session[STATES] = [s for s in started if s != state]
        if claim is None:
            message = "This sign-in is unknown, already used or expired. Close this window and click Connect again."
            return render(request, "popup_done.html", {"target": None, "error": message}, 400, show_notices=False)
        name = ledger_label(ledger)
        if error or not code:
            reason = (
                "consent was declined" if error == "access_denied" else f"the provider answered {error or 'no code'}"
            )
            return popup_result(request, claim.company_id, error=f"{name} was not connected: {reason}.")
        try:
            tokens = onboarding.exchange_authorization(settings, ledger, code, claim.code_verifier)
            offered = onboarding.available_tenants(settings, ledger, tokens, realm_id)
        except (AuthRejected, LedgerError) as exc:
            return popup_result(request, claim.company_id, error=f"{name} was not connected: {exc}")
        if not offered:
            return popup_result(
                request, claim.company_id, error=f"{name} authorised no organisation; nothing connected."
            )
        if len(offered) == 1:
            finish(request, claim.company_id, ledger, offered[0], tokens)
        else:
            key = pending.hold_tokens(claim.company_id, ledger, tokens)
            request.session[PICK] = {"ledger": ledger, "key": key, "tenants": [list(t) for t in offered]}
        return popup_result(request, claim.company_id)

    @router.post("/tenant", dependencies=[Depends(require_csrf)])
    def pick_tenant(
        request: Request, ledger: str, tenant: Annotated[str, Form()], company: Annotated[int, Form()] = 1
    ) -> Response:
        """The admin picked one of the organisations the consent authorised."""
        pick = request.session.pop(PICK, None)
        claim = pending.take(pick["key"], ledger) if pick and pick["ledger"] == ledger else None
        chosen = next((tuple(t) for t in pick["tenants"] if t[0] == tenant), None) if pick else None
        if claim is None or claim.tokens is None or chosen is None:
            notify(request, "error", "That choice has expired. Click Connect again.")
            return RedirectResponse(accounting_url(company, ledger), status_code=303)
        finish(request, claim.company_id, ledger, (chosen[0], chosen[1]), claim.tokens)
        return RedirectResponse(accounting_url(claim.company_id, ledger), status_code=303)

    @router.post("/disconnect", dependencies=[Depends(require_csrf)])
    def disconnect(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        """Revoke the authorisation at the provider and forget the tokens (the mapping is kept)."""
        if ledger not in names():
            notify(request, "error", f"Unknown ledger {ledger!r}.")
            return RedirectResponse(accounting_url(company), status_code=303)
        name = ledger_label(ledger)
        try:
            revoked = onboarding.disconnect(settings, store, company, ledger)
        except LedgerError as exc:
            notify(request, "error", f"{name} could not revoke the authorisation: {exc}")
            return RedirectResponse(accounting_url(company, ledger), status_code=303)
        log.info("company %s disconnected from %s", company, ledger)
        notify(request, "ok", f"Disconnected from {name}. The mapping is kept for a reconnect.")
        if not revoked:
            notify(
                request,
                "error",
                f"The stored {name} authorisation could not be decrypted, so it was not revoked at {name}: "
                f"remove this app from {name}'s connected apps.",
            )
        return RedirectResponse(accounting_url(company, ledger), status_code=303)

    return router
