"""The settings web app over a seeded Service Opus database and a local QBO or Xero sandbox, not yet connected."""

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.sandboxes.endpoints import qbo_sandbox_env, xero_sandbox_env
from ledger_sync.sandboxes.serve import serving
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.web.app import create_app
from tests.stack import TIME_SCALE

ADMIN_USER = "finance-admin"
ADMIN_PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class WebStack:
    ledger: str
    home: Path
    sandbox_url: str
    web_url: str
    settings: Settings
    app: FastAPI

    def store(self) -> StateStore:
        return StateStore(self.settings.resolved_state_url)

    def connection(self) -> ConnectionInfo:
        store = self.store()
        try:
            connection = store.connection(1, self.ledger)
        finally:
            store.close()
        assert connection is not None, f"company 1 is not connected to {self.ledger}"
        return connection

    def sandbox(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.sandbox_url}{path}", timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def _admin_path(self, collection: str) -> str:
        tenant = self.connection().tenant_id
        return f"/_sandbox/{'realms' if self.ledger == 'qbo' else 'tenants'}/{tenant}/{collection}"

    def tax_rate_name(self, ledger_id: str) -> str:
        collection, key = ("TaxCode", "Id") if self.ledger == "qbo" else ("TaxRates", "TaxType")
        rows = self.sandbox("GET", self._admin_path(collection)).json()
        rows = rows[collection] if isinstance(rows, dict) else rows
        return str(next(row["Name"] for row in rows if row[key] == ledger_id))

    def archive_tax_rate(self, ledger_id: str) -> None:
        """Archive it in the ledger, as a user of QBO's or Xero's own UI would."""
        if self.ledger == "qbo":
            self.sandbox("PATCH", f"{self._admin_path('TaxCode')}/{ledger_id}", json={"Active": False})
        else:
            self.sandbox("PATCH", f"{self._admin_path('TaxRates')}/{ledger_id}", json={"Status": "ARCHIVED"})


def _sandbox_app(
    ledger: str, folder: Path, overrides: dict[str, Any]
) -> tuple[ASGIApp, Callable[[str], dict[str, str]]]:
    if ledger == "qbo":
        from ledger_sync.sandboxes.qbo.app import create_app as qbo_app
        from ledger_sync.sandboxes.qbo.config import QboSandboxConfig

        qbo = QboSandboxConfig(db_path=folder / "qbo-sandbox.db", **{"time_scale": TIME_SCALE, **overrides})
        return qbo_app(qbo), lambda url: qbo_sandbox_env(url, qbo.time_scale)
    from ledger_sync.sandboxes.xero.app import create_app as xero_app
    from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

    xero = XeroSandboxConfig(db_path=folder / "xero-sandbox.db", **{"time_scale": TIME_SCALE, **overrides})
    return xero_app(xero), lambda url: xero_sandbox_env(url, xero.time_scale)


@contextmanager
def web_stack(
    tmp: Path, ledger: str = "qbo", *, web_url: str = "http://testserver", **sandbox: Any
) -> Iterator[WebStack]:
    """Seed Service Opus, start the ledger's sandbox (`sandbox` overrides its config) and build the web app."""
    home, provider = tmp / "home", tmp / "provider"
    home.mkdir()
    provider.mkdir()
    engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
    seed(engine, invoices=20, seed=7)
    engine.dispose()
    app, sandbox_env = _sandbox_app(ledger, provider, sandbox)
    with serving(app) as sandbox_url, pytest.MonkeyPatch.context() as env:
        for key, value in {
            "LEDGER_SYNC_HOME": str(home),
            "LEDGER_SYNC_DEMO_MODE": "false",
            "LEDGER_SYNC_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "LEDGER_SYNC_SESSION_SECRET": Fernet.generate_key().decode(),
            "LEDGER_SYNC_ADMIN_USERNAME": ADMIN_USER,
            "LEDGER_SYNC_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "LEDGER_SYNC_WEB_BASE_URL": web_url,
            **sandbox_env(sandbox_url),
            f"LEDGER_SYNC_{ledger.upper()}_REDIRECT_URI": f"{web_url}/integrations/accounting/{ledger}/callback",
        }.items():
            env.setenv(key, value)
        settings = Settings()
        yield WebStack(ledger, home, sandbox_url, web_url, settings, create_app(settings))


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def log_in(client: TestClient) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "next": "/", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def authorize_link(client: httpx.Client, ledger: str = "qbo", company: int = 1) -> str:
    """The Connect link the Accounting tab offers (with its link token)."""
    page = client.get(f"/settings/integrations/accounting?company={company}").text
    link = re.search(rf'href="(/integrations/accounting/{ledger}/authorize\?[^"]+)"', page)
    assert link, f"the page offers no Connect link for {ledger}"
    return html.unescape(link[1])


def connect(client: TestClient, ledger: str = "qbo", company: int = 1) -> httpx.Response:
    """Through the popup's pages without a browser: authorize, the sandbox's instant consent, the callback."""
    start = client.get(authorize_link(client, ledger, company), follow_redirects=False)
    assert start.status_code == 303, start.text
    consent = httpx.get(start.headers["location"], follow_redirects=False, timeout=30)
    assert consent.status_code == 302, consent.text
    callback = httpx.URL(consent.headers["location"])
    return client.get(f"{callback.path}?{callback.query.decode()}", follow_redirects=False)


SELECT = re.compile(r'<select name="([^"]+)".*?</select>', re.S)
SELECTED_OPTION = re.compile(r'<option value="([^"]*)"\s+selected')


def selected_choices(html: str) -> dict[str, str]:
    """The mapping form as the page preselects it: field name -> selected ledger id."""
    choices = {}
    for block in SELECT.finditer(html):
        chosen = SELECTED_OPTION.search(block[0])
        if chosen and chosen[1]:
            choices[block[1]] = chosen[1]
    return choices


def record_issued_tokens(monkeypatch: pytest.MonkeyPatch, into: list[str]) -> None:
    """Append every access and refresh token a sandbox hands the app (QBO's or Xero's OAuth client) to `into`."""
    from ledger_sync.connectors.qbo.auth import QboOAuth
    from ledger_sync.connectors.xero import XeroOAuth
    from ledger_sync.core.tokens import TokenSet

    for oauth in (QboOAuth, XeroOAuth):
        original = oauth._token_set

        def recording(self: object, *args: object, _original: Any = original, **kwargs: object) -> TokenSet:
            result: TokenSet = _original(self, *args, **kwargs)
            into.extend([result.access_token, result.refresh_token])
            return result

        monkeypatch.setattr(oauth, "_token_set", recording)
