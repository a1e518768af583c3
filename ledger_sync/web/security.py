"""Who may use the settings pages: one configured admin, a server-side session, CSRF tokens on every form.

The session cookie is signed (itsdangerous via Starlette's SessionMiddleware), not encrypted: it holds
only the session's random id (the session itself is in the state store, see `sessions.py`), the CSRF token
and short notices, never a ledger token or a PKCE verifier.
"""

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import SecretStr

from ledger_sync.settings import Settings
from ledger_sync.web.sessions import AdminSessions

CSRF_FIELD = "csrf_token"


class WebSetupError(RuntimeError):
    """A setting the settings pages cannot run without is missing."""


def session_secret(settings: Settings) -> str:
    """The cookie-signing secret; in demo mode a per-process one (sessions end when the server stops)."""
    if settings.session_secret is not None and settings.session_secret.get_secret_value():
        return settings.session_secret.get_secret_value()
    if settings.demo_mode:
        return secrets.token_urlsafe(32)
    raise WebSetupError(
        "LEDGER_SYNC_SESSION_SECRET is not set: it signs the admin's session cookie. "
        "Set it to a long random value (e.g. `ledger-sync keygen`) and keep it in your secret store."
    )


def admin_password(settings: Settings) -> SecretStr:
    if settings.admin_password is None or not settings.admin_password.get_secret_value():
        raise WebSetupError("LEDGER_SYNC_ADMIN_PASSWORD is not set: the settings pages need an admin credential.")
    return settings.admin_password


class LoginRequired(Exception):
    """Raised by `require_admin`; the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def login_redirect(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return RedirectResponse(f"/login?next={quote(exc.next_path, safe='')}", status_code=303)


def admin_sessions(request: Request) -> AdminSessions:
    """The app's server-side sessions (set up by `create_app`)."""
    sessions: AdminSessions = request.app.state.admin_sessions
    return sessions


def require_admin(request: Request) -> str:
    """Dependency of every page: the signed-in admin's name, or a redirect to the login."""
    admin = admin_sessions(request).current(request)
    if not admin:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return str(admin)


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use; every form carries it in a hidden field."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(token)


def link_token(request: Request, purpose: str) -> str:
    """A token for a GET link that starts something (Connect's popup): derived from the session's CSRF
    token, so a link from another site cannot carry it, and the CSRF token itself never lands in a URL."""
    return hmac.new(csrf_token(request).encode(), purpose.encode(), "sha256").hexdigest()


def valid_link_token(request: Request, purpose: str, given: str) -> bool:
    return bool(request.session.get(CSRF_FIELD)) and hmac.compare_digest(link_token(request, purpose), given)


def require_csrf(request: Request, csrf_token: Annotated[str, Form()] = "") -> None:
    """Dependency of every form POST: refuse (403) a missing or wrong CSRF token."""
    expected = request.session.get(CSRF_FIELD)
    if not expected or not hmac.compare_digest(str(expected), csrf_token):
        raise HTTPException(403, "The form has expired or did not come from this site; reload the page and retry.")
