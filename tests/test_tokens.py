"""Tokens at rest and their refresh: encrypted, refreshed once under concurrency, reconnect on refusal."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.db import upgrade_state
from ledger_sync.state.models import Connection
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import MissingEncryptionKey, StoredTokenProvider, TokenCipher

NOW = datetime(2026, 5, 1, tzinfo=UTC)


class SingleUseAuthServer:
    """Refresh tokens work once (like Xero's): a second use of the same one is `invalid_grant`."""

    def __init__(self, first_refresh_token: str) -> None:
        self.valid = first_refresh_token
        self.refreshes = 0
        self._lock = threading.Lock()

    def refresh(self, refresh_token: str) -> TokenSet:
        with self._lock:
            if refresh_token != self.valid:
                raise AuthRejected("invalid_grant")
            self.refreshes += 1
            self.valid = f"refresh-{self.refreshes}-secret"
            return TokenSet(f"access-{self.refreshes}-secret", self.valid, NOW + timedelta(hours=1))


def _setup(url: str, expires: datetime) -> tuple[StateStore, int, TokenCipher]:
    upgrade_state(url)
    store = StateStore(url)
    cipher = TokenCipher(Fernet.generate_key())
    cid = store.connect(1, "xero", "tenant", TokenSet("access-0-secret", "refresh-0-secret", expires), cipher)
    return store, cid, cipher


def test_concurrent_refreshes_use_each_single_use_token_once(state_url: str) -> None:
    store, cid, cipher = _setup(state_url, expires=NOW - timedelta(seconds=1))
    server = SingleUseAuthServer("refresh-0-secret")
    results: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        provider = StoredTokenProvider(store.sessions, cid, cipher, server.refresh, now=lambda: NOW)
        try:
            results.append(provider.access_token())
        except (LedgerError, AuthRejected) as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert server.refreshes == 1
    assert set(results) == {"access-1-secret"}
    assert store.connection_by_id(cid).status == "connected"
    store.close()


def test_a_401_refreshes_unless_another_worker_already_did(state_url: str) -> None:
    store, cid, cipher = _setup(state_url, expires=NOW + timedelta(hours=1))
    server = SingleUseAuthServer("refresh-0-secret")
    first = StoredTokenProvider(store.sessions, cid, cipher, server.refresh, now=lambda: NOW)
    second = StoredTokenProvider(store.sessions, cid, cipher, server.refresh, now=lambda: NOW)
    assert first.access_token() == "access-0-secret"
    assert first.refreshed_access_token("access-0-secret") == "access-1-secret"
    assert second.refreshed_access_token("access-0-secret") == "access-1-secret"  # no second refresh
    assert server.refreshes == 1
    store.close()


def test_refused_refresh_marks_the_connection_for_reconnect(state_url: str) -> None:
    store, cid, cipher = _setup(state_url, expires=NOW - timedelta(seconds=1))
    server = SingleUseAuthServer("some-other-token")
    provider = StoredTokenProvider(store.sessions, cid, cipher, server.refresh, now=lambda: NOW)
    with pytest.raises(LedgerError) as caught:
        provider.access_token()
    assert caught.value.kind is ErrorKind.AUTH
    assert "secret" not in str(caught.value)
    assert store.connection_by_id(cid).status == "needs_reconnect"
    store.close()


def test_tokens_are_encrypted_at_rest(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store, _, _ = _setup(url, expires=NOW)
    with store.sessions() as session:
        row = session.scalars(select(Connection)).one()
        assert "secret" not in (row.access_token_enc or "") + (row.refresh_token_enc or "")
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"access-0-secret" not in raw and b"refresh-0-secret" not in raw


def test_token_set_repr_hides_the_secrets() -> None:
    assert "secret" not in repr(TokenSet("access-0-secret", "refresh-0-secret", NOW))


def test_a_key_is_required_outside_demo_mode(tmp_path: Path) -> None:
    with pytest.raises(MissingEncryptionKey, match="LEDGER_SYNC_ENCRYPTION_KEY"):
        TokenCipher.from_settings(Settings(home=tmp_path, demo_mode=False, encryption_key=None))
    demo = TokenCipher.from_settings(Settings(home=tmp_path, demo_mode=True))
    assert demo.decrypt(demo.encrypt("x")) == "x"
    assert (tmp_path / "demo-encryption.key").stat().st_mode & 0o077 == 0
