"""Xero: one package per ledger with its config, OAuth, HTTP client and the connector."""

from ledger_sync.connectors.xero.auth import XeroOAuth
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.connector import XeroConnector
from ledger_sync.connectors.xero.plugin import PLUGIN

__all__ = ["PLUGIN", "XeroConfig", "XeroConnector", "XeroOAuth"]
