"""Xero's OAuth 2 authorization-code flow with PKCE (authlib over httpx): consent URL, code exchange,
the tenants a grant reaches, refresh and revocation.

Xero refresh tokens are SINGLE-USE: every refresh returns a new one, and the caller must persist it
before using the new access token (`StoredTokenProvider` does, under its refresh lock). An unused
refresh token dies after 60 days. Nothing here logs or puts a token or the client secret into an
exception message.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledger_sync.connectors.http import raise_for_revocation, status_kind, token_endpoint_errors
from ledger_sync.connectors.oauth_client import OAuth2Client
from ledger_sync.connectors.tls import tls_context
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import TokenSet

REFRESH_TOKEN_LIFETIME = timedelta(days=60)
"""An unused Xero refresh token expires after 60 days (each refresh starts a new one)."""
_ACCEPT_JSON = {"Accept": "application/json"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class XeroOAuth:
    """The app's side of Xero's OAuth 2; a confidential client when a secret is configured, else public."""

    def __init__(
        self,
        config: XeroConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._config = config
        self._now = now
        secret = config.client_secret.get_secret_value()
        method = "client_secret_basic" if secret else "none"
        self._client = OAuth2Client(
            client_id=config.client_id,
            client_secret=secret or None,
            token_endpoint_auth_method=method,
            revocation_endpoint_auth_method=method,
            code_challenge_method="S256",
            redirect_uri=config.redirect_uri,
            timeout=config.timeout_seconds,
            transport=transport,
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return f"XeroOAuth(client_id={self._config.client_id!r}, token_url={self._config.token_url!r})"

    def authorization_url(self, state: str, code_verifier: str) -> str:
        """The consent URL with an S256 code challenge; keep `code_verifier` server-side for the exchange."""
        url, _ = self._client.create_authorization_url(
            self._config.authorize_url, state=state, code_verifier=code_verifier, scope=self._config.scopes
        )
        return str(url)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        with token_endpoint_errors("Xero"):
            token = self._client.fetch_token(
                self._config.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                headers=_ACCEPT_JSON,
            )
        return self._token_set(token)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Persist the result before using it: the refresh token just spent works only for a short grace period."""
        with token_endpoint_errors("Xero"):
            token = self._client.refresh_token(
                self._config.token_url, refresh_token=refresh_token, headers=_ACCEPT_JSON
            )
        return self._token_set(token)

    def tenants(self, access_token: str) -> list[tuple[str, str]]:
        """(tenant id, organisation name) of every organisation this grant can reach (`GET /connections`)."""
        try:
            response = self._client.request(
                "GET",
                self._config.connections_url,
                headers={**_ACCEPT_JSON, "Authorization": f"Bearer {access_token}"},
                withhold_token=True,
            )
        except httpx.TransportError as exc:
            raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero connections unreachable: {type(exc).__name__}") from exc
        if not response.is_success:
            raise LedgerError(
                status_kind(response.status_code), f"Xero connections answered HTTP {response.status_code}"
            )
        try:
            connections = response.json()
        except ValueError as exc:
            raise LedgerError(ErrorKind.UNAVAILABLE, "Xero connections answered a body that is not JSON") from exc
        return [
            (str(c["tenantId"]), str(c.get("tenantName") or c["tenantId"]))
            for c in connections
            if isinstance(c, dict) and c.get("tenantId") and c.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]

    def revoke(self, refresh_token: str) -> None:
        """RFC 7009 revocation: revokes the whole grant, so every tenant connection it made goes too."""
        with token_endpoint_errors("Xero"):
            response = self._client.revoke_token(
                self._config.revoke_url, token=refresh_token, token_type_hint="refresh_token", headers=_ACCEPT_JSON
            )
        raise_for_revocation(response, "Xero", "revocation endpoint")

    def close(self) -> None:
        self._client.close()

    def _token_set(self, token: Mapping[str, Any]) -> TokenSet:
        access_token = token.get("access_token")
        refresh_token = token.get("refresh_token")
        if not access_token or not refresh_token or "expires_in" not in token:
            raise LedgerError(
                ErrorKind.AUTH,
                "Xero token response lacks access_token, refresh_token or expires_in (is offline_access a scope?)",
            )
        now = self._now()
        scale = self._config.clock_scale  # lifetimes are in Xero's seconds; a time-scaled sandbox's pass faster
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=now + timedelta(seconds=int(token["expires_in"]) / scale),
            refresh_expires_at=now + REFRESH_TOKEN_LIFETIME / scale,
        )
