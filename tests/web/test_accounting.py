"""The Accounting tab over a live QBO sandbox: connect, map from the live chart, toggle, validate, disconnect."""

import re
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from ledger_sync.connectors.qbo import QboConfig, QboOAuth
from ledger_sync.core.tokens import AuthRejected
from ledger_sync.state.models import ConnectionStatus, PendingAuthorization
from ledger_sync.state.store import ConnectionInfo
from ledger_sync.state.tokens import TokenCipher
from ledger_sync.web.connections import connection_view
from tests.web.stack import WebStack, connect, csrf_of, selected_choices

PAGE = "/settings/integrations/accounting"


def _options(html: str, field: str) -> list[str]:
    """The option labels of one select of the page."""
    block = re.search(rf'<select name="{re.escape(field)}".*?</select>', html, re.S)
    assert block, f"no select {field}"
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r"<option[^>]*>(.*?)</option>", block[0], re.S)]


def _check_state(html: str, title: str) -> str:
    found = re.search(rf'data-check="{title}"\s+data-passed="(\w+)"', html)
    assert found, f"no check {title}"
    return found.group(1)


def test_connect_map_toggle_and_validate(stack: WebStack, client: TestClient) -> None:
    assert connect(client).status_code == 200
    page = client.get(PAGE).text
    assert "Connected to QuickBooks Online" in page
    assert "Suggested from your QuickBooks Online chart" in page
    # Only active accounts of a fitting type; only active tax rates.
    chart = stack.sandbox("GET", f"/_sandbox/realms/{stack.connection().tenant_id}/Account").json()
    chart = chart["Account"] if isinstance(chart, dict) else chart
    liabilities = sorted(a["Name"] for a in chart if a["Active"] and a["Classification"] == "Liability")
    assert _options(page, "account:tax_payment")[1:] == sorted(liabilities, key=str.lower)
    income = {a["Name"] for a in chart if a["Active"] and a["AccountType"] == "Income"}
    assert set(_options(page, "account:sales_income")[1:]) == income

    token = csrf_of(page)
    form = selected_choices(page)
    saved = client.post("/integrations/accounting/qbo/mapping?company=1", data={**form, "csrf_token": token})
    assert "Mapping saved." in saved.text
    assert "Suggested from" not in saved.text
    toggled = client.post(
        "/integrations/accounting/qbo/auto-sync", data={"company": "1", "invoices": "on", "csrf_token": token}
    )
    assert "Automatic Invoice Sync on, Automatic Payment Sync off" in toggled.text
    connection = stack.connection()
    assert (connection.auto_invoice_sync, connection.auto_payment_sync) == (True, False)
    assert _check_state(toggled.text, "Chart mapping") == "yes"
    assert _check_state(toggled.text, "Active connection") == "yes"


def test_a_choice_the_form_did_not_offer_is_not_saved(stack: WebStack, client: TestClient) -> None:
    connect(client)
    page = client.get(PAGE).text
    form = selected_choices(page)
    tax_rate_field = next(name for name in form if name.startswith("tax_rate:"))
    form[tax_rate_field] = "999999"  # not a ledger tax rate
    form["account:tax_payment"] = form["account:sales_income"]  # an income account is no liability
    answer = client.post("/integrations/accounting/qbo/mapping?company=1", data={**form, "csrf_token": csrf_of(page)})
    assert "still missing: Tax Payment Account, " in answer.text
    assert _check_state(answer.text, "Chart mapping") == "no"
    assert "Tax Payment Account is not mapped to a QuickBooks Online account" in answer.text


