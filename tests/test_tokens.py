"""Tokens at rest and their refresh: encrypted, refreshed once under concurrency, reconnect on refusal; keys
rotated newest first, and a token no key opens isolated to its connection."""

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.db import upgrade_state
from ledger_sync.state.key_rotation import rotate_keys
from ledger_sync.state.models import Connection
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import (
    UNREADABLE_REASON,
    EncryptionKeyError,
    MissingEncryptionKey,
    StoredTokenProvider,
    TokenCipher,
    UnreadableToken,
    configured_keys,
)

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


def _store_with(url: str, *companies: tuple[int, bytes]) -> tuple[StateStore, list[int]]:
    """A store with a Xero connection per (company, key its tokens are encrypted with)."""
    upgrade_state(url)
    store = StateStore(url)
    tokens = TokenSet("access-0-secret", "refresh-0-secret", NOW + timedelta(hours=1))
    return store, [
        store.connect(company, "xero", f"tenant-{company}", tokens, TokenCipher(key)) for company, key in companies
    ]


def _stored(store: StateStore, connection_id: int) -> tuple[str, str]:
    with store.sessions() as session:
        row = session.get(Connection, connection_id)
        assert row is not None and row.access_token_enc and row.refresh_token_enc
        return row.access_token_enc, row.refresh_token_enc


def test_rotation_reads_old_tokens_then_re_encrypts_them_so_the_old_key_can_go(state_url: str) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    store, (cid,) = _store_with(state_url, (1, old_key))
    old_raw = _stored(store, cid)
    both = TokenCipher(new_key, old_key)
    server = SingleUseAuthServer("refresh-0-secret")
    assert StoredTokenProvider(store.sessions, cid, both, server.refresh, now=lambda: NOW).access_token() == (
        "access-0-secret"
    )
    result = rotate_keys(store.sessions, both)
    assert (result.connections, result.unreadable) == (1, [])
    access, refresh = _stored(store, cid)
    assert access != old_raw[0] and refresh != old_raw[1]
    new_only = TokenCipher(new_key)
    assert (new_only.decrypt(access), new_only.decrypt(refresh)) == ("access-0-secret", "refresh-0-secret")
    with pytest.raises(UnreadableToken):
        TokenCipher(old_key).decrypt(refresh)
    provider = StoredTokenProvider(store.sessions, cid, new_only, server.refresh, now=lambda: NOW)
    assert provider.access_token() == "access-0-secret"
    assert provider.refreshed_access_token("access-0-secret") == "access-1-secret"  # the refresh token opens too
    assert store.connection_by_id(cid).status == "connected"
    store.close()


def test_a_token_no_key_opens_stops_only_its_own_connection(state_url: str) -> None:
    key, lost_key = Fernet.generate_key(), Fernet.generate_key()
    store, (kept, lost) = _store_with(state_url, (1, key), (2, lost_key))
    cipher = TokenCipher(Fernet.generate_key(), key)
    server = SingleUseAuthServer("refresh-0-secret")
    with pytest.raises(LedgerError) as caught:
        StoredTokenProvider(store.sessions, lost, cipher, server.refresh, now=lambda: NOW).access_token()
    assert caught.value.kind is ErrorKind.AUTH and "cannot be decrypted" in str(caught.value)
    assert "secret" not in str(caught.value)
    gone = store.connection_by_id(lost)
    assert (gone.status, gone.status_reason) == ("needs_reconnect", UNREADABLE_REASON)
    assert StoredTokenProvider(store.sessions, kept, cipher, server.refresh, now=lambda: NOW).access_token() == (
        "access-0-secret"
    )
    assert store.connection_by_id(kept).status == "connected"
    store.close()


def test_rotation_marks_an_unreadable_connection_and_rotates_the_others(state_url: str) -> None:
    key = Fernet.generate_key()
    store, (kept, lost) = _store_with(state_url, (1, key), (2, Fernet.generate_key()))
    new_key = Fernet.generate_key()
    result = rotate_keys(store.sessions, TokenCipher(new_key, key))
    assert (result.connections, result.unreadable) == (1, [(2, "xero")])
    assert TokenCipher(new_key).decrypt(_stored(store, kept)[1]) == "refresh-0-secret"
    assert store.connection_by_id(kept).status == "connected"
    gone = store.connection_by_id(lost)
    assert (gone.status, gone.status_reason) == ("needs_reconnect", UNREADABLE_REASON)
    store.close()


