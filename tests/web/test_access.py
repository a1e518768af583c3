"""Only the admin gets in, every form needs its CSRF token, and an OAuth callback needs its own `state`."""

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger_sync.settings import Settings
from ledger_sync.web.app import create_app
from ledger_sync.web.security import WebSetupError
from tests.web.stack import ADMIN_PASSWORD, ADMIN_USER, WebStack, authorize_link, connect, csrf_of, log_in

PAGE = "/settings/integrations/accounting"


@pytest.mark.parametrize(
    "path",
    [
        PAGE,
        f"{PAGE}?company=2",
        "/",
        "/reports/index.html",
        "/integrations/accounting/qbo/authorize",
        "/integrations/accounting/qbo/callback?state=x&code=y",
    ],
)
def test_pages_without_login_redirect_to_the_login(stack: WebStack, path: str) -> None:
    with TestClient(stack.app) as anonymous:
        response = anonymous.get(path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert httpx.URL(response.headers["location"]).params["next"] == path


def test_wrong_password_is_refused_and_next_stays_on_this_site(stack: WebStack) -> None:
    with TestClient(stack.app) as browser:
        token = csrf_of(browser.get("/login").text)
        wrong = browser.post(
            "/login", data={"username": ADMIN_USER, "password": "guess", "csrf_token": token}, follow_redirects=False
        )
        assert wrong.status_code == 401
        assert "Wrong username or password" in wrong.text
        assert browser.get(PAGE, follow_redirects=False).status_code == 303
        right = browser.post(
            "/login",
            data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "next": "//evil.example/", "csrf_token": token},
            follow_redirects=False,
        )
        assert right.status_code == 303
        assert right.headers["location"] == "/"
        assert browser.get(PAGE).status_code == 200


FORMS = [
    "/login",
    "/logout",
    "/integrations/accounting/qbo/mapping?company=1",
    "/integrations/accounting/qbo/auto-sync",
    "/integrations/accounting/qbo/disconnect",
    "/integrations/accounting/qbo/tenant",
    "/integrations/accounting/qbo/reconcile",
    "/sessions/end-all",
]


def test_form_posts_without_the_csrf_token_are_refused(stack: WebStack, client: TestClient) -> None:
    assert connect(client).status_code == 200
    for path in FORMS:
        for token in (None, "forged"):
            data = {"company": "1", "invoices": "on", "payments": "on", "tenant": stack.connection().tenant_id}
            if token is not None:
                data["csrf_token"] = token
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, (path, token)
    store = stack.store()
    try:
        connection = store.connection(1, "qbo")
        assert connection is not None and connection.status == "connected"
        assert not connection.auto_invoice_sync and not connection.auto_payment_sync
    finally:
        store.close()
    assert client.get(PAGE, follow_redirects=False).status_code == 200  # still signed in


def _consent_redirect(client: TestClient) -> httpx.URL:
    start = client.get(authorize_link(client), follow_redirects=False)
    consent = httpx.get(start.headers["location"], follow_redirects=False, timeout=30)
    return httpx.URL(consent.headers["location"])


def _callback(client: TestClient, url: httpx.URL, **params: str | None) -> httpx.Response:
    query = {k: v for k, v in {**dict(url.params), **params}.items() if v is not None}
    return client.get(url.path, params=query, follow_redirects=False)


def test_callback_with_a_wrong_or_missing_state_is_refused_and_connects_nothing(
    stack: WebStack, client: TestClient
) -> None:
    redirect = _consent_redirect(client)
    for state in (None, "", "not-the-state"):
        response = _callback(client, redirect, state=state)
        assert response.status_code == 400
        assert "unknown, already used or expired" in response.text
    store = stack.store()
    try:
        assert store.connection(1, "qbo") is None
    finally:
        store.close()


def test_state_is_single_use_and_bound_to_the_session_that_started_it(stack: WebStack, client: TestClient) -> None:
    redirect = _consent_redirect(client)
    with TestClient(stack.app) as other_admin:
        log_in(other_admin)
        assert _callback(other_admin, redirect).status_code == 400
    fresh = _consent_redirect(client)
    assert _callback(client, fresh).status_code == 200
    assert _callback(client, fresh).status_code == 400  # replayed


def test_missing_settings_stop_the_app_at_startup(stack: WebStack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEDGER_SYNC_ADMIN_PASSWORD")
    with pytest.raises(WebSetupError, match="LEDGER_SYNC_ADMIN_PASSWORD"):
        create_app(Settings())
    monkeypatch.setenv("LEDGER_SYNC_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.delenv("LEDGER_SYNC_SESSION_SECRET")
    with pytest.raises(WebSetupError, match="LEDGER_SYNC_SESSION_SECRET"):
        create_app(Settings())
    monkeypatch.setenv("LEDGER_SYNC_DEMO_MODE", "true")
    create_app(Settings())


def test_the_web_command_explains_a_missing_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ledger_sync.cli import app

    monkeypatch.setenv("LEDGER_SYNC_HOME", str(tmp_path))
    monkeypatch.delenv("LEDGER_SYNC_ADMIN_PASSWORD", raising=False)
    monkeypatch.setenv("LEDGER_SYNC_DEMO_MODE", "true")
    result = CliRunner().invoke(app, ["web", "--port", "1"])
    assert result.exit_code == 2
    assert "LEDGER_SYNC_ADMIN_PASSWORD is not set" in result.output


@pytest.mark.parametrize("path", ["/login", PAGE, "/reports/index.html", "/static/settings.js", "/no-such-page"])
def test_every_answer_refuses_framing_and_the_reports_run_no_script(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    headers = response.headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = [part.strip() for part in headers["content-security-policy"].split(";")]
    assert "frame-ancestors 'none'" in policy
    if path.startswith("/reports/"):
        assert "sandbox" in policy and "script-src 'none'" in policy
    else:
        assert "script-src 'self'" in policy and not any("unsafe" in part for part in policy)
