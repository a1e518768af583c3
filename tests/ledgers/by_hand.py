"""Customers and items a bookkeeper entered in the ledger by hand, through the vendor's own API (raw calls, not the
protocol, which only writes stamped records): the books that already exist before the first sync."""

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ledger_sync.connectors.qbo.wire import to_qbo
from ledger_sync.core.ledger import LedgerConnector, WriteOp
from ledger_sync.core.records import CustomerRecord, EntityType, InvoiceRecord, ItemRecord
from tests.conformance import memory_ledger
from tests.matching_set import LedgerEntry

QBO_BATCH, XERO_BATCH = 30, 50


def enter(connector: LedgerConnector, entity_type: EntityType, entries: Sequence[LedgerEntry]) -> dict[str, str]:
    """Each entry's ledger id (what `list_existing` lists it by), by its key. An entry's `stamp` is put where the
    connector keeps ours (a record of ours whose name the bookkeeper changed)."""
    match connector.ledger:
        case "qbo":
            return _qbo(connector, entity_type, entries)
        case "xero":
            return _xero(connector, entity_type, entries)
        case _:
            return _memory(connector, entity_type, entries)


def enter_invoice(connector: LedgerConnector, record: InvoiceRecord) -> str:
    """An invoice the bookkeeper typed in by hand (no stamp of ours), as the ledger would hold `record`; its id."""
    match connector.ledger:
        case "qbo":
            qbo: Any = connector
            body = to_qbo(record, None, qbo.tax_model)
            body.pop("PrivateNote", None)
            request_id = hashlib.sha256(f"by-hand-{record.number}".encode()).hexdigest()[:36]
            return str(qbo._client.post("invoice", body, request_id=request_id)["Invoice"]["Id"])
        case "xero":
            xero: Any = connector
            element = xero._element(WriteOp(record, "by-hand"))
            element.pop("Reference", None)
            key = f"by-hand-{record.number}"
            answer = xero._client.write("PUT", "Invoices", {"Invoices": [element]}, {"summarizeErrors": "false"}, key)
            (saved,) = answer["Invoices"]
            assert not saved.get("ValidationErrors"), saved
            return str(saved["InvoiceID"])
        case _:
            return memory_ledger.BOOKS[connector.tenant_id].enter(record)  # type: ignore[attr-defined]


def _key(chunk: Sequence[LedgerEntry]) -> str:
    """An idempotency key of its own for each batch entered (the vendor would replay another batch's answer)."""
    return hashlib.sha256("\x1f".join(e.name for e in chunk).encode()).hexdigest()


def _qbo(connector: Any, entity_type: EntityType, entries: Sequence[LedgerEntry]) -> dict[str, str]:
    name = "Customer" if entity_type is EntityType.CUSTOMER else "Item"
    income = next(a.id for a in connector.list_accounts() if a.type == "income" and a.active)
    found: dict[str, str] = {}
    for start in range(0, len(entries), QBO_BATCH):
        chunk = entries[start : start + QBO_BATCH]
        items = [{"bId": e.key, "operation": "create", name: _qbo_body(entity_type, e, income)} for e in chunk]
        answer = connector._client.post("batch", {"BatchItemRequest": items}, request_id=_key(chunk)[:36])
        for item in answer["BatchItemResponse"]:
            assert name in item, item
            found[item["bId"]] = str(item[name]["Id"])
    return found


def _qbo_body(entity_type: EntityType, entry: LedgerEntry, income: str) -> dict[str, Any]:
    if entity_type is EntityType.ITEM:
        body: dict[str, Any] = {"Name": entry.name, "Type": "Service", "IncomeAccountRef": {"value": income}}
        return body | ({"Sku": entry.stamp} if entry.stamp else {})
    body = {"DisplayName": entry.name, "Notes": f"{entry.stamp or ''} Entered by hand".strip()}
    return body | ({"PrimaryEmailAddr": {"Address": entry.email.strip()}} if entry.email else {})


def _xero(connector: Any, entity_type: EntityType, entries: Sequence[LedgerEntry]) -> dict[str, str]:
    collection, id_field = ("Contacts", "ContactID") if entity_type is EntityType.CUSTOMER else ("Items", "ItemID")
    found: dict[str, str] = {}
    for start in range(0, len(entries), XERO_BATCH):
        chunk = entries[start : start + XERO_BATCH]
        elements = [_xero_element(entity_type, e) for e in chunk]
        key = _key(chunk)
        answer = connector._client.write("PUT", collection, {collection: elements}, {"summarizeErrors": "false"}, key)
        for entry, doc in zip(chunk, answer[collection], strict=True):
            assert not doc.get("ValidationErrors"), doc
            found[entry.key] = str(doc[id_field])
    return found


def _xero_element(entity_type: EntityType, entry: LedgerEntry) -> dict[str, Any]:
    if entity_type is EntityType.ITEM:
        return {"Code": entry.stamp or "BK-" + _key([entry])[:12], "Name": entry.name}
    element: dict[str, Any] = {"Name": entry.name} | ({"ContactNumber": entry.stamp} if entry.stamp else {})
    return element | ({"EmailAddress": entry.email.strip()} if entry.email else {})


def _memory(connector: Any, entity_type: EntityType, entries: Sequence[LedgerEntry]) -> dict[str, str]:
    books = memory_ledger.BOOKS[connector.tenant_id]
    found: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        record = (
            CustomerRecord(-number, entry.name, email=entry.email)
            if entity_type is EntityType.CUSTOMER
            else ItemRecord(-number, entry.name, "", Decimal("0"), "A-400")
        )
        found[entry.key] = books.enter(record, entry.stamp)
    return found
