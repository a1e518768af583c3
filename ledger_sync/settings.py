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
    """Fernet key for tokens at rest (a one-key `encryption_keys`). One of the two is required outside demo mode."""
    encryption_keys: SecretStr | None = None
    """Fernet keys for tokens at rest, comma-separated, newest first: the newest encrypts, any of them decrypts
    (so a key can be rotated: add the new one first, `ledger-sync keys rotate`, then drop the old one)."""

    http_timeout_seconds: float = 30.0
    """Reads."""
    http_write_timeout_seconds: float = 150.0
    """Writes: QBO lets a request run 120 s, and a write abandoned early has an unknown outcome."""

    qbo_api_base: str = "https://quickbooks.api.intuit.com"
    qbo_authorize_url: str = "https://appcenter.intuit.com/connect/oauth2"
    qbo_token_url: str = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
    qbo_revoke_url: str = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
    qbo_client_id: str = ""
    qbo_client_secret: SecretStr = SecretStr("")
    qbo_redirect_uri: str = "http://127.0.0.1:8000/integrations/accounting/qbo/callback"
    qbo_scope: str = "com.intuit.quickbooks.accounting"
    qbo_minor_version: int = 75
    qbo_minute_seconds: float = 60.0
    """A minute of QBO's rate limits and of its wait after a 429; only a time-scaled sandbox shortens it."""

    xero_api_base: str = "https://api.xero.com/api.xro/2.0"
    xero_connections_url: str = "https://api.xero.com/connections"
    xero_authorize_url: str = "https://login.xero.com/identity/connect/authorize"
    xero_token_url: str = "https://identity.xero.com/connect/token"
    xero_revoke_url: str = "https://identity.xero.com/connect/revocation"
    xero_client_id: str = ""
    xero_client_secret: SecretStr = SecretStr("")
    """Empty: a public PKCE client (the code verifier alone proves the exchange)."""
    xero_redirect_uri: str = "http://127.0.0.1:8000/integrations/accounting/xero/callback"
    xero_scopes: str = (
        "offline_access accounting.contacts accounting.settings accounting.invoices accounting.payments "
        "accounting.banktransactions accounting.reports.read"
    )
    """The granular scopes apps created from 2026-03-02 must use (tips are bank transactions; reconciliation reads
    the Bank Summary report); an older app may still set the legacy `offline_access accounting.contacts
    accounting.settings accounting.transactions accounting.reports.read`
    (until Sept 2027)."""
    xero_minute_window_seconds: float = 60.0
    """Length of Xero's per-minute call window; only a time-scaled sandbox shortens it."""
    vendor_clock_scale: float = 1.0
    """Vendor seconds per real second: 1 for the real ledgers; a time-scaled sandbox sets its scale, so token
    lifetimes and the refresh margin are read on the clock the vendor keeps (no call is spent on a 401)."""

    work_pool: str = "ledger-sync"
    """The Prefect work pool (process type) the deployments run on."""
    company_api_calls_per_minute: int = 450
    """Prefect rate limit per company across all workers (QBO allows 500/min per realm; Xero 60)."""
    company_api_burst: int = 10
    """Calls a company may spend at once before the rate limit paces them (QBO: 10 per second)."""
    company_slot_timeout_seconds: float = 3600.0
    """How long a run waits for another sync of the same company to finish."""
    company_lock_wait_seconds: float = 10.0
    """How long a run waits for this machine's lock of the company (a CLI run of it) before refusing."""
    invoice_number_prefix: str = ""
    """Put in front of every invoice number sent (e.g. "SO-"), so the sync's numbers cannot clash with the ledger's
    own series (see `engine.numbers`). Set it before the first sync: changed later, synced invoices are renumbered."""

    web_base_url: str = "http://127.0.0.1:8000"
    """Where `ledger-sync web` is reached; an https URL makes the session cookie Secure."""
    admin_username: str = "admin"
    admin_password: SecretStr | None = None
    """The settings page's admin credential. Required to serve the page."""
    session_secret: SecretStr | None = None
    """Signs the settings page's session cookie. Required outside demo mode."""

    qbo_app_url: str = "https://app.qbo.intuit.com"
    """Where the Sync activity's links open a QBO record (`/app/invoice?txnId=`, `/app/customerdetail?nameId=`)."""
    xero_app_url: str = "https://go.xero.com"
    """Where the Sync activity's links open a Xero record (`/AccountsReceivable/View.aspx?InvoiceID=`,
    `/Contacts/View/<id>`), in the organisation the user has open in Xero."""
    notify_webhook_url: SecretStr | None = None
    """Where the Prefect automation `setup-limits` creates posts when a run parks new records or a connection
    needs reconnecting (a chat or paging webhook; it may carry a secret). Unset: no automation."""

    @cached_property
    def resolved_state_url(self) -> str:
        return self.state_url or f"sqlite:///{self.home / 'state.db'}"

    @cached_property
    def resolved_source_url(self) -> str:
        return self.source_url or f"sqlite:///{self.home / 'service_opus.db'}"
