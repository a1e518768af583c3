"""Knobs of the Xero sandbox, read from XERO_SANDBOX_* environment variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_sync.sandboxes.faults import FaultPlan


class XeroSandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XERO_SANDBOX_", env_nested_delimiter="__", extra="ignore")

    db_path: Path = Path(".ledger-sync/xero-sandbox.db")
    time_scale: float = 1.0
    """Sandbox seconds per real second: token lifetimes and rate windows pass faster."""
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    auto_consent: bool = False
    """Skip the consent page: `authorize` redirects straight back with a code."""
    legacy_scopes: bool = False
    """The app predates 2026-03-02 and may still ask for `accounting.transactions` (new apps cannot)."""
    tenants: int = 1
    """Organisations the user can connect; with 2+ the consent page shows a tenant picker."""
    access_token_ttl: int = 1800
    refresh_grace_seconds: int = 1800
    """How long a used refresh token still answers (with the pair issued on its first use)."""
    refresh_idle_ttl: int = 60 * 86400
    per_minute: int = 60
    per_day: int = 5000
    concurrent: int = 5
    app_per_minute: int = 10000
    faults: FaultPlan = Field(default_factory=FaultPlan)
    """Injected failures, off by default: XERO_SANDBOX_FAULTS='{"seed": 7, ...}' or XERO_SANDBOX_FAULTS__SEED=7."""
