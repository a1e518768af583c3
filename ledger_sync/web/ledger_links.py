"""Links that open a synced record in the ledger's own web app, as the vendors document their record pages.

QBO: `https://app.qbo.intuit.com/app/invoice?txnId=<Id>` (credit memos `creditmemo`, payments `recvpayment`),
customers `/app/customerdetail?nameId=<Id>`. Xero: `https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=<id>`
(credit notes `ViewCreditNote.aspx?creditNoteID=`), contacts `/Contacts/View/<id>` (Xero's deep-link guide);
they open in the organisation the user has open in Xero (a link naming the organisation needs its ShortCode,
which the sync does not read). Items, credit applications and Xero payments get no link: neither ledger
documents a page for them by id. The base URLs are settings (production by default; a demo points them at
its sandbox).
"""

from urllib.parse import quote

from ledger_sync.core.records import EntityType
from ledger_sync.settings import Settings

_QBO = {
    EntityType.CUSTOMER: "/app/customerdetail?nameId=",
    EntityType.INVOICE: "/app/invoice?txnId=",
    EntityType.CREDIT_NOTE: "/app/creditmemo?txnId=",
    EntityType.PAYMENT: "/app/recvpayment?txnId=",
}
_XERO = {
    EntityType.CUSTOMER: "/Contacts/View/",
    EntityType.INVOICE: "/AccountsReceivable/View.aspx?InvoiceID=",
    EntityType.CREDIT_NOTE: "/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=",
}


def record_url(settings: Settings, ledger: str, entity_type: EntityType, ledger_id: str) -> str | None:
    """The record's page in the ledger, or None when the ledger has none for this kind of record."""
    base, paths = (settings.qbo_app_url, _QBO) if ledger == "qbo" else (settings.xero_app_url, _XERO)
    path = paths.get(entity_type)
    return f"{base.rstrip('/')}{path}{quote(ledger_id, safe='')}" if path else None
