"""Tokens at rest: encrypted with Fernet, refreshed one at a time per connection across processes.

The refresh takes a row lock on the connection (SELECT ... FOR UPDATE on PostgreSQL; the database
write lock on SQLite), re-reads the tokens, and refreshes only if no other worker already did. The
rotated refresh token is committed before the new access token is handed out, so a crash can never
lose it.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.models import Connection, ConnectionStatus

REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh an access token this long before it expires, so no request goes out with a dying token."""


class MissingEncryptionKey(RuntimeError):
    pass


class TokenCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenCipher":
        """The configured key; in demo mode a key file in `home` is created on first use."""
        if settings.encryption_key is not None:
            return cls(settings.encryption_key.get_secret_value().encode())
        if not settings.demo_mode:
            raise MissingEncryptionKey(
                "LEDGER_SYNC_ENCRYPTION_KEY is not set: tokens are encrypted at rest and need a key. "
                "Create one with `ledger-sync keygen` and keep it in your secret store."
            )
        return cls(_demo_key(settings.home / "demo-encryption.key"))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise MissingEncryptionKey("stored tokens cannot be decrypted with the configured key") from exc


def _demo_key(path: Path) -> bytes:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
    return path.read_bytes().strip()


def store_tokens(connection: Connection, tokens: TokenSet, cipher: TokenCipher) -> None:
    connection.access_token_enc = cipher.encrypt(tokens.access_token)
    connection.refresh_token_enc = cipher.encrypt(tokens.refresh_token)
    connection.access_expires_at = tokens.access_expires_at
    connection.refresh_expires_at = tokens.refresh_expires_at
    connection.status = ConnectionStatus.CONNECTED


class StoredTokenProvider:
    """`TokenProvider` over a connection row; `refresher` exchanges a refresh token for a new TokenSet."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        connection_id: int,
        cipher: TokenCipher,
        refresher: Callable[[str], TokenSet],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sessions = sessions
        self._connection_id = connection_id
        self._cipher = cipher
        self._refresher = refresher
        self._now = now
        self._cached: tuple[str, datetime] | None = None

    def access_token(self) -> str:
        if self._cached and self._cached[1] - REFRESH_MARGIN > self._now():
            return self._cached[0]
        return self._refresh(rejected=None)

    def refreshed_access_token(self, rejected: str) -> str:
        return self._refresh(rejected=rejected)

    def _refresh(self, rejected: str | None) -> str:
        refused: AuthRejected | None = None
        with self._sessions() as session, session.begin():
            # Take the lock first (a no-op write), then read what other workers may have stored meanwhile.
            session.execute(
                update(Connection).where(Connection.id == self._connection_id).values(status=Connection.status)
            )
            connection = session.get(Connection, self._connection_id, with_for_update=True, populate_existing=True)
            if connection is None or connection.refresh_token_enc is None:
                raise LedgerError(ErrorKind.AUTH, "the connection has no tokens: connect the ledger first")
            ledger = connection.ledger
            if connection.status != ConnectionStatus.CONNECTED:
                raise LedgerError(ErrorKind.AUTH, f"the {ledger} connection needs reconnecting")
            current = self._cipher.decrypt(connection.access_token_enc or "")
            expires = connection.access_expires_at
            if current != rejected and expires is not None and expires - REFRESH_MARGIN > self._now():
                self._cached = (current, expires)
                return current
            try:
                tokens = self._refresher(self._cipher.decrypt(connection.refresh_token_enc))
                store_tokens(connection, tokens, self._cipher)
            except AuthRejected as exc:
                connection.status = ConnectionStatus.NEEDS_RECONNECT
                refused = exc
        if refused is not None:
            raise LedgerError(
                ErrorKind.AUTH, f"the {ledger} authorization was refused ({refused}); reconnect the ledger"
            ) from refused
        self._cached = (tokens.access_token, tokens.access_expires_at)
        return tokens.access_token
