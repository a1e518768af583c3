"""The settings page across a key rotation and with a token no key opens: every other connection and page
keeps working, the unreadable one says why it needs reconnecting, and Disconnect still works."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from pydantic import SecretStr
from typer.testing import CliRunner

from ledger_sync.cli import app as cli
from ledger_sync.core.tokens import TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.models import Connection
from ledger_sync.state.tokens import UNREADABLE_REASON, TokenCipher, UnreadableToken
from ledger_sync.web.app import create_app
from tests.web.stack import WebStack, connect, csrf_of, log_in, selected_choices

PAGE = "/settings/integrations/accounting?company=1"
STATUS = re.compile(r'<span class="badge [a-z_]+" data-testid="status">([^<]+)</span>')


def _with_keys(stack: WebStack, keys: str) -> Settings:
    return stack.settings.model_copy(update={"encryption_key": None, "encryption_keys": SecretStr(keys)})


def _qbo_works(settings: Settings) -> None:
    """Signed in on an app with these keys, the QBO panel is connected and its mapping form is filled from the
    live chart (the stored tokens opened)."""
    with TestClient(create_app(settings)) as browser:
        log_in(browser)
        page = browser.get(PAGE)
    assert page.status_code == 200
    assert STATUS.findall(page.text)[0] == "Connected"
    assert selected_choices(page.text), "the QBO chart was not read"


def _stored_refresh_token(stack: WebStack) -> str:
    store = stack.store()
    try:
        with store.sessions() as session:
            row = session.get(Connection, stack.connection().id)
            assert row is not None and row.refresh_token_enc
            return row.refresh_token_enc
    finally:
        store.close()


def test_rotating_the_key_keeps_the_connection_connected(stack: WebStack, client: TestClient) -> None:
    assert connect(client).status_code == 200
    assert stack.settings.encryption_key is not None
    old, new = stack.settings.encryption_key.get_secret_value(), Fernet.generate_key().decode()
    _qbo_works(_with_keys(stack, f"{new},{old}"))  # the new key in front: the old tokens still open
    rotated = CliRunner().invoke(
        cli, ["keys", "rotate"], env={"LEDGER_SYNC_ENCRYPTION_KEY": None, "LEDGER_SYNC_ENCRYPTION_KEYS": f"{new},{old}"}
    )
    assert rotated.exit_code == 0, rotated.output
    stored = _stored_refresh_token(stack)
    TokenCipher(new.encode()).decrypt(stored)
    with pytest.raises(UnreadableToken):
        TokenCipher(old.encode()).decrypt(stored)
    _qbo_works(_with_keys(stack, new))  # the old key removed
    assert stack.connection().status == "connected"


def test_a_token_no_key_opens_is_isolated_to_its_connection(stack: WebStack, client: TestClient) -> None:
    assert connect(client).status_code == 200
    store = stack.store()
    try:  # a Xero connection whose tokens were written under a key this installation no longer has
        tokens = TokenSet("access-secret", "refresh-secret", datetime.now(UTC) + timedelta(hours=1))
        store.connect(1, "xero", "tenant-x", tokens, TokenCipher(Fernet.generate_key()))
    finally:
        store.close()
    page = client.get(PAGE)
    assert page.status_code == 200
    assert STATUS.findall(page.text) == ["Connected", "Needs reconnect"]
    assert selected_choices(page.text), "the QBO panel lost its chart"
    assert f"{UNREADABLE_REASON} Reconnect to resume syncing." in page.text
    assert "secret" not in page.text
    disconnected = client.post(
        "/integrations/accounting/xero/disconnect",
        data={"company": "1", "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert disconnected.status_code == 303
    after = client.get(PAGE)
    assert "Disconnected from Xero." in after.text
    assert "could not be decrypted, so it was not revoked at Xero" in after.text
    assert STATUS.findall(after.text) == ["Connected", "Not connected"]
    assert stack.connection().status == "connected"
