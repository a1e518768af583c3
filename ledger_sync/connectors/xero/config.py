"""Where the Xero connector talks to and how patiently: endpoints, app credentials, limits and retries."""

from dataclasses import dataclass

from pydantic import SecretStr

from ledger_sync.connectors.http import HttpPolicy
from ledger_sync.settings import Settings


@dataclass(frozen=True)
class XeroConfig(HttpPolicy):
    api_base: str
    """The accounting API root, e.g. `https://api.xero.com/api.xro/2.0`."""
    connections_url: str
    authorize_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: SecretStr
    """Empty for a public PKCE client."""
    redirect_uri: str
    scopes: str
    minute_window_seconds: float = 60
    """Xero's per-minute limit window, for pacing on `X-MinLimit-Remaining`."""
    calls_per_minute: int = 60
    """Xero's published per-tenant limit, which the client paces itself under."""
    max_concurrent: int = 5
    """Calls in flight per tenant from this process (Xero refuses a sixth)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "XeroConfig":
        return cls(
            api_base=settings.xero_api_base.rstrip("/"),
            connections_url=settings.xero_connections_url,
            authorize_url=settings.xero_authorize_url,
            token_url=settings.xero_token_url,
            revoke_url=settings.xero_revoke_url,
            client_id=settings.xero_client_id,
            client_secret=settings.xero_client_secret,
            redirect_uri=settings.xero_redirect_uri,
            scopes=settings.xero_scopes,
            timeout_seconds=settings.http_timeout_seconds,
            write_timeout_seconds=settings.http_write_timeout_seconds,
            minute_window_seconds=settings.xero_minute_window_seconds,
            clock_scale=settings.vendor_clock_scale,
        )