def test_an_archived_tax_rate_fails_the_chart_check_and_leaves_the_dropdown(
    stack: WebStack, client: TestClient
) -> None:
    connect(client)
    page = client.get(PAGE).text
    form = selected_choices(page)
    client.post("/integrations/accounting/qbo/mapping?company=1", data={**form, "csrf_token": csrf_of(page)})
    field, code_id = next((k, v) for k, v in form.items() if k.startswith("tax_rate:"))
    name = stack.tax_rate_name(code_id)
    stack.archive_tax_rate(code_id)
    page = client.get(PAGE).text
    assert _check_state(page, "Chart mapping") == "yes", "a page load shows the last checks, runs none"
    page = _run_checks(client, page)
    assert _check_state(page, "Chart mapping") == "no"
    assert f"is mapped to &#39;{name}&#39;, which is inactive in QuickBooks Online" in page
    assert f"&#39;{name}&#39; is no longer active in QuickBooks Online: choose another." in page
    assert not any(label.startswith(f"{name} (") for label in _options(page, field))


def _run_checks(client: TestClient, page: str) -> str:
    return client.post("/integrations/accounting/qbo/checks", data={"company": "1", "csrf_token": csrf_of(page)}).text


def _written(stack: WebStack) -> dict[str, bytes]:
    """Every file of the installation but the state database, and the state store's rows that matter."""
    files = {
        str(path): path.read_bytes()
        for path in stack.home.rglob("*")
        if path.is_file() and not path.name.startswith("state.db")
    }
    store = stack.store()
    try:
        with store.sessions() as session:
            pending = session.scalar(select(func.count()).select_from(PendingAuthorization))
    finally:
        store.close()
    return {**files, "pending authorizations": str(pending).encode(), "connection": repr(stack.connection()).encode()}


def test_loading_the_page_writes_nothing(stack: WebStack, client: TestClient) -> None:
    """GETs change nothing: no check runs (no Data Docs), no pending authorization without the page's token."""
    connect(client)
    page = client.get(PAGE).text
    client.post(
        "/integrations/accounting/qbo/mapping?company=1", data={**selected_choices(page), "csrf_token": csrf_of(page)}
    )
    before = _written(stack)
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    forged = client.get("/integrations/accounting/qbo/authorize?company=1", follow_redirects=False)
    assert forged.status_code == 403 and "did not come from Settings" in forged.text
    forged = client.get("/integrations/accounting/qbo/authorize?company=1&token=guess", follow_redirects=False)
    assert forged.status_code == 403
    assert _written(stack) == before


def _refresh_token(stack: WebStack) -> str:
    store = stack.store()
    try:
        token = store.refresh_token(stack.connection().id, TokenCipher.from_settings(stack.settings))
    finally:
        store.close()
    assert token
    return token


def test_disconnect_revokes_the_authorisation(stack: WebStack, client: TestClient) -> None:
    connect(client)
    refresh_token = _refresh_token(stack)
    page = client.get(PAGE).text
    answer = client.post("/integrations/accounting/qbo/disconnect", data={"company": "1", "csrf_token": csrf_of(page)})
    assert "Disconnected from QuickBooks Online" in answer.text
    assert stack.connection().status == ConnectionStatus.DISCONNECTED
    with closing(QboOAuth(QboConfig.from_settings(stack.settings))) as oauth, pytest.raises(AuthRejected):
        oauth.refresh(refresh_token)
    assert "Connect to QuickBooks Online" in answer.text


def test_disconnect_works_when_the_provider_already_forgot_the_token(stack: WebStack, client: TestClient) -> None:
    connect(client)
    with closing(QboOAuth(QboConfig.from_settings(stack.settings))) as oauth:
        oauth.revoke(_refresh_token(stack))  # revoked elsewhere, e.g. from the QuickBooks app list
    page = client.get(PAGE).text
    answer = client.post("/integrations/accounting/qbo/disconnect", data={"company": "1", "csrf_token": csrf_of(page)})
    assert "Disconnected from QuickBooks Online" in answer.text
    assert stack.connection().status == ConnectionStatus.DISCONNECTED


