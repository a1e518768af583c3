"""Where the QBO connector talks to and how patiently: endpoints, app credentials and retry budget."""

from dataclasses import dataclass, field

from pydantic import SecretStr

from ledger_sync.connectors.http import HttpPolicy
from ledger_sync.settings import Settings


@dataclass(frozen=True)
class QboConfig(HttpPolicy):
    api_base: str
    """Scheme and host only, e.g. `https://quickbooks.api.intuit.com`; `/v3/company/{realm}` is appended."""
    authorize_url: str
    token_url: str
    revoke_url: str
    client_id: str
    client_secret: SecretStr
    redirect_uri: str
    scope: str
    minor_version: int = 75
    minute_seconds: float = 60
    """A minute of QBO's limits (and its wait after a 429); only a time-scaled sandbox shortens it."""
    calls_per_second: int = 10
    calls_per_minute: int = 500
    batch_calls_per_minute: int = 40
    """QBO's published per-realm limits, which the client paces itself under."""
    throttle_wait_seconds: float | None = field(default=60, kw_only=True)
    """QBO sends no Retry-After and asks clients to wait a minute after a 429."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "QboConfig":
        return cls(
            api_base=settings.qbo_api_base.rstrip("/"),
            authorize_url=settings.qbo_authorize_url,
            token_url=settings.qbo_token_url,
            revoke_url=settings.qbo_revoke_url,
            client_id=settings.qbo_client_id,
            client_secret=settings.qbo_client_secret,
            redirect_uri=settings.qbo_redirect_uri,
            scope=settings.qbo_scope,
            minor_version=settings.qbo_minor_version,
            timeout_seconds=settings.http_timeout_seconds,
            write_timeout_seconds=settings.http_write_timeout_seconds,
            minute_seconds=settings.qbo_minute_seconds,
            clock_scale=settings.vendor_clock_scale,
            throttle_wait_seconds=settings.qbo_minute_seconds,
        )
