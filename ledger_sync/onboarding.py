"""Getting a company connected and mapped: the steps behind Settings -> Integrations -> Accounting.

Connecting is: `start_authorization` (the provider URL for the popup, with `state` and, for PKCE,
a code verifier the caller keeps server-side), the provider redirects back with a code,
`exchange_authorization` turns it into tokens, `save_connection` stores them encrypted.
"""

import secrets
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger_sync.connectors.auth import TokenSet
from ledger_sync.connectors.factory import open_ledger
from ledger_sync.connectors.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.mapping import LedgerMapping, suggest_mapping
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.state.tokens import TokenCipher

if TYPE_CHECKING:
    from ledger_sync.connectors.xero import XeroOAuth


class UnknownLedger(ValueError):
    def __init__(self, ledger: str) -> None:
        super().__init__(f"unknown ledger {ledger!r}; expected qbo or xero")


@dataclass(frozen=True)
class AuthorizationStart:
    ledger: str
    url: str
    state: str
    code_verifier: str | None = None
    """PKCE verifier (Xero): keep it server-side, never in the page."""


def start_authorization(settings: Settings, ledger: str) -> AuthorizationStart:
    """The provider's authorize URL for the consent popup, with a fresh unguessable `state`."""
    state = secrets.token_urlsafe(24)
    if ledger == "qbo":
        from ledger_sync.connectors.qbo import QboConfig, QboOAuth

        oauth = QboOAuth(QboConfig.from_settings(settings))
        try:
            return AuthorizationStart(ledger, oauth.authorization_url(state), state)
        finally:
            oauth.close()
    if ledger == "xero":
        verifier = secrets.token_urlsafe(48)
        with closing(_xero_oauth(settings)) as xero:
            return AuthorizationStart(ledger, xero.authorization_url(state, verifier), state, verifier)
    raise UnknownLedger(ledger)


def exchange_authorization(settings: Settings, ledger: str, code: str, code_verifier: str | None = None) -> TokenSet:
    """Exchange the authorization code from the provider's redirect for tokens."""
    if ledger == "qbo":
        from ledger_sync.connectors.qbo import QboConfig, QboOAuth

        oauth = QboOAuth(QboConfig.from_settings(settings))
        try:
            return oauth.exchange_code(code)
        finally:
            oauth.close()
    if ledger == "xero":
        if not code_verifier:
            raise ValueError("a Xero authorization code can only be exchanged with its PKCE code verifier")
        with closing(_xero_oauth(settings)) as xero:
            return xero.exchange_code(code, code_verifier)
    raise UnknownLedger(ledger)


def available_tenants(
    settings: Settings, ledger: str, tokens: TokenSet, realm_id: str | None = None
) -> list[tuple[str, str]]:
    """(tenant id, name) of what a fresh grant can reach: QBO's realm from the redirect, Xero's connections."""
    if ledger == "qbo":
        return [(realm_id, realm_id)] if realm_id else []
    if ledger == "xero":
        with closing(_xero_oauth(settings)) as xero:
            return xero.tenants(tokens.access_token)
    raise UnknownLedger(ledger)


def save_connection(
    settings: Settings, store: StateStore, company_id: int, ledger: str, tenant_id: str, tokens: TokenSet
) -> int:
    """Store the connection (QBO realm / Xero tenant) with its tokens encrypted; returns its id."""
    return store.connect(company_id, ledger, tenant_id, tokens, TokenCipher.from_settings(settings))


def disconnect(settings: Settings, store: StateStore, company_id: int, ledger: str) -> None:
    """Revoke the refresh token at the provider and forget the tokens; the mapping is kept for a reconnect."""
    connection = store.connection(company_id, ledger)
    if connection is None:
        return
    refresh_token = store.refresh_token(connection.id, TokenCipher.from_settings(settings))
    if refresh_token is not None and ledger == "qbo":
        from ledger_sync.connectors.qbo import QboConfig, QboOAuth

        oauth = QboOAuth(QboConfig.from_settings(settings))
        try:
            oauth.revoke(refresh_token)
        finally:
            oauth.close()
    if refresh_token is not None and ledger == "xero":
        with closing(_xero_oauth(settings)) as xero:
            xero.revoke(refresh_token)
    store.disconnect(connection.id)


def _xero_oauth(settings: Settings) -> "XeroOAuth":
    from ledger_sync.connectors.xero import XeroConfig, XeroOAuth

    return XeroOAuth(XeroConfig.from_settings(settings))


def ledger_chart(
    settings: Settings, store: StateStore, connection: ConnectionInfo
) -> tuple[list[LedgerAccount], list[LedgerTaxRate]]:
    """The live ledger's accounts and tax rates (for mapping dropdowns and suggestions)."""
    connector = open_ledger(settings, store, connection)
    try:
        return connector.list_accounts(), connector.list_tax_rates()
    finally:
        connector.close()


def apply_suggested_mapping(settings: Settings, store: StateStore, company_id: int, ledger: str) -> LedgerMapping:
    """Read the live ledger chart and save the suggested mapping for the company's connection."""
    connection = store.connection(company_id, ledger)
    if connection is None:
        raise LookupError(f"company {company_id} is not connected to {ledger}")
    accounts, tax_rates = ledger_chart(settings, store, connection)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        mapping = suggest_mapping(source.tax_rates(company_id), source.categories(company_id), accounts, tax_rates)
    finally:
        source.engine.dispose()
    names = {a.id: a.name for a in accounts} | {t.id: t.name for t in tax_rates}
    store.save_mapping(connection.id, mapping, names)
    return mapping
