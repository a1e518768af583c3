"""OAuth 2 grants as Intuit runs them: single-use codes, 1 h access tokens, rolling refresh tokens that rotate.

Only sha256 digests of codes and tokens are stored; a token's value exists only in the answer that hands it
out. A refresh within `refresh_rotation_after` of the refresh token's issue returns the same refresh token
(its rolling expiry restarts); a later one returns a new refresh token and the old one stops working.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.qbo.store import Store, TokenRow

CODE_TTL = 300
"""Seconds an authorization code can be exchanged (Intuit's codes are short-lived and single-use)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OAuthError(Exception):
    """An RFC 6749 error answer (`invalid_grant`, `invalid_client`, ...); never carries a token."""

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_in: int
    refresh_expires_in: int
    hard_expires_in: int

    def wire(self, include_hard_expiry: bool) -> dict[str, object]:
        body: dict[str, object] = {
            "token_type": "bearer",
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "x_refresh_token_expires_in": self.refresh_expires_in,
        }
        if include_hard_expiry:
            body["x_refresh_token_hard_expires_in"] = self.hard_expires_in
        return body


class TokenService:
    def __init__(self, config: QboSandboxConfig, store: Store, clock: ScaledClock) -> None:
        self._config = config
        self._store = store
        self._clock = clock

    def client_ok(self, client_id: str, client_secret: str) -> bool:
        return hmac.compare_digest(client_id, self._config.client_id) and hmac.compare_digest(
            client_secret, self._config.client_secret
        )

    def issue_code(self, realm_id: str, redirect_uri: str) -> str:
        now = self._clock.seconds()
        code = "AB11" + secrets.token_urlsafe(32)
        self._store.add_token(
            TokenRow(
                digest(code),
                "code",
                uuid.uuid4().hex,
                realm_id,
                now,
                now + CODE_TTL,
                now,
                redirect_uri,
            )
        )
        return code

    def exchange_code(self, code: str, redirect_uri: str) -> IssuedTokens:
        with self._store.transaction():
            row = self._store.token(digest(code))
            now = self._clock.seconds()
            if row is None or row.kind != "code" or row.used or row.revoked or row.expires_at <= now:
                raise OAuthError("invalid_grant")
            if row.redirect_uri != redirect_uri:
                raise OAuthError("invalid_grant")
            self._store.mark_token_used(row.token_hash)
            refresh_token, refresh_expires = self._new_refresh(row, now)
            return self._answer(row, now, refresh_token, refresh_expires)

    def refresh(self, refresh_token: str) -> IssuedTokens:
        with self._store.transaction():
            row = self._store.token(digest(refresh_token))
            now = self._clock.seconds()
            if (
                row is None
                or row.kind != "refresh"
                or row.revoked
                or min(row.expires_at, self._hard_expiry(row)) <= now
            ):
                raise OAuthError("invalid_grant")
            if now - row.issued_at >= self._config.refresh_rotation_after:
                self._store.revoke_token(row.token_hash)
                refresh_token, expires_at = self._new_refresh(row, now)
            else:
                expires_at = min(now + self._config.refresh_token_ttl, self._hard_expiry(row))
                self._store.extend_token(row.token_hash, expires_at)
            return self._answer(row, now, refresh_token, expires_at)

    def revoke(self, token: str) -> None:
        """Revoking either token of a grant ends the whole grant (refresh and access tokens)."""
        row = self._store.token(digest(token))
        if row is not None:
            self._store.revoke_grant(row.grant_id)

    def authenticate(self, access_token: str, realm_id: str) -> None:
        row = self._store.token(digest(access_token))
        if row is None or row.kind != "access":
            raise faults.authentication_failed("Token invalid")
        if row.revoked:
            raise faults.authentication_failed("Token revoked")
        if row.expires_at <= self._clock.seconds():
            raise faults.authentication_failed("Token expired")
        if row.realm_id != realm_id:
            raise faults.authentication_failed("Token is not valid for this company")

    def _hard_expiry(self, row: TokenRow) -> float:
        return row.consented_at + self._config.refresh_hard_ttl

    def _new_refresh(self, grant: TokenRow, now: float) -> tuple[str, float]:
        token = "RT1-" + secrets.token_urlsafe(40)
        expires_at = min(now + self._config.refresh_token_ttl, self._hard_expiry(grant))
        self._store.add_token(
            TokenRow(digest(token), "refresh", grant.grant_id, grant.realm_id, now, expires_at, grant.consented_at)
        )
        return token, expires_at

    def _answer(self, grant: TokenRow, now: float, refresh_token: str, refresh_expires: float) -> IssuedTokens:
        access = "eyJ" + secrets.token_urlsafe(96)
        ttl = self._config.access_token_ttl
        self._store.add_token(
            TokenRow(digest(access), "access", grant.grant_id, grant.realm_id, now, now + ttl, grant.consented_at)
        )
        return IssuedTokens(access, refresh_token, ttl, int(refresh_expires - now), int(self._hard_expiry(grant) - now))
