"""Xero as a ledger plug-in: its capabilities, limits and factories, registered on import."""

from ledger_sync.connectors.registry import LedgerOAuth, LedgerPlugin, register
from ledger_sync.connectors.xero import fields
from ledger_sync.connectors.xero.auth import REFRESH_TOKEN_LIFETIME, XeroOAuth
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.connector import XeroConnector
from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.records import EntityType
from ledger_sync.core.tokens import TokenProvider, TokenSet
from ledger_sync.settings import Settings


class XeroConsent:
    """`XeroOAuth` behind the registry's `LedgerOAuth`: PKCE, and the tenants from `/connections`."""

    def __init__(self, oauth: XeroOAuth) -> None:
        self._oauth = oauth

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        return self._oauth.authorization_url(state, _required(code_verifier))

    def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return self._oauth.exchange_code(code, _required(code_verifier))

    def tenants(self, tokens: TokenSet, realm_id: str | None) -> list[tuple[str, str]]:
        return self._oauth.tenants(tokens.access_token)

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._oauth.refresh(refresh_token)

    def revoke(self, refresh_token: str) -> None:
        self._oauth.revoke(refresh_token)

    def close(self) -> None:
        self._oauth.close()


def _required(code_verifier: str | None) -> str:
    if not code_verifier:
        raise ValueError("a Xero authorization code can only be exchanged with its PKCE code verifier")
    return code_verifier


def open_oauth(settings: Settings) -> LedgerOAuth:
    return XeroConsent(XeroOAuth(XeroConfig.from_settings(settings)))


def open_connector(settings: Settings, tenant_id: str, tokens: TokenProvider) -> LedgerConnector:
    return XeroConnector(XeroConfig.from_settings(settings), tenant_id, tokens)


PLUGIN = register(
    LedgerPlugin(
        name=XeroConnector.ledger,
        label=fields.LABEL,
        badge="x",
        tenant_noun="Organisation",
        max_batch_size=XeroConnector.max_batch_size,
        # Names are fixed to fit (see `fields`); an invoice number or an email too long for Xero cannot be.
        limits=LedgerLimits(
            XeroConnector.ledger, fields.LABEL, doc_number_max=fields.INVOICE_NUMBER_MAX, email_max=fields.EMAIL_MAX
        ),
        record_kinds=frozenset(EntityType),
        pkce=True,
        multiple_tenants=True,
        open_oauth=open_oauth,
        open_connector=open_connector,
        sandbox="ledger_sync.sandboxes.xero.plugin",
        unused_expiry_days=REFRESH_TOKEN_LIFETIME.days,
    )
)
