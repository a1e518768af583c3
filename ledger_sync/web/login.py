"""The login and logout pages: the configured admin credential, compared in constant time, with failed
sign-ins throttled per account and per client address (`throttle.py`).

This is the one place that knows the admin signs in with a password. An identity provider would replace
it with its own routes (redirect to the provider, then a callback that verifies the answer and calls
`AdminSessions.start`); logout, "sign out everywhere", `require_admin` and CSRF stay as they are.
"""

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ledger_sync.settings import Settings
from ledger_sync.web.pages import notify, render
from ledger_sync.web.security import admin_password, admin_sessions, require_admin, require_csrf
from ledger_sync.web.throttle import LoginThrottle, throttle_keys


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect to another host after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _try_again(seconds: int) -> str:
    return f"Too many failed sign-ins: try again in {seconds} s."


def login_router(settings: Settings, throttle: LoginThrottle) -> APIRouter:
    router = APIRouter()
    password = admin_password(settings)

    @router.get("/login")
    def login_page(request: Request, next: str = "/") -> Response:
        return render(request, "login.html", {"next": _safe_next(next), "error": None})

    @router.post("/login", dependencies=[Depends(require_csrf)])
    def login(
        request: Request,
        username: Annotated[str, Form()] = "",
        password_given: Annotated[str, Form(alias="password")] = "",
        next: Annotated[str, Form()] = "/",
    ) -> Response:
        keys = throttle_keys(username, request.client.host if request.client else None)
        context = {"next": _safe_next(next), "error": None}
        if wait := throttle.attempt(keys):  # refused unchecked: a locked-out guess learns nothing
            context["error"] = _try_again(wait)
            refused = render(request, "login.html", context, status_code=429)
            refused.headers["Retry-After"] = str(wait)
            return refused
        user_ok = _equal(username, settings.admin_username)
        if not (_equal(password_given, password.get_secret_value()) and user_ok):
            wait = throttle.wait_seconds(keys)
            context["error"] = "Wrong username or password." + (f" {_try_again(wait)}" if wait else "")
            return render(request, "login.html", context, status_code=401)
        throttle.succeeded(keys)
        admin_sessions(request).start(request, username)
        return RedirectResponse(_safe_next(next), status_code=303)

    @router.post("/logout", dependencies=[Depends(require_csrf)])
    def logout(request: Request) -> Response:
        admin_sessions(request).end(request)
        return RedirectResponse("/login", status_code=303)

    @router.post("/sessions/end-all", dependencies=[Depends(require_admin), Depends(require_csrf)])
    def sign_out_everywhere(request: Request) -> Response:
        """Every admin session ends, this one included (a lost laptop, a shared screen)."""
        admin_sessions(request).end_all()
        request.session.clear()
        notify(request, "ok", "Signed out everywhere: every admin session has ended.")
        return RedirectResponse("/login", status_code=303)

    return router
