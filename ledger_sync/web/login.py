"""The login and logout pages: the configured admin credential, compared in constant time."""

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from ledger_sync.settings import Settings
from ledger_sync.web.pages import render
from ledger_sync.web.security import admin_password, require_csrf


def _safe_next(target: str) -> str:
    """Only same-site paths: never redirect to another host after login."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


def _equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def login_router(settings: Settings) -> APIRouter:
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
        user_ok = _equal(username, settings.admin_username)
        if not (_equal(password_given, password.get_secret_value()) and user_ok):
            context = {"next": _safe_next(next), "error": "Wrong username or password."}
            return render(request, "login.html", context, status_code=401)
        request.session.clear()  # a fresh session (and CSRF token) for the signed-in admin
        request.session["admin"] = username
        return RedirectResponse(_safe_next(next), status_code=303)

    @router.post("/logout", dependencies=[Depends(require_csrf)])
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    return router