@pytest.mark.parametrize("sandbox_config", [{"auto_consent": True, "access_token_ttl": 120}])
def test_a_refused_refresh_shows_needs_reconnect(stack: WebStack, client: TestClient) -> None:
    """Access tokens shorter than the refresh margin: every page load refreshes, until the grant is revoked."""
    connect(client)
    refresh_token = _refresh_token(stack)
    with closing(QboOAuth(QboConfig.from_settings(stack.settings))) as oauth:
        oauth.revoke(refresh_token)
    page = _run_checks(client, client.get(PAGE).text)
    assert 'data-testid="status">Needs reconnect<' in page
    assert "Reconnect QuickBooks Online" in page
    assert _check_state(page, "Active connection") == "no"
    assert _check_state(page, "Chart mapping") == "skipped"
    assert "The QuickBooks Online connection status is &#39;needs_reconnect&#39;" in page


def _info(ledger: str, expires: datetime | None) -> ConnectionInfo:
    return ConnectionInfo(1, 1, ledger, "t", "connected", True, expires, False, False)


def test_expiry_warnings_two_weeks_ahead() -> None:
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert connection_view("qbo", _info("qbo", now + timedelta(days=15)), now).warning is None
    assert connection_view("qbo", _info("qbo", None), now).warning is None
    qbo = connection_view("qbo", _info("qbo", now + timedelta(days=9, hours=1)), now).warning
    assert qbo == (
        "The QuickBooks Online authorisation expires on 03 Dec 2026 (in 9 days). "
        "Reconnect QuickBooks Online before then to keep syncing."
    )
    xero = connection_view("xero", _info("xero", now + timedelta(days=3, hours=1)), now).warning
    assert xero is not None and xero.startswith("Xero disconnects apps that go unused for 60 days")
    expired = connection_view("qbo", _info("qbo", now - timedelta(days=1)), now).warning
    assert (
        expired
        == "The QuickBooks Online authorisation expired on 23 Nov 2026. Reconnect QuickBooks Online to keep syncing."
    )


def test_a_tax_rate_service_opus_holds_unreadable_is_named_not_a_server_error(
    stack: WebStack, client: TestClient
) -> None:
    from sqlalchemy import text

    from ledger_sync.state.db import make_engine

    engine = make_engine(stack.settings.resolved_source_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE tax_rates SET rate = 'n/a', active = 0 WHERE id = (SELECT max(id) FROM tax_rates)"))
    engine.dispose()
    connect(client)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "has a value the sync cannot read: rate &#39;n/a&#39; is not a number" in page.text


def test_the_last_reconciliation_is_shown_and_reading_the_page_runs_nothing(
    stack: WebStack, client: TestClient
) -> None:
    from decimal import Decimal

    from ledger_sync.core.bank_balances import BankBalance
    from ledger_sync.core.reconciliation import Difference, DifferenceKind, Receivable, Reconciliation
    from ledger_sync.core.records import EntityType
    from ledger_sync.state.reconciliations import save_reconciliation

    assert connect(client).status_code == 200
    assert "Not reconciled yet." in client.get(PAGE).text
    missing = Difference(
        DifferenceKind.MISSING, EntityType.INVOICE, 7, "INV-7", None, None, None, "re-queued, the next sync enters it"
    )
    result = Reconciliation(
        1,
        "qbo",
        datetime(2026, 5, 1, 6, 0, tzinfo=UTC),
        3,
        2,
        [missing],
        [Receivable("5", Decimal("9.50"), Decimal(0))],
        bank_balances=[BankBalance("35", "Card Clearing", Decimal("12.40"), Decimal("12.40"))],
    )
    save_reconciliation(stack.settings, result)
    files = sorted((stack.home / "reconciliations").iterdir())
    page = client.get(PAGE).text
    assert 'data-equal="no"' in page and "1 differences" in page
    assert "INV-7" in page and "re-queued, the next sync enters it" in page
    assert "Accounts receivable: Service Opus 9.50, ledger 0" in page
    assert "Bank account Card Clearing: Service Opus 12.40, ledger 12.40." in page
    assert sorted((stack.home / "reconciliations").iterdir()) == files