def test_one_key_is_a_one_key_list_and_malformed_keys_are_named_never_shown(tmp_path: Path) -> None:
    key, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert configured_keys(Settings(home=tmp_path, encryption_key=SecretStr(key))) == [key.encode()]
    listed = Settings(home=tmp_path, encryption_keys=SecretStr(f" {key} , {other}"))
    assert configured_keys(listed) == [key.encode(), other.encode()]
    for settings, named in (
        (Settings(home=tmp_path, encryption_key=SecretStr("not-a-key")), "LEDGER_SYNC_ENCRYPTION_KEY is not"),
        (Settings(home=tmp_path, encryption_keys=SecretStr(f"{key},not-a-key")), "key 2 of 2 is not"),
        (Settings(home=tmp_path, encryption_keys=SecretStr(f"{key},")), "key 2 of 2 is not"),
    ):
        with pytest.raises(EncryptionKeyError, match=named) as caught:
            TokenCipher.from_settings(settings)
        assert "not-a-key" not in str(caught.value) and key not in str(caught.value)
    both = Settings(home=tmp_path, encryption_key=SecretStr(key), encryption_keys=SecretStr(key))
    with pytest.raises(EncryptionKeyError, match="keep only LEDGER_SYNC_ENCRYPTION_KEYS"):
        configured_keys(both)


def test_the_command_line_reports_a_malformed_key_in_one_line(tmp_path: Path) -> None:
    from ledger_sync.cli import app

    env = {"LEDGER_SYNC_HOME": str(tmp_path), "LEDGER_SYNC_ENCRYPTION_KEY": "not-a-key"}
    for command in (["status"], ["keys", "rotate"], ["web", "--port", "1"]):
        result = CliRunner().invoke(app, command, env=env)
        assert result.exit_code == 2, (command, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert result.output.strip().splitlines() == [
            "LEDGER_SYNC_ENCRYPTION_KEY is not a valid key (32 url-safe base64-encoded bytes); "
            "create one with `ledger-sync keygen`."
        ]
    assert CliRunner().invoke(app, ["keygen"], env=env).exit_code == 0  # making a key needs no key


def test_keys_rotate_re_encrypts_and_says_when_the_old_key_can_go(tmp_path: Path) -> None:
    from ledger_sync.cli import app

    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    url = f"sqlite:///{tmp_path / 'state.db'}"
    store, (cid,) = _store_with(url, (1, old_key))
    env = {
        "LEDGER_SYNC_HOME": str(tmp_path),
        "LEDGER_SYNC_STATE_URL": url,
        "LEDGER_SYNC_ENCRYPTION_KEY": None,
        "LEDGER_SYNC_ENCRYPTION_KEYS": f"{new_key.decode()},{old_key.decode()}",
    }
    result = CliRunner().invoke(app, ["keys", "rotate"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 connection(s)" in result.output and "the older keys can be removed" in result.output
    assert TokenCipher(new_key).decrypt(_stored(store, cid)[1]) == "refresh-0-secret"
    lost, _ = _store_with(f"sqlite:///{tmp_path / 'state.db'}", (2, Fernet.generate_key()))
    lost.close()
    result = CliRunner().invoke(app, ["keys", "rotate"], env=env)
    assert result.exit_code == 1
    assert "Company 2, Xero: no configured key opens its tokens; marked needs reconnect" in result.output
    store.close()


def test_a_commands_help_shows_even_with_a_malformed_key(tmp_path: Path) -> None:
    """--help is read before the key is checked (as the shell runs it: the check reads the real command line)."""
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "LEDGER_SYNC_HOME": str(tmp_path), "LEDGER_SYNC_ENCRYPTION_KEY": "not-a-key"}
    cli = Path(sys.executable).parent / "ledger-sync"
    shown = subprocess.run([cli, "status", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert shown.returncode == 0 and "Usage: ledger-sync status" in shown.stdout, shown.stderr
    refused = subprocess.run([cli, "status"], env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "is not a valid key" in refused.stderr
