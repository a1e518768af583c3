"""Getting a company connected and mapped: the steps behind Settings -> Integrations -> Accounting.

Connecting is: `start_authorization` (the provider URL for the popup, with `state` and, for PKCE,
a code verifier the caller keeps server-side), the provider redirects back with a code,
`exchange_authorization` turns it into tokens, `save_connection` stores them encrypted.
"""

import logging
import secrets
from contextlib import closing
from dataclasses import dataclass

from ledger_sync.connectors.registry import get
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import LedgerMapping, suggest_mapping
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.core.tracking import LedgerTrackingOption
from ledger_sync.ledger_access import open_ledger, open_oauth
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.state.tokens import TokenCipher, UnreadableToken

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthorizationStart:
    ledger: str
    url: str
    state: str
    code_verifier: str | None = None
    """PKCE verifier (ledgers whose plug-in declares `pkce`, e.g. Xero): keep it server-side, never in the page."""


def start_authorization(settings: Settings, ledger: str) -> AuthorizationStart:
    """The provider's authorize URL for the consent popup, with a fresh unguessable `state` (and a PKCE
    code verifier when the ledger's plug-in declares PKCE)."""
    state = secrets.token_urlsafe(24)
    verifier = secrets.token_urlsafe(48) if get(ledger).pkce else None
    with closing(open_oauth(settings, ledger)) as oauth:
        return AuthorizationStart(ledger, oauth.authorization_url(state, verifier), state, verifier)


def exchange_authorization(settings: Settings, ledger: str, code: str, code_verifier: str | None = None) -> TokenSet:
    """Exchange the authorization code from the provider's redirect for tokens."""
    with closing(open_oauth(settings, ledger)) as oauth:
        return oauth.exchange_code(code, code_verifier)


def available_tenants(
    settings: Settings, ledger: str, tokens: TokenSet, realm_id: str | None = None
) -> list[tuple[str, str]]:
    """(tenant id, name) of what a fresh grant can reach: QBO's realm from the redirect, Xero's connections."""
    with closing(open_oauth(settings, ledger)) as oauth:
        return oauth.tenants(tokens, realm_id)


def save_connection(
    settings: Settings, store: StateStore, company_id: int, ledger: str, tenant_id: str, tokens: TokenSet
) -> int:
    """Store the connection (QBO realm / Xero tenant) with its tokens encrypted; returns its id."""
    return store.connect(company_id, ledger, tenant_id, tokens, TokenCipher.from_settings(settings))


def disconnect(settings: Settings, store: StateStore, company_id: int, ledger: str) -> bool:
    """Revoke the refresh token at the provider and forget the tokens; the mapping is kept for a reconnect.

    A provider that refuses the revocation because it no longer knows the token has nothing left to
    revoke: the connection is still forgotten here. A token no configured key decrypts cannot be sent
    to the provider: it is forgotten here and False is returned (the admin removes the app at the vendor).
    """
    connection = store.connection(company_id, ledger)
    if connection is None:
        return True
    try:
        refresh_token = store.refresh_token(connection.id, TokenCipher.from_settings(settings))
    except UnreadableToken:
        log.warning("the %s token of company %s cannot be decrypted: disconnected without revoking", ledger, company_id)
        store.disconnect(connection.id)
        return False
    if refresh_token is not None:
        with closing(open_oauth(settings, ledger)) as oauth:
            try:
                oauth.revoke(refresh_token)
            except AuthRejected:
                log.info("%s no longer knew the token of company %s: disconnected locally", ledger, company_id)
    store.disconnect(connection.id)
    return True


def ledger_chart(
    settings: Settings, store: StateStore, connection: ConnectionInfo, *, tracking: bool = False
) -> tuple[list[LedgerAccount], list[LedgerTaxRate], list[LedgerTrackingOption]]:
    """The live ledger's accounts and tax rates (for mapping dropdowns and suggestions), and its tracking options
    when asked (a company with business units or technicians to map)."""
    connector = open_ledger(settings, store, connection)
    try:
        options = connector.list_tracking_options() if tracking else []
        return connector.list_accounts(), connector.list_tax_rates(), options
    finally:
        connector.close()


def apply_suggested_mapping(settings: Settings, store: StateStore, company_id: int, ledger: str) -> LedgerMapping:
    """Read the live ledger chart and save the suggested mapping for the company's connection."""
    connection = store.connection(company_id, ledger)
    if connection is None:
        raise LookupError(f"company {company_id} is not connected to {ledger}")
    accounts, tax_rates, _ = ledger_chart(settings, store, connection)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        mapping = suggest_mapping(
            source.tax_rates(company_id),
            source.categories(company_id),
            accounts,
            tax_rates,
            source.bank_accounts(company_id),
        )
    finally:
        source.engine.dispose()
    names = {a.id: a.name for a in accounts} | {t.id: t.name for t in tax_rates}
    store.save_mapping(connection.id, mapping, names)
    return mapping
