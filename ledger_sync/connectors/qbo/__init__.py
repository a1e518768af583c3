"""QuickBooks Online: one package per ledger with its config, OAuth, HTTP client and the connector."""

from ledger_sync.connectors.qbo.auth import QboOAuth
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.connector import QboConnector
from ledger_sync.connectors.qbo.plugin import PLUGIN

__all__ = ["PLUGIN", "QboConfig", "QboConnector", "QboOAuth"]
