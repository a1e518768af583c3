"""Where the QBO connector talks to and how patiently: endpoints, app credentials and retry budget."""

from dataclasses import dataclass

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
        )
