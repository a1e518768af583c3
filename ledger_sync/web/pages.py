"""Rendering: Jinja2 templates with the CSRF token and the notices of the last action filled in."""

from pathlib import Path
from typing import Any, Literal

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ledger_sync.web.security import CSRF_FIELD, csrf_token

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
NOTICES = "notices"


def notify(request: Request, kind: Literal["ok", "error"], text: str) -> None:
    """A one-line notice shown on the next page (after a POST-redirect-GET)."""
    request.session[NOTICES] = [*request.session.get(NOTICES, []), [kind, text]]


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200, *, show_notices: bool = True
) -> HTMLResponse:
    """A page; `show_notices` False leaves the notices for the next page (the popup's opener shows them)."""
    notices = request.session.pop(NOTICES, []) if show_notices else []
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {**context, "csrf_field": CSRF_FIELD, "csrf_token": csrf_token(request), "notices": notices},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )
