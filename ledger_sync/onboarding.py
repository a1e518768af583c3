"""Getting a company connected and mapped: the steps behind Settings -> Integrations -> Accounting."""

from ledger_sync.connectors.factory import open_ledger
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.mapping import LedgerMapping, suggest_mapping
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher


def complete_authorization(
    settings: Settings, store: StateStore, company_id: int, ledger: str, code: str, tenant_id: str
) -> int:
    """Exchange the authorization code from the provider's redirect and store the tokens encrypted."""
    if ledger != "qbo":
        raise ValueError(f"unknown ledger {ledger!r}")
    from ledger_sync.connectors.qbo import QboConfig, QboOAuth

    oauth = QboOAuth(QboConfig.from_settings(settings))
    try:
        tokens = oauth.exchange_code(code)
    finally:
        oauth.close()
    return store.connect(company_id, ledger, tenant_id, tokens, TokenCipher.from_settings(settings))


def apply_suggested_mapping(settings: Settings, store: StateStore, company_id: int, ledger: str) -> LedgerMapping:
    """Read the live ledger chart and save the suggested mapping for the company's connection."""
    connection = store.connection(company_id, ledger)
    if connection is None:
        raise LookupError(f"company {company_id} is not connected to {ledger}")
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    connector = open_ledger(settings, store, connection)
    try:
        accounts, tax_rates = connector.list_accounts(), connector.list_tax_rates()
        mapping = suggest_mapping(source.tax_rates(company_id), source.categories(company_id), accounts, tax_rates)
    finally:
        connector.close()
        source.engine.dispose()
    names = {a.id: a.name for a in accounts} | {t.id: t.name for t in tax_rates}
    store.save_mapping(connection.id, mapping, names)
    return mapping
