"""On a time-scaled vendor clock (a sandbox at 120x) a token's lifetime is read on that clock (and the refresh
margin shrinks with it, `ledger_access.open_ledger`): the token is refreshed before the vendor would answer 401."""

from datetime import UTC, datetime, timedelta

import httpx

from ledger_sync.connectors.xero import XeroOAuth
from ledger_sync.settings import Settings

from .conftest import make_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
TOKENS = {"access_token": "at-SECRET", "refresh_token": "rt-SECRET-2", "expires_in": 1800, "token_type": "Bearer"}


def test_a_sandbox_at_120x_issues_a_thirty_minute_token_that_lives_fifteen_real_seconds() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(200, json=TOKENS))
    oauth = XeroOAuth(make_config(clock_scale=120.0), transport=answer, now=lambda: NOW)
    tokens = oauth.refresh("rt-SECRET-1")
    assert tokens.access_expires_at == NOW + timedelta(seconds=15)
    assert tokens.refresh_expires_at == NOW + timedelta(days=60) / 120


def test_the_sandbox_settings_tell_the_connector_its_clock_and_the_real_ledgers_keep_theirs() -> None:
    from ledger_sync.sandboxes.endpoints import qbo_sandbox_env, xero_sandbox_env

    assert Settings.model_fields["vendor_clock_scale"].default == 1.0
    for env in (qbo_sandbox_env("http://127.0.0.1:1", 120.0), xero_sandbox_env("http://127.0.0.1:1", 120.0)):
        assert env["LEDGER_SYNC_VENDOR_CLOCK_SCALE"] == "120.0"
