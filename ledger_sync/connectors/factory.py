"""Builds the ledger connector for a stored connection, with tokens served from the state store."""

from ledger_sync.connectors.ledger import LedgerConnector
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.state.tokens import StoredTokenProvider, TokenCipher

LEDGER_NAMES = {"qbo": "QuickBooks Online", "xero": "Xero"}


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
    raise ValueError(f"unknown ledger {connection.ledger!r}; expected one of {', '.join(LEDGER_NAMES)}")
