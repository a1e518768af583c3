"""Builds the ledger connector for a stored connection (tokens served from the state store), and the
ledger's OAuth client for connecting, through the ledger's registered plug-in.

It joins two layers that know nothing of each other (connectors and the state store), so it sits above both."""

from ledger_sync.connectors.registry import LedgerOAuth, get
from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.state.tokens import REFRESH_MARGIN, StoredTokenProvider, TokenCipher


def open_oauth(settings: Settings, ledger: str) -> LedgerOAuth:
    """The ledger's OAuth 2 client (authorize URL, code exchange, tenants, refresh, revoke); close it after use."""
    return get(ledger).open_oauth(settings)


def open_ledger(settings: Settings, store: StateStore, connection: ConnectionInfo) -> LedgerConnector:
    plugin = get(connection.ledger)
    cipher = TokenCipher.from_settings(settings)
    refresh = plugin.open_oauth(settings).refresh
    margin = REFRESH_MARGIN / settings.vendor_clock_scale
    tokens = StoredTokenProvider(store.sessions, connection.id, cipher, refresh, margin=margin)
    return plugin.open_connector(settings, connection.tenant_id, tokens)
