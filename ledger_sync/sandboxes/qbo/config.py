"""Settings of the QBO sandbox, read from QBO_SANDBOX_* environment variables."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_sync.sandboxes.faults import FaultPlan


class QboSandboxConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QBO_SANDBOX_", env_nested_delimiter="__", extra="ignore")

    db_path: Path = Path(".ledger-sync/qbo-sandbox.db")
    """SQLite file holding the sandbox ledger, tokens, replays and the request log."""
    time_scale: float = 1.0
    """Sandbox seconds per real second, for token lifetimes and rate windows."""
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-secret"
    auto_consent: bool = False
    """Demo mode: the authorize endpoint redirects at once instead of showing the consent page."""
    realm_id: str = "9341455130166501"
    """The company created on first consent."""
    country: Literal["CA", "US"] = "CA"
    """The country of a company at its creation: CA (GST/HST/PST codes per line) or US (TAX/NON lines and one
    combined sales tax code per invoice)."""
    automated_sales_tax: bool = False
    """US only: the company is on Automated Sales Tax (`Preferences.TaxPrefs.PartnerTaxEnabled`)."""
    keeps_total_tax_override: bool = True
    """US only: a supplied `TxnTaxDetail.TotalTax` (with `TxnTaxCodeRef`) replaces QBO's own tax. Whether real
    QBO keeps it is reported both ways (python-quickbooks#301 vs QuickBooks-V3-PHP-SDK#422); False drops it,
    so clients can be tested for comparing what QBO saved with what they meant."""
    access_token_ttl: int = 3600
    refresh_token_ttl: int = 8726400
    """100 days, rolling: every refresh starts the period again."""
    refresh_rotation_after: int = 86400
    """A refresh this long after the refresh token was issued returns a new one and kills the old one."""
    refresh_hard_ttl: int = 5 * 365 * 86400
    """Refresh tokens die this long after the original consent, whatever the rolling expiry says."""
    per_minute: int = 500
    per_second: int = 10
    concurrent: int = 10
    batch_per_minute: int = 40
    replayed_batch_items_unknown: bool = False
    """Answer a replayed batch `requestid` item by item with 6000 "An unexpected error occurred ... try again"
    instead of the original answer, as QBO has done (quickbooks-ruby#344); Intuit documents the replay."""
    faults: FaultPlan = Field(default_factory=FaultPlan)
    """Injected failures, off by default: QBO_SANDBOX_FAULTS='{"seed": 7, ...}' or QBO_SANDBOX_FAULTS__SEED=7."""
