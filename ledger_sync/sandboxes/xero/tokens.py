"""Authorization codes and tokens, Xero's way: 30-minute access tokens, single-use refresh tokens.

Only hashes are stored. A token pair is derived (HMAC with a per-database secret) from the code or
refresh token that bought it, so a replay of a used refresh token within the grace period can be
answered with exactly the pair its first use returned, as real Xero does, without keeping that pair.
"""

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.sandboxes.xero.store import Store

CODE_TTL_SECONDS = 300


class GrantError(Exception):
    """The grant is refused; `error` is the OAuth error code sent back (e.g. `invalid_grant`)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    id_token: str
    expires_at: float
    scope: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenService:
    def __init__(self, store: Store, clock: ScaledClock, config: XeroSandboxConfig) -> None:
        self._store = store
        self._clock = clock
        self._config = config
        self._secret = store.secret()

    def _derive(self, parent: str, purpose: str) -> str:
        return hmac.new(self._secret, f"{purpose}|{parent}".encode(), hashlib.sha256).hexdigest()

    def _jwt(self, parent: str, purpose: str, claims: dict[str, object]) -> str:
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps({**claims, "jti": self._derive(parent, purpose)[:32]}).encode())
        signature = _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{signature}"

    def issue_code(self, redirect_uri: str, scope: str, challenge: str | None, auth_event_id: str) -> str:
        code = _b64(uuid.uuid4().bytes + uuid.uuid4().bytes)
        self._store.execute(
            "INSERT INTO codes (hash, redirect_uri, scope, challenge, auth_event_id, expires_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (digest(code), redirect_uri, scope, challenge, auth_event_id, self._clock.seconds() + CODE_TTL_SECONDS),
        )
        return code

    def exchange_code(
        self, code: str, redirect_uri: str, verifier: str | None, client_authenticated: bool
    ) -> TokenPair:
        with self._store.transaction():
            row = self._store.one("SELECT * FROM codes WHERE hash = ?", (digest(code),))
            if row is None or row["used"] or row["expires_at"] < self._clock.seconds():
                raise GrantError("invalid_grant")
            if row["redirect_uri"] != redirect_uri:
                raise GrantError("invalid_grant")
            if row["challenge"]:
                expected = _b64(hashlib.sha256((verifier or "").encode()).digest())
                if not verifier or not hmac.compare_digest(expected, row["challenge"]):
                    raise GrantError("invalid_grant")
            elif not client_authenticated:
                raise GrantError("invalid_client")
            self._store.execute("UPDATE codes SET used = 1 WHERE hash = ?", (digest(code),))
            grant_id = str(uuid.uuid4())
            self._store.execute(
                "INSERT INTO grants (id, auth_event_id, scope) VALUES (?, ?, ?)",
                (grant_id, row["auth_event_id"], row["scope"]),
            )
            return self._pair(code, grant_id, row["scope"], self._clock.seconds())

    def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate a refresh token; a replay within the grace period gets the same new pair again."""
        now = self._clock.seconds()
        with self._store.transaction():
            row = self._store.one(
                "SELECT t.*, g.scope, g.revoked FROM tokens t JOIN grants g ON g.id = t.grant_id "
                "WHERE t.hash = ? AND t.kind = 'refresh'",
                (digest(refresh_token),),
            )
            if row is None or row["revoked"]:
                raise GrantError("invalid_grant")
            first_use = row["first_used_at"]
            if first_use is None:
                if row["expires_at"] < now:
                    raise GrantError("invalid_grant")
                self._store.execute("UPDATE tokens SET first_used_at = ? WHERE hash = ?", (now, row["hash"]))
                first_use = now
            elif now - first_use > self._config.refresh_grace_seconds:
                raise GrantError("invalid_grant")
            return self._pair(refresh_token, row["grant_id"], row["scope"], first_use)

    def _pair(self, parent: str, grant_id: str, scope: str, issued_at: float) -> TokenPair:
        expires_at = issued_at + self._config.access_token_ttl
        claims: dict[str, object] = {
            "nbf": int(issued_at),
            "exp": int(expires_at),
            "iss": "xero-sandbox-identity",
            "client_id": self._config.client_id,
        }
        access = self._jwt(parent, "access", {**claims, "scope": scope.split()})
        refresh = self._derive(parent, "refresh")
        id_token = self._jwt(parent, "id", {**claims, "aud": self._config.client_id})
        for token, kind, dies in (
            (access, "access", expires_at),
            (refresh, "refresh", issued_at + self._config.refresh_idle_ttl),
        ):
            self._store.execute(
                "INSERT OR IGNORE INTO tokens (hash, kind, grant_id, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                (digest(token), kind, grant_id, issued_at, dies),
            )
        return TokenPair(access, refresh, id_token, expires_at, scope)

    def revoke(self, token: str) -> None:
        """Revoke the whole grant the token belongs to (unknown tokens are ignored, per RFC 7009)."""
        with self._store.transaction():
            row = self._store.one("SELECT grant_id FROM tokens WHERE hash = ?", (digest(token),))
            if row is None:
                return
            grant = self._store.one("SELECT auth_event_id FROM grants WHERE id = ?", (row["grant_id"],))
            self._store.execute("UPDATE grants SET revoked = 1 WHERE id = ?", (row["grant_id"],))
            if grant is not None:
                self._store.execute("DELETE FROM connections WHERE auth_event_id = ?", (grant["auth_event_id"],))

    def access_scopes(self, access_token: str) -> set[str]:
        """The scopes granted to a live access token (empty if unknown or revoked)."""
        row = self._store.one(
            "SELECT g.scope FROM tokens t JOIN grants g ON g.id = t.grant_id "
            "WHERE t.hash = ? AND t.kind = 'access' AND g.revoked = 0",
            (digest(access_token),),
        )
        return set(str(row["scope"]).split()) if row else set()

    def access_expiry(self, access_token: str) -> float | None:
        """When a live access token expires (possibly in the past); None if unknown or revoked."""
        row = self._store.one(
            "SELECT t.expires_at FROM tokens t JOIN grants g ON g.id = t.grant_id "
            "WHERE t.hash = ? AND t.kind = 'access' AND g.revoked = 0",
            (digest(access_token),),
        )
        return float(row["expires_at"]) if row else None
