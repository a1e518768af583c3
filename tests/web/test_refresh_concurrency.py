"""20 syncs in 2 OS processes while access tokens keep expiring, against Xero's single-use refresh tokens.

Each sync opens the connector the way a run does (`open_ledger`: the real StoredTokenProvider and
XeroOAuth.refresh) and reads the chart. The sandbox's access tokens live 60 sandbox seconds (6 real
seconds at time scale 10, and always inside the 5-minute refresh margin), so nearly every sync refreshes;
a used refresh token dies at once (no grace period). Two processes refreshing the same token would get
`invalid_grant` and the connection would need reconnecting: the cross-process lock must prevent it.
"""

import multiprocessing
import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet

from ledger_sync.onboarding import available_tenants, exchange_authorization, save_connection, start_authorization
from ledger_sync.sandboxes.endpoints import xero_sandbox_env
from ledger_sync.sandboxes.serve import serving
from ledger_sync.settings import Settings
from ledger_sync.state.models import ConnectionStatus
from ledger_sync.state.store import StateStore

SYNCS_PER_PROCESS = 10
REDIRECT_URI = "http://127.0.0.1:9/integrations/accounting/xero/callback"


def sync_repeatedly(env: dict[str, str], syncs: int) -> list[str]:
    """In a fresh process: `syncs` times open the ledger and read its chart; the errors, as text."""
    os.environ.update(env)
    from ledger_sync.core.ledger import LedgerError
    from ledger_sync.ledger_access import open_ledger

    settings = Settings()
    store = StateStore(settings.resolved_state_url)
    errors = []
    try:
        for _ in range(syncs):
            connection = store.connection(1, "xero")
            assert connection is not None
            ledger = open_ledger(settings, store, connection)
            try:
                ledger.list_accounts()
                ledger.list_tax_rates()
            except LedgerError as exc:
                errors.append(repr(exc))
            finally:
                ledger.close()
    finally:
        store.close()
    return errors


def _connect(settings: Settings, store: StateStore) -> None:
    start = start_authorization(settings, "xero")
    redirect = httpx.get(start.url, follow_redirects=False, timeout=30).headers["location"]
    query = parse_qs(urlsplit(redirect).query)
    assert query["state"] == [start.state]
    tokens = exchange_authorization(settings, "xero", query["code"][0], start.code_verifier)
    (tenant_id, _name), *_ = available_tenants(settings, "xero", tokens)
    save_connection(settings, store, 1, "xero", tenant_id, tokens)


def _run(tmp_path: Path, state_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger_sync.sandboxes.xero.app import create_app
    from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

    config = XeroSandboxConfig(
        db_path=tmp_path / "xero-sandbox.db",
        auto_consent=True,
        time_scale=10,
        access_token_ttl=60,
        refresh_grace_seconds=0,
        per_minute=100_000,
        app_per_minute=100_000,
        concurrent=20,
    )
    with serving(create_app(config)) as base_url:
        env = {
            "LEDGER_SYNC_HOME": str(tmp_path),
            "LEDGER_SYNC_STATE_URL": state_url,
            "LEDGER_SYNC_ENCRYPTION_KEY": Fernet.generate_key().decode(),
            **xero_sandbox_env(base_url, config.time_scale),
            "LEDGER_SYNC_XERO_REDIRECT_URI": REDIRECT_URI,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        try:
            _connect(settings, store)
            with multiprocessing.get_context("spawn").Pool(2) as pool:
                outcomes = pool.starmap(sync_repeatedly, [(env, SYNCS_PER_PROCESS)] * 2)
            connection = store.connection(1, "xero")
        finally:
            store.close()
        log = httpx.get(f"{base_url}/_sandbox/requests", timeout=30).json()["requests"]
    refreshes = [entry for entry in log if entry["path"] == "/connect/token"]
    assert outcomes == [[], []]
    assert connection is not None and connection.status == ConnectionStatus.CONNECTED
    assert len(refreshes) > 2 * SYNCS_PER_PROCESS // 2, "the access token must have expired many times"
    assert {entry["status"] for entry in refreshes} == {200}, "a refresh was refused (invalid_grant)"


def test_twenty_syncs_in_two_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_url: str) -> None:
    """On SQLite (the database write lock) and PostgreSQL (SELECT ... FOR UPDATE)."""
    _run(tmp_path, state_url, monkeypatch)
