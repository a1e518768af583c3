"""QuickBooks Online as a ledger plug-in: its capabilities, limits and factories, registered on import."""

from ledger_sync.connectors.qbo import fields
from ledger_sync.connectors.qbo.auth import QboOAuth
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.connector import QboConnector
from ledger_sync.connectors.registry import LedgerOAuth, LedgerPlugin, register
from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.records import EntityType
from ledger_sync.core.tokens import TokenProvider, TokenSet
from ledger_sync.settings import Settings


class QboConsent:
    """`QboOAuth` behind the registry's `LedgerOAuth`: no PKCE, and the realm comes with the redirect."""

    def __init__(self, oauth: QboOAuth) -> None:
        self._oauth = oauth

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        return self._oauth.authorization_url(state)

    def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return self._oauth.exchange_code(code)

    def tenants(self, tokens: TokenSet, realm_id: str | None) -> list[tuple[str, str]]:
        return [(realm_id, realm_id)] if realm_id else []

    def refresh(self, refresh_token: str) -> TokenSet:
        return self._oauth.refresh(refresh_token)

    def revoke(self, refresh_token: str) -> None:
        self._oauth.revoke(refresh_token)

    def close(self) -> None:
        self._oauth.close()


def open_oauth(settings: Settings) -> LedgerOAuth:
    return QboConsent(QboOAuth(QboConfig.from_settings(settings)))


def open_connector(settings: Settings, realm_id: str, tokens: TokenProvider) -> LedgerConnector:
    return QboConnector(QboConfig.from_settings(settings), realm_id, tokens, read_ahead=True)


PLUGIN = register(
    LedgerPlugin(
        name=QboConnector.ledger,
        label=fields.LABEL,
        badge="qb",
        tenant_noun="Company",
        max_batch_size=QboConnector.max_batch_size,
        # Names are fixed to fit (see `fields`); an invoice number or an email too long for QBO cannot be.
        limits=LedgerLimits(
            QboConnector.ledger, fields.LABEL, doc_number_max=fields.DOC_NUMBER_MAX, email_max=fields.EMAIL_MAX
        ),
        record_kinds=frozenset(EntityType),
        pkce=False,
        multiple_tenants=False,
        open_oauth=open_oauth,
        open_connector=open_connector,
        sandbox="ledger_sync.sandboxes.qbo.plugin",
    )
)
