"""Tokens at rest: encrypted with Fernet, refreshed one at a time per connection across processes.

The keys are a list, newest first (`MultiFernet`): the newest encrypts, any of them decrypts, so a key
is rotated by adding the new one in front, re-encrypting (`ledger_sync.state.key_rotation`) and then
dropping the old one. A token no configured key opens marks its connection "needs reconnect" with the
reason; it never fails anything beyond that connection.

The refresh takes a row lock on the connection (SELECT ... FOR UPDATE on PostgreSQL; the database
write lock on SQLite), re-reads the tokens, and refreshes only if no other worker already did. The
rotated refresh token is committed before the new access token is handed out, so a crash can never
lose it.
"""

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.state.models import Connection, ConnectionStatus
from ledger_sync.state.sync_events import emit_needs_reconnect

REFRESH_MARGIN = timedelta(minutes=5)
"""Refresh an access token this long before it expires, so no request goes out with a dying token."""
UNREADABLE_REASON = (
    "The stored authorisation cannot be decrypted with any configured encryption key (LEDGER_SYNC_ENCRYPTION_KEYS)."
)
"""Why a connection whose tokens no key opens needs reconnecting (shown on the settings page)."""


class EncryptionKeyError(RuntimeError):
    """The token encryption keys are missing or malformed: a setup error, reported in one line."""


class MissingEncryptionKey(EncryptionKeyError):
    pass


class UnreadableToken(ValueError):
    """A stored token that no configured key decrypts (a wrong key, or one rotated away too early)."""


class TokenCipher:
    """Encrypts with the first key, decrypts with any of them."""

    def __init__(self, *keys: bytes) -> None:
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    @classmethod
    def from_settings(cls, settings: Settings) -> "TokenCipher":
        """The configured keys; in demo mode without keys, a key file in `home` is created on first use."""
        keys = configured_keys(settings)
        if keys:
            return cls(*keys)
        if not settings.demo_mode:
            raise MissingEncryptionKey(
                "LEDGER_SYNC_ENCRYPTION_KEYS (or LEDGER_SYNC_ENCRYPTION_KEY) is not set: tokens are encrypted at "
                "rest and need a key. Create one with `ledger-sync keygen` and keep it in your secret store."
            )
        return cls(_demo_key(settings.home / "demo-encryption.key"))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UnreadableToken("no configured encryption key decrypts this token") from None

    def rotate(self, token: str) -> str:
        """The same secret, encrypted with the newest key."""
        try:
            return self._fernet.rotate(token.encode()).decode()
        except InvalidToken:
            raise UnreadableToken("no configured encryption key decrypts this token") from None


def configured_keys(settings: Settings) -> list[bytes]:
    """The configured keys, newest first, each checked (never echoed); [] when none is set.

    LEDGER_SYNC_ENCRYPTION_KEY alone is a one-key list; setting both would leave it unclear which
    key is the newest, so that is refused."""
    many, one = settings.encryption_keys, settings.encryption_key
    if many is not None and one is not None:
        raise EncryptionKeyError(
            "Both LEDGER_SYNC_ENCRYPTION_KEYS and LEDGER_SYNC_ENCRYPTION_KEY are set: keep only "
            "LEDGER_SYNC_ENCRYPTION_KEYS (newest key first)."
        )
    if many is not None:
        name, keys = "LEDGER_SYNC_ENCRYPTION_KEYS", [part.strip() for part in many.get_secret_value().split(",")]
    elif one is not None:
        name, keys = "LEDGER_SYNC_ENCRYPTION_KEY", [one.get_secret_value().strip()]
    else:
        return []
    for number, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:
            which = f"{name}: key {number} of {len(keys)}" if len(keys) > 1 else name
            raise EncryptionKeyError(
                f"{which} is not a valid key (32 url-safe base64-encoded bytes); create one with `ledger-sync keygen`."
            ) from None
    return [key.encode() for key in keys]


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
    connection.status_reason = None


def mark_unreadable(connection: Connection) -> None:
    """The connection's tokens cannot be decrypted: it needs reconnecting, and the page says why."""
    connection.status = ConnectionStatus.NEEDS_RECONNECT
    connection.status_reason = UNREADABLE_REASON


class StoredTokenProvider:
    """`TokenProvider` over a connection row; `refresher` exchanges a refresh token for a new TokenSet."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        connection_id: int,
        cipher: TokenCipher,
        refresher: Callable[[str], TokenSet],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        """`margin`: how long before its expiry a token is refreshed (shorter on a time-scaled vendor clock)."""
        self._sessions = sessions
        self._connection_id = connection_id
        self._cipher = cipher
        self._refresher = refresher
        self._now = now
        self._margin = margin
        self._cached: tuple[str, datetime] | None = None

    def access_token(self) -> str:
        if self._cached and self._cached[1] - self._margin > self._now():
            return self._cached[0]
        return self._refresh(rejected=None)

    def refreshed_access_token(self, rejected: str) -> str:
        return self._refresh(rejected=rejected)

    def _refresh(self, rejected: str | None) -> str:
        failure: tuple[str, Exception | None] | None = None
        with self._sessions() as session, session.begin():
            # Take the lock first (a no-op write), then read what other workers may have stored meanwhile.
            session.execute(
                update(Connection).where(Connection.id == self._connection_id).values(status=Connection.status)
            )
            connection = session.get(Connection, self._connection_id, with_for_update=True, populate_existing=True)
            if connection is None or connection.refresh_token_enc is None:
                raise LedgerError(ErrorKind.AUTH, "the connection has no tokens: connect the ledger first")
            ledger, company_id = connection.ledger, connection.company_id
            if connection.status != ConnectionStatus.CONNECTED:
                raise LedgerError(ErrorKind.AUTH, f"the {ledger} connection needs reconnecting")
            try:
                current = self._cipher.decrypt(connection.access_token_enc) if connection.access_token_enc else None
                refresh_token = self._cipher.decrypt(connection.refresh_token_enc)
            except UnreadableToken:
                mark_unreadable(connection)  # committed: this connection stops, every other one goes on
                failure = (f"the stored {ledger} authorization cannot be decrypted with any configured key", None)
            else:
                expires = connection.access_expires_at
                if current is not None and current != rejected and expires and expires - self._margin > self._now():
                    self._cached = (current, expires)
                    return current
                try:
                    tokens = self._refresher(refresh_token)
                    store_tokens(connection, tokens, self._cipher)
                except AuthRejected as exc:
                    connection.status = ConnectionStatus.NEEDS_RECONNECT
                    failure = (f"the {ledger} authorization was refused ({exc})", exc)
        if failure is not None:
            emit_needs_reconnect(self._connection_id, company_id, ledger, failure[0])  # after the commit
            raise LedgerError(ErrorKind.AUTH, f"{failure[0]}; reconnect the ledger") from failure[1]
        self._cached = (tokens.access_token, tokens.access_expires_at)
        return tokens.access_token
