"""Connecting a company to Xero through the onboarding API against the Xero sandbox: a PKCE consent,
the organisation from `/connections`, a sync-ready connector, and a disconnect that revokes the grant."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledger_sync.demo import connect_with_auto_consent
from ledger_sync.ledger_access import open_ledger
from ledger_sync.onboarding import available_tenants, disconnect, exchange_authorization, start_authorization
from ledger_sync.sandboxes.endpoints import xero_sandbox_env
from ledger_sync.sandboxes.serve import serving
from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher
from tests.waiting import CEILING

pytestmark = pytest.mark.slow


def test_connect_sync_ready_and_disconnect_revokes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(XeroSandboxConfig(db_path=tmp_path / "x.db", auto_consent=True, tenants=2))
    with serving(app) as base_url:
        for key, value in {
            "LEDGER_SYNC_HOME": str(tmp_path),
            "LEDGER_SYNC_DEMO_MODE": "true",
            **xero_sandbox_env(base_url),
        }.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        start = start_authorization(settings, "xero")
        assert start.code_verifier and "code_challenge=" in start.url and start.code_verifier not in start.url
        with pytest.raises(ValueError, match="PKCE"):
            exchange_authorization(settings, "xero", "some-code")
        store = StateStore.open(settings)
        try:
            connection_id = connect_with_auto_consent(settings, store, 1, "xero")
            connection = store.connection(1, "xero")
            assert connection is not None and connection.id == connection_id
            connector = open_ledger(settings, store, connection)
            try:
                assert any(a.type == "undeposited_funds" for a in connector.list_accounts())
            finally:
                connector.close()
            refresh_token = store.refresh_token(connection_id, TokenCipher.from_settings(settings))
            assert refresh_token
            disconnect(settings, store, 1, "xero")
            assert store.refresh_token(connection_id, TokenCipher.from_settings(settings)) is None
        finally:
            store.close()
        refused = httpx.post(
            f"{base_url}/connect/token",
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=("sandbox-client", "sandbox-secret"),
            timeout=CEILING,
        )
        assert refused.json() == {"error": "invalid_grant"}


def test_a_grant_reaching_two_organisations_offers_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(XeroSandboxConfig(db_path=tmp_path / "x.db", auto_consent=True, tenants=2))
    with serving(app) as base_url:
        for key, value in xero_sandbox_env(base_url).items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        start = start_authorization(settings, "xero")
        redirect = httpx.get(start.url, follow_redirects=False, timeout=CEILING)
        code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
        tokens = exchange_authorization(settings, "xero", code, start.code_verifier)
        organisations = httpx.get(f"{base_url}/_sandbox/tenants", timeout=CEILING).json()["tenants"]
        assert sorted(available_tenants(settings, "xero", tokens)) == sorted(
            (org["id"], org["name"]) for org in organisations
        )
        assert available_tenants(settings, "qbo", tokens, "9130") == [("9130", "9130")]
