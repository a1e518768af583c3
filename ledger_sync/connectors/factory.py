"""Builds the ledger connector for a stored connection (tokens served from the state store), and the
ledger's OAuth client for connecting."""

from typing import TYPE_CHECKING

from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.state.tokens import StoredTokenProvider, TokenCipher

if TYPE_CHECKING:
    from ledger_sync.connectors.qbo import QboOAuth
    from ledger_sync.connectors.xero import XeroOAuth

LEDGER_NAMES = {"qbo": "QuickBooks Online", "xero": "Xero"}


class UnknownLedger(ValueError):
    def __init__(self, ledger: str) -> None:
        super().__init__(f"unknown ledger {ledger!r}; expected one of {', '.join(LEDGER_NAMES)}")


def open_oauth(settings: Settings, ledger: str) -> "QboOAuth | XeroOAuth":
    """The ledger's OAuth 2 client (authorize URL, code exchange, refresh, revoke); close it after use."""
    if ledger == "qbo":
        from ledger_sync.connectors.qbo import QboConfig, QboOAuth

        return QboOAuth(QboConfig.from_settings(settings))
    if ledger == "xero":
        from ledger_sync.connectors.xero import XeroConfig, XeroOAuth

        return XeroOAuth(XeroConfig.from_settings(settings))
    raise UnknownLedger(ledger)


def open_ledger(settings: Settings, store: StateStore, connection: ConnectionInfo) -> LedgerConnector:
    cipher = TokenCipher.from_settings(settings)
    if connection.ledger == "qbo":
        from ledger_sync.connectors.qbo import QboConfig, QboConnector, QboOAuth

        config = QboConfig.from_settings(settings)
        tokens = StoredTokenProvider(store.sessions, connection.id, cipher, QboOAuth(config).refresh)
        return QboConnector(config, connection.tenant_id, tokens)
    if connection.ledger == "xero":
        from ledger_sync.connectors.xero import XeroConfig, XeroConnector, XeroOAuth

        xero = XeroConfig.from_settings(settings)
        tokens = StoredTokenProvider(store.sessions, connection.id, cipher, XeroOAuth(xero).refresh)
        return XeroConnector(xero, connection.tenant_id, tokens)
    raise UnknownLedger(connection.ledger)
