"""QBO's OAuth 2 authorization-code flow (authlib over httpx): consent URL, code exchange, refresh, revoke.

Token lifetimes are turned into absolute expiries here so the token store never has to know QBO's
fields; the refresh token dies at the earlier of its rolling expiry and the 5-year hard cap.
Nothing here logs or puts a token or the client secret into an exception message.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from ledger_sync.connectors.http import raise_for_revocation, token_endpoint_errors
from ledger_sync.connectors.oauth_client import OAuth2Client
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.tls import tls_context
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import TokenSet

HARD_EXPIRY_HEADER = "x-include-refresh-token-hard-expires-in"
_TOKEN_HEADERS = {
    "Accept": "application/json",
    "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
    HARD_EXPIRY_HEADER: "true",
}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class QboOAuth:
    """The app's side of QBO's OAuth 2; `transport` and `now` exist for tests."""

    def __init__(
        self,
        config: QboConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self._config = config
        self._now = now
        self._client = OAuth2Client(
            client_id=config.client_id,
            client_secret=config.client_secret.get_secret_value(),
            token_endpoint_auth_method="client_secret_basic",
            redirect_uri=config.redirect_uri,
            timeout=config.timeout_seconds,
            transport=transport,
            verify=tls_context(),
        )

    def __repr__(self) -> str:
        return f"QboOAuth(client_id={self._config.client_id!r}, token_url={self._config.token_url!r})"

    def authorization_url(self, state: str) -> str:
        url, _ = self._client.create_authorization_url(
            self._config.authorize_url, state=state, scope=self._config.scope
        )
        return str(url)

    def exchange_code(self, code: str) -> TokenSet:
        with token_endpoint_errors("QBO"):
            token = self._client.fetch_token(
                self._config.token_url, grant_type="authorization_code", code=code, headers=_TOKEN_HEADERS
            )
        return self._token_set(token, previous_refresh_token=None)

    def refresh(self, refresh_token: str) -> TokenSet:
        """Always store the result: QBO rotates refresh tokens (about daily) and the old one then dies."""
        with token_endpoint_errors("QBO"):
            token = self._client.refresh_token(
                self._config.token_url, refresh_token=refresh_token, headers=_TOKEN_HEADERS
            )
        return self._token_set(token, previous_refresh_token=refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """Intuit's revoke endpoint takes a JSON body (not RFC 7009's form) with HTTP Basic client auth."""
        with token_endpoint_errors("QBO"):
            response = self._client.post(
                self._config.revoke_url,
                json={"token": refresh_token},
                headers={"Accept": "application/json"},
                auth=httpx.BasicAuth(self._config.client_id, self._config.client_secret.get_secret_value()),
            )
        raise_for_revocation(response, "QBO", "revoke endpoint")

    def close(self) -> None:
        self._client.close()

    def _token_set(self, token: Mapping[str, Any], previous_refresh_token: str | None) -> TokenSet:
        access_token = token.get("access_token")
        refresh_token = token.get("refresh_token") or previous_refresh_token
        if not access_token or not refresh_token or "expires_in" not in token:
            raise LedgerError(ErrorKind.AUTH, "QBO token response lacks access_token, refresh_token or expires_in")
        now = self._now()
        scale = self._config.clock_scale  # lifetimes are in QBO's seconds; a time-scaled sandbox's pass faster
        refresh_lives = [
            int(token[key]) / scale
            for key in ("x_refresh_token_expires_in", "x_refresh_token_hard_expires_in")
            if token.get(key) is not None
        ]
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            access_expires_at=now + timedelta(seconds=int(token["expires_in"]) / scale),
            refresh_expires_at=now + timedelta(seconds=min(refresh_lives)) if refresh_lives else None,
        )
