"""`LedgerConnector` for Xero: up to 50 elements per call, element-level outcomes, exact totals.

Creates go in ONE PUT and updates (by id) in ONE POST, never mixed, each with `summarizeErrors=false`,
so every element comes back with its own id or ValidationErrors, and a deterministic `Idempotency-Key`
derived from the ops' keys, so a throttled call re-sent is answered from Xero's idempotency cache.
Invoice lines carry Service Opus's per-line tax, and an explicit, logged rounding adjustment whenever a
line amount Xero can hold would make its total differ (see `rounding`); the total Xero answers is
checked and corrected once more if it still differs. Look-ups include archived records and ignore
voided and deleted ones. See `wire` for the record <-> JSON mapping and the stamps.

Credit notes go like invoices (ACCRECCREDIT, same lines and totals check). A credit note's credit is applied
to its invoice by `PUT /CreditNotes/{id}/Allocations`, one call per application with its own key; an
allocation has no reference field, so it is found again on its credit note by the invoice it goes to (a
Service Opus credit note credits one invoice).
"""

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ledger_sync.connectors.http import ClientConnector
from ledger_sync.connectors.ledger_kinds import by_kind, read_back_by_kind, write_by_kind
from ledger_sync.connectors.xero import fields, wire
from ledger_sync.connectors.xero.client import XeroClient
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.rounding import adjustment, xero_lines
from ledger_sync.core.ledger import (
    GONE_STATUSES,
    ErrorKind,
    LedgerAccount,
    LedgerError,
    LedgerListing,
    LedgerRef,
    LedgerSnapshot,
    LedgerTaxRate,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.matching import stamp_in
from ledger_sync.core.records import (
    CreditApplicationRecord,
    CreditNoteRecord,
    EntityType,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
)
from ledger_sync.core.tokens import TokenProvider

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_LENGTH = 128
PAGE_SIZE = 100
WHERE_CHUNK = 25
"""Values per `where` clause of OR-ed equalities, to keep URLs short."""
PAGED = frozenset({"Contacts", "Invoices", "Payments", "CreditNotes"})
WITH_ARCHIVED = frozenset({"Contacts", "Invoices"})
"""Collections whose GET leaves ARCHIVED records out unless asked (`includeArchived=true`, spec)."""
ROUNDING_SYSTEM_ACCOUNT = "ROUNDING"
TOTALLED = frozenset({EntityType.INVOICE, EntityType.CREDIT_NOTE})
"""Kinds whose total Xero answers is checked against Service Opus's (and corrected once)."""


def idempotency_key(ops: Sequence[WriteOp], purpose: str = "write") -> str:
    """The same ops (same record versions) always give the same key, well within Xero's 128 characters."""
    digest = hashlib.sha256("\x1f".join([purpose, *(op.idempotency_key for op in ops)]).encode()).hexdigest()
    return f"ledger-sync-{purpose}-{digest}"[:IDEMPOTENCY_KEY_LENGTH]


def where_equals(field: str, values: Sequence[str]) -> str:
    """`Field=="a" OR Field=="b"`, with quotes and backslashes escaped."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return " OR ".join(f"{field}=={value}" for value in quoted)


class XeroConnector(ClientConnector):
    ledger: ClassVar[str] = "xero"
    max_batch_size: ClassVar[int] = 50
    _client: XeroClient

    def __init__(
        self,
        config: XeroConfig,
        tenant_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tenant_id = tenant_id
        self._client = XeroClient(config, tenant_id, tokens, http=http, sleep=sleep, monotonic=monotonic)
        self._accounts: list[dict[str, Any]] | None = None
        self._item_accounts: dict[str, str] | None = None
        """Item Code -> sales AccountCode, for invoice lines (read once, kept current by item writes)."""

    def __repr__(self) -> str:
        return f"XeroConnector(tenant_id={self.tenant_id!r}, calls={self.calls})"

    @property
    def day_remaining(self) -> int | None:
        """Calls left today for this tenant, as Xero last reported."""
        return self._client.day_remaining

    def list_accounts(self) -> list[LedgerAccount]:
        self._accounts = self._client.get("Accounts").get("Accounts", [])
        return [wire.to_account(account) for account in self._accounts]

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        return [wire.to_tax_rate(rate) for rate in self._client.get("TaxRates").get("TaxRates", [])]

    def read(self, entity: str, ledger_id: str) -> dict[str, Any]:
        """The raw Xero JSON of one record; `entity` is a Xero collection ("Invoices") or an EntityType."""
        collection = wire.COLLECTIONS.get(entity, entity)  # type: ignore[call-overload]
        found = self._client.get(f"{collection}/{ledger_id}", {"unitdp": "4"}).get(collection) or []
        if not found or not isinstance(found[0], dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered a read of {collection} {ledger_id} without it")
        return found[0]

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        if len(ops) > self.max_batch_size:
            raise ValueError(f"{len(ops)} ops exceed the Xero connector's batch limit of {self.max_batch_size}")
        wrong = [op.record.external_id for op in ops if op.record.entity_type != entity_type]
        if wrong:
            raise ValueError(f"ops {wrong} are not of type {entity_type.value}")
        return write_by_kind(entity_type, ops, self._write_kind)

    def _write_kind(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        """Ops of one kind of Xero record (an invoice below zero is a credit note: see `ledger_kinds`)."""
        if entity_type is EntityType.CREDIT_APPLICATION:
            return [self._allocate(op) for op in ops]
        outcomes: dict[int, WriteOutcome] = {index: self._void(op) for index, op in enumerate(ops) if op.voids}
        elements: dict[int, dict[str, Any]] = {}
        totals: dict[int, Any] = {}
        for index, op in enumerate(ops):
            if index in outcomes:
                continue
            try:
                elements[index] = self._element(op)
            except LedgerError as error:
                if error.kind is not ErrorKind.VALIDATION:
                    raise
                outcomes[index] = WriteOutcome(op=op, error=error)
        creates = [index for index in elements if ops[index].existing is None]
        updates = [index for index in elements if ops[index].existing is not None]
        for indexes in (creates, updates):
            if not indexes:
                continue
            sent = [ops[index] for index in indexes]
            answered = self._send(entity_type, sent, [elements[index] for index in indexes], idempotency_key(sent))
            for index, (outcome, result) in zip(indexes, answered, strict=True):
                outcomes[index] = outcome
                if entity_type in TOTALLED and outcome.ref is not None and result is not None:
                    totals[index] = result.get("Total")
        self._correct_totals(entity_type, outcomes, totals)
        return [outcomes[index] for index in range(len(ops))]

    def _void(self, op: WriteOp) -> WriteOutcome:
        """Void the invoice `op.existing` names. Xero refuses while payments are allocated to it, so each payment
        still on it is deleted first (`POST /Payments/{id}` `{"Status": "DELETED"}`), then the invoice is POSTed
        with `Status: VOIDED`. The invoice is read first and the keys derive from the op and what was read, so a
        re-run after an unknown outcome does only what is left; an invoice found voided already is the outcome."""
        assert op.existing is not None
        try:
            invoice = self.read("Invoices", op.existing.id)
            if str(invoice.get("Status") or "").upper() == "VOIDED":
                return WriteOutcome(op=op, ref=wire.element_ref(EntityType.INVOICE, invoice))
            for allocated in invoice.get("Payments") or []:
                payment_id = str(allocated["PaymentID"])
                if str(self.read("Payments", payment_id).get("Status") or "").upper() not in GONE_STATUSES:
                    key = idempotency_key([op], f"delete-payment-{payment_id}")
                    self._client.write("POST", f"Payments/{payment_id}", {"Status": "DELETED"}, {}, key)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        element = {"InvoiceID": op.existing.id, "Status": "VOIDED"}
        ((outcome, _),) = self._send(EntityType.INVOICE, [op], [element], idempotency_key([op], "void"))
        return outcome

    def _allocate(self, op: WriteOp) -> WriteOutcome:
        """One application of credit: its own call and key. A refusal (more than the invoice's amount due or
        the note's remaining credit) is the op's outcome; anything else fails the whole call."""
        record = op.record
        assert isinstance(record, CreditApplicationRecord)
        if op.existing is not None:
            return WriteOutcome(op=op, ref=op.existing)  # an allocation is never changed, only made once
        path = f"CreditNotes/{record.credit_note_ref}/Allocations"
        try:
            answer = self._client.write("PUT", path, wire.allocation(record), {}, idempotency_key([op], "allocate"))
        except LedgerError as error:
            if error.kind is ErrorKind.VALIDATION:
                return WriteOutcome(op=op, error=error)
            raise
        made = [found for found in answer.get("Allocations") or [] if isinstance(found, dict)]
        if not made:
            unknown = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered without the allocation; outcome unknown")
            return WriteOutcome(op=op, error=unknown)
        return WriteOutcome(op=op, ref=LedgerRef(str(made[0].get("AllocationID") or record.credit_note_ref)))

    def _applications(self, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        """Each application's allocations as its credit note holds them, read by the notes' ids."""
        wanted = [record for record in records if isinstance(record, CreditApplicationRecord)]
        notes = {
            str(doc.get("CreditNoteID")): doc
            for doc in self._list("CreditNotes", {"IDs": ",".join(sorted({r.credit_note_ref for r in wanted}))})
        }
        found: dict[int, list[LedgerSnapshot]] = {}
        for record in wanted:
            allocations = wire.applications(record, notes.get(record.credit_note_ref) or {})
            if allocations:
                found[record.source_id] = [wire.application_snapshot(record, a) for a in allocations]
        return found

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        """Voided and deleted records are not in the books: a record found only so is created again."""
        return by_kind(entity_type, records, self._find_kind)

    def _find_kind(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        if entity_type is EntityType.CREDIT_APPLICATION:
            return {sid: LedgerRef(found[0].ledger_id) for sid, found in self._applications(records).items()}
        found: dict[int, LedgerRef] = {}
        for source_id, docs in self._stamped(entity_type, records).items():
            live = [doc for doc in docs if str(doc.get("Status") or "").upper() not in GONE_STATUSES]
            ref = wire.element_ref(entity_type, live[0]) if live else None
            if ref is not None:
                found[source_id] = ref
        return found

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        return read_back_by_kind(entity_type, records, self._read_kind)

    def _read_kind(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        if entity_type is EntityType.CREDIT_APPLICATION:
            return self._applications(records)
        stamped = self._stamped(entity_type, records)
        return {source_id: [wire.to_snapshot(entity_type, doc) for doc in docs] for source_id, docs in stamped.items()}

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """`GET /Invoices?where=Type=="ACCREC" AND (InvoiceNumber=="..." OR ...)`, 25 numbers a call."""
        numbers = [fields.invoice_number(record) for record in records]
        docs = self._where("Invoices", "InvoiceNumber", numbers, also='Type=="ACCREC"')
        found: dict[int, list[LedgerSnapshot]] = {}
        for record, number in zip(records, numbers, strict=True):
            same = [d for d in docs if str(d.get("InvoiceNumber", "")).casefold() == number.casefold()]
            if same:
                found[record.source_id] = [wire.to_snapshot(EntityType.INVOICE, d) for d in same]
        return found

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]:
        """`GET /Contacts?page=N` (100 a page, archived included); `GET /Items` (Xero does not page items)."""
        collection, stamp_field = wire.COLLECTIONS[entity_type], wire.STAMP_FIELDS[entity_type]
        id_field = "ContactID" if entity_type is EntityType.CUSTOMER else "ItemID"
        return [
            LedgerListing(
                id=str(doc[id_field]),
                name=str(doc.get("Name") or ""),
                email=doc.get("EmailAddress") or None,
                stamp=stamp_in(entity_type, doc.get(stamp_field)),
            )
            for doc in self._list(collection, {})
        ]

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        """`POST` the record by its id with the stamp field: a contact's ContactNumber, an invoice's Reference, an
        item's Code (which invoice lines then name, so the ref returned for an item is the new Code). Whatever the
        field held is replaced; the review page says so before the admin accepts. An item without a sales account
        also gets the record's (the mapped income account): invoice lines post where their item says, and Xero
        refuses a line with neither. Read first, so a re-run stops at a stamp already there; the Idempotency-Key
        replays a lost answer."""
        entity_type, external_id = record.entity_type, record.external_id
        collection, stamp_field = wire.COLLECTIONS[entity_type], wire.STAMP_FIELDS[entity_type]
        id_field = "ItemID" if entity_type is EntityType.ITEM else wire.REF_FIELDS[entity_type]
        current = self.read(collection, ledger_id)
        element: dict[str, Any] = {id_field: ledger_id, stamp_field: external_id}
        if isinstance(record, ItemRecord):
            # Sent unchanged: Xero does not document whether an item update may leave Name out (stricter).
            element["Name"] = current.get("Name")
            if not (current.get("SalesDetails") or {}).get("AccountCode"):
                element["SalesDetails"] = {"AccountCode": self._account_code(record.income_account_ref)}
        ref = LedgerRef(external_id if entity_type is EntityType.ITEM else ledger_id)
        if current.get(stamp_field) == external_id and "SalesDetails" not in element:
            return ref
        key = idempotency_key([], f"stamp-{collection}-{ledger_id}-{external_id}")
        answer = self._client.write("POST", collection, {collection: [element]}, {"summarizeErrors": "false"}, key)
        saved = (answer.get(collection) or [None])[0]
        if not isinstance(saved, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered the stamp of {ledger_id} without it")
        if (error := wire.element_error(saved)) is not None:
            raise error
        if entity_type is EntityType.ITEM and self._item_accounts is not None:
            self._remember_items([saved])
        return ref

    def _stamped(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[dict[str, Any]]]:
        """The Xero records stamped with each record's external id, in Xero's order (any status)."""
        if not records:
            return {}
        stamp = wire.STAMP_FIELDS[entity_type]
        collection = wire.COLLECTIONS[entity_type]
        if entity_type is EntityType.INVOICE:
            keys = [fields.invoice_number(record) for record in records if isinstance(record, InvoiceRecord)]
            docs = self._where(collection, "InvoiceNumber", keys, also='Type=="ACCREC"')
        else:
            docs = self._where(collection, stamp, [record.external_id for record in records])
        if entity_type is EntityType.ITEM and self._item_accounts is not None:
            self._remember_items(docs)
        by_stamp: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            if doc.get(stamp):
                by_stamp.setdefault(str(doc[stamp]), []).append(doc)
        return {record.source_id: by_stamp[record.external_id] for record in records if record.external_id in by_stamp}

    def _element(self, op: WriteOp) -> dict[str, Any]:
        """The JSON element for one op; LedgerError(VALIDATION) when it cannot be expressed in Xero."""
        record = op.record
        if (problem := fields.too_long(record)) is not None:
            raise LedgerError(ErrorKind.VALIDATION, problem)
        match record:
            case InvoiceRecord() | CreditNoteRecord():
                return self._invoice(record, op.existing)
            case ItemRecord():
                return wire.item(record, self._account_code(record.income_account_ref))
            case PaymentRecord():
                if op.existing is not None:
                    raise LedgerError(
                        ErrorKind.VALIDATION,
                        "Xero cannot change a payment; delete it in Xero and it will be entered again",
                    )
                return wire.payment(record)
            case CreditApplicationRecord():
                raise ValueError("credit applications are allocations, not elements (see `_allocate`)")
            case _:
                return wire.contact(record, op.existing)

    def _invoice(
        self, record: InvoiceRecord | CreditNoteRecord, existing: LedgerRef | None, extra: Decimal = Decimal(0)
    ) -> dict:
        """An invoice's or credit note's element, with the rounding adjustment its total needs."""
        lines = xero_lines(record)
        difference = adjustment(record, lines) + extra
        rounding = (difference, self._rounding_code()) if difference else None
        if difference:
            logger.info(
                "%s %s: rounding adjustment of %s so Xero's total equals Service Opus's %s",
                type(record).__name__.removesuffix("Record"),
                record.number,
                difference,
                record.total,
            )
        if isinstance(record, CreditNoteRecord):
            return wire.credit_note(record, lines, self._sales_accounts(), rounding, existing)
        discount_account = self._account_code(record.discounts[0].account_ref) if record.discounts else None
        return wire.invoice(record, lines, self._sales_accounts(), rounding, existing, discount_account)

    def _send(
        self, entity_type: EntityType, ops: Sequence[WriteOp], elements: list[dict[str, Any]], key: str
    ) -> list[tuple[WriteOutcome, dict[str, Any] | None]]:
        """One call for all `elements`, all creates (PUT) or all updates (POST, by id); each op's outcome with
        the element Xero answered for it. Never a create by POST: it would overwrite an invoice a bookkeeper
        entered with the same InvoiceNumber (Xero-NetStandard#127)."""
        collection = wire.COLLECTIONS[entity_type]
        if len({op.existing is None for op in ops}) != 1:
            raise ValueError("creates and updates go to Xero in separate calls")
        method = "PUT" if ops[0].existing is None else "POST"
        params = {"summarizeErrors": "false"}
        if entity_type in TOTALLED and any(_has_fine_prices(element) for element in elements):
            params["unitdp"] = "4"
        answer = self._client.write(method, collection, {collection: elements}, params, key)
        results = answer.get(collection) or []
        answered = []
        for position, op in enumerate(ops):
            result = results[position] if position < len(results) and isinstance(results[position], dict) else None
            answered.append((self._outcome(entity_type, op, result), result))
        return answered

    def _outcome(self, entity_type: EntityType, op: WriteOp, result: dict[str, Any] | None) -> WriteOutcome:
        if result is None:
            unknown = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered without a result for this op; outcome unknown")
            return WriteOutcome(op=op, error=unknown)
        error = wire.element_error(result)
        ref = wire.element_ref(entity_type, result) if error is None else None
        if error is None and ref is None:
            error = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered without an id for this op; outcome unknown")
        if ref is not None and entity_type is EntityType.ITEM and self._item_accounts is not None:
            self._remember_items([result])
        return WriteOutcome(op=op, ref=ref, error=error)

    def _correct_totals(
        self, entity_type: EntityType, outcomes: dict[int, WriteOutcome], totals: dict[int, Any]
    ) -> None:
        """Invoices (and credit notes) whose Xero total still differs from the record's (Xero rounded otherwise than
        predicted) get one corrective update carrying the remaining difference. One that still differs
        (or whose correction failed) becomes a refusal naming both totals, so it is parked, never silent."""
        fixes: dict[int, tuple[WriteOp, Decimal]] = {}
        for index, total in totals.items():
            outcome = outcomes[index]
            record = outcome.op.record
            if (
                isinstance(record, InvoiceRecord | CreditNoteRecord)
                and isinstance(total, Decimal)
                and total != record.total
            ):
                fixes[index] = (WriteOp(record, outcome.op.idempotency_key, outcome.ref), record.total - total)
        if not fixes:
            return
        ops = [op for op, _ in fixes.values()]
        elements = [self._invoice(op.record, op.existing, extra) for op, extra in fixes.values()]  # type: ignore[arg-type]
        sent = self._send(entity_type, ops, elements, idempotency_key(ops, "rounding"))
        for index, (outcome, result) in zip(fixes, sent, strict=True):
            record = outcome.op.record
            assert isinstance(record, InvoiceRecord | CreditNoteRecord)
            total = result.get("Total") if result else None
            if outcome.error is None and total == record.total:
                continue
            what = entity_type.value.replace("_", " ")
            logger.error("%s %s: Xero's total %s still differs from Service Opus's", what, record.number, total)
            outcomes[index] = WriteOutcome(
                op=outcomes[index].op,
                error=LedgerError(
                    ErrorKind.VALIDATION,
                    f"Xero holds {what} {record.number} with total {total if total is not None else totals[index]}; "
                    f"Service Opus has total {record.total}",
                    code="totals-differ",
                ),
            )

    def _rounding_code(self) -> str:
        account = next(
            (
                a
                for a in self._chart()
                if a.get("SystemAccount") == ROUNDING_SYSTEM_ACCOUNT and a.get("Status") == "ACTIVE"
            ),
            None,
        )
        if account is None or not account.get("Code"):
            raise LedgerError(ErrorKind.VALIDATION, "Xero has no active ROUNDING system account with a code")
        return str(account["Code"])

    def _account_code(self, account_id: str) -> str:
        account = next((a for a in self._chart() if str(a.get("AccountID")) == account_id), None)
        if account is None or not account.get("Code"):
            raise LedgerError(ErrorKind.VALIDATION, f"Xero has no account {account_id} with a code to post sales to")
        return str(account["Code"])

    def _chart(self) -> list[dict[str, Any]]:
        if self._accounts is None:
            self.list_accounts()
        return self._accounts or []

    def _sales_accounts(self) -> dict[str, str]:
        """Each item's sales account code (read once): invoice lines post where their item says."""
        if self._item_accounts is None:
            self._item_accounts = {}
            self._remember_items(self._client.get("Items").get("Items", []))
        return self._item_accounts

    def _remember_items(self, items: list[dict[str, Any]]) -> None:
        assert self._item_accounts is not None
        for doc in items:
            code = (doc.get("SalesDetails") or {}).get("AccountCode")
            if doc.get("Code") and code:
                self._item_accounts[str(doc["Code"])] = str(code)

    def _where(self, collection: str, field: str, values: Sequence[str], also: str | None = None) -> list[dict]:
        docs: list[dict[str, Any]] = []
        unique = sorted(set(values))
        for start in range(0, len(unique), WHERE_CHUNK):
            condition = where_equals(field, unique[start : start + WHERE_CHUNK])
            docs += self._list(collection, {"where": f"{also} AND ({condition})" if also else condition})
        return docs

    def _list(self, collection: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every match (archived ones included), page by page where Xero pages the collection."""
        if collection in WITH_ARCHIVED:
            params = {**params, "includeArchived": "true"}
        if collection not in PAGED:
            return self._client.get(collection, params).get(collection, [])
        docs: list[dict[str, Any]] = []
        page = 1
        while True:
            found = self._client.get(collection, {**params, "page": str(page), "pageSize": str(PAGE_SIZE)})
            batch = found.get(collection, [])
            docs += batch
            if len(batch) < PAGE_SIZE:
                return docs
            page += 1


def _has_fine_prices(element: dict[str, Any]) -> bool:
    return any(
        isinstance(line.get("UnitAmount"), Decimal)
        and line["UnitAmount"] != line["UnitAmount"].quantize(Decimal("0.01"))
        for line in element.get("LineItems", [])
    )
