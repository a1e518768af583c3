"""Every knob of the sync in one place, read from LEDGER_SYNC_* environment variables or `.env`.

Endpoint URLs default to the vendors' production URLs: pointing the connectors at the real services
is configuration only. The demo and the tests point them at the local sandboxes instead.
"""

from functools import cached_property
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_SYNC_", env_file=".env", extra="ignore")

    home: Path = Path(".ledger-sync")
    """Working folder: default SQLite files, encryption key in demo mode, validation reports."""
    state_url: str | None = None
    """SQLAlchemy URL of the sync state store; default: a SQLite file in `home`."""
    source_url: str | None = None
    """SQLAlchemy URL of the Service Opus database; default: a SQLite file in `home`."""
    shared_dir: Path = Path("../shared")
    """The vendors' official specs and recorded traffic (read-only, never copied)."""

    demo_mode: bool = False
    encryption_key: SecretStr | None = None
    """Fernet key for tokens at rest. Required outside demo mode."""

    http_timeout_seconds: float = 30.0

    qbo_api_base: str = "https://quickbooks.api.intuit.com"
    qbo_authorize_url: str = "https://appcenter.intuit.com/connect/oauth2"
    qbo_token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    qbo_revoke_url: str = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
    qbo_client_id: str = ""
    qbo_client_secret: SecretStr = SecretStr("")
    qbo_redirect_uri: str = "http://127.0.0.1:8000/integrations/accounting/qbo/callback"
    qbo_scope: str = "com.intuit.quickbooks.accounting"
    qbo_minor_version: int = 75

    @cached_property
    def resolved_state_url(self) -> str:
        return self.state_url or f"sqlite:///{self.home / 'state.db'}"

    @cached_property
    def resolved_source_url(self) -> str:
        return self.source_url or f"sqlite:///{self.home / 'service_opus.db'}"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"
