"""`LedgerConnector` for QuickBooks Online: batched writes, stamped external ids, stale-token recovery.

Writes of several ops go in ONE `/batch` call whose `requestid` is derived from the ops' idempotency
keys, so a retried batch is answered from QBO's idempotency cache; a single op uses the entity
endpoint with its own key. Per-item Faults become outcomes; a stale SyncToken (5010) on an update is
re-read and retried once. See `wire` for the record <-> JSON mapping and the stamps. A credit note's credit
is applied to its invoice by a payment of 0 linking both (its own record kind, stamped like payments).

Invoices and credit memos follow the company's tax model (`tax_model`, read once per connector, i.e. before
every run). Every invoice (and credit memo) QBO saves is compared with Service Opus: a tax or total that
differs comes back as a refusal carrying both figures (the override was already sent, so there is nothing
left to correct), and the engine parks it; it is never silent.
"""

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

import httpx

from ledger_sync.connectors.http import ClientConnector
from ledger_sync.connectors.ledger_kinds import by_kind, read_back_by_kind, write_by_kind
from ledger_sync.connectors.qbo import fields
from ledger_sync.connectors.qbo.client import BATCH_LIMIT, QboClient, batch_answers, batch_request
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.currencies import read_currencies
from ledger_sync.connectors.qbo.faults import fault_error
from ledger_sync.connectors.qbo.payment_methods import PaymentMethods
from ledger_sync.connectors.qbo.query import (
    ALL_ACTIVE_STATES,
    Queryable,
    queries_in,
    quote,
    select_all,
    select_in,
    select_within,
)
from ledger_sync.connectors.qbo.read_ahead import ReadAhead
from ledger_sync.connectors.qbo.tax_model import QboTaxModel, read_tax_model
from ledger_sync.connectors.qbo.tracking import read_tracking_options
from ledger_sync.connectors.qbo.wire import (
    QBO_ENTITY,
    STAMP_FIELDS,
    MixedUsTaxCodes,
    invoice_totals,
    is_stamped,
    is_voided,
    ledger_ref,
    linked_payment_ids,
    to_account,
    to_qbo,
    to_snapshot,
    to_tax_rates,
    us_tax_code,
)
from ledger_sync.core.currency import home_amount
from ledger_sync.core.ledger import (
    ErrorKind,
    InvoiceNumbers,
    LedgerAccount,
    LedgerCurrencies,
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
    LedgerRecord,
    PaymentRecord,
    PayoutRecord,
    RefundRecord,
    TipRecord,
    external_id_of,
)
from ledger_sync.core.tokens import TokenProvider
from ledger_sync.core.tracking import LedgerTrackingOption

ELEMENT_KINDS = frozenset({ErrorKind.VALIDATION, ErrorKind.DUPLICATE, ErrorKind.CONFLICT, ErrorKind.LOCKED})
"""Failures that belong to one record; anything else fails the whole call."""
BATCH_REQUEST_ID_LENGTH = 36
SINGLE_REQUEST_ID_LENGTH = 50
LOOKUP_FIELDS: dict[EntityType, tuple[str, Callable[[Any], str]]] = {
    EntityType.CUSTOMER: ("DisplayName", fields.display_name),
    EntityType.ITEM: ("Name", fields.item_name),
    EntityType.INVOICE: ("DocNumber", fields.doc_number),
    EntityType.CREDIT_NOTE: ("DocNumber", fields.doc_number),
    EntityType.REFUND: ("DocNumber", fields.doc_number),
}
"""The unique-ish field each entity is found by (as it was sent) before its stamp is checked (payments and tips:
see below)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def batch_request_id(ops: Sequence[WriteOp]) -> str:
    return _digest(*(op.idempotency_key for op in ops))[:BATCH_REQUEST_ID_LENGTH]


def single_request_id(key: str) -> str:
    """The key itself when it fits; a digest otherwise, since truncated keys could collide."""
    return key if len(key) <= SINGLE_REQUEST_ID_LENGTH else _digest(key)[:SINGLE_REQUEST_ID_LENGTH]


def stale_retry_request_id(key: str, sync_token: str) -> str:
    return _digest(key, "stale-retry", sync_token)[:BATCH_REQUEST_ID_LENGTH]


class QboConnector(ClientConnector):
    ledger: ClassVar[str] = "qbo"
    max_batch_size: ClassVar[int] = BATCH_LIMIT
    _client: QboClient

    def __init__(
        self,
        config: QboConfig,
        realm_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        tax_model: QboTaxModel | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        read_ahead: bool = False,
    ) -> None:
        """`tax_model` None: read it from the company when first needed. `read_ahead`: a sync's first queries go in
        one call (`read_ahead.ReadAhead`); without it, each is a call of its own."""
        self.realm_id = realm_id
        self._tax_model = tax_model
        self._client = QboClient(config, realm_id, tokens, http=http, sleep=sleep, monotonic=monotonic)
        self._reads: Queryable = ReadAhead(self._client) if read_ahead else self._client
        self._methods = PaymentMethods(self._client, realm_id, self._reads)

    def __repr__(self) -> str:
        return f"QboConnector(realm_id={self.realm_id!r}, calls={self.calls})"

    def list_accounts(self) -> list[LedgerAccount]:
        return [to_account(account) for account in select_all(self._reads, "Account", ALL_ACTIVE_STATES)]

    @property
    def tax_model(self) -> QboTaxModel:
        """The company's sales tax model (`CompanyInfo.Country`, `Preferences.TaxPrefs`), read once."""
        if self._tax_model is None:
            self._tax_model = read_tax_model(self._reads)
        return self._tax_model

    def account_balances(self, account_ids: Sequence[str]) -> dict[str, Decimal]:
        """`CurrentBalance` of each account (inactive ones too), by a query on their ids."""
        found = select_in(self._client, "Account", "Id", account_ids, ALL_ACTIVE_STATES)
        return {str(account["Id"]): Decimal(str(account.get("CurrentBalance", 0))) for account in found}

    def currencies(self) -> LedgerCurrencies:
        return read_currencies(self._reads)

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        codes = select_all(self._reads, "TaxCode", ALL_ACTIVE_STATES)
        rates = select_all(self._reads, "TaxRate", ALL_ACTIVE_STATES)
        return to_tax_rates(codes, rates, self.tax_model)

    def list_tracking_options(self) -> list[LedgerTrackingOption]:
        return read_tracking_options(self._reads)

    def read(self, entity: str, ledger_id: str) -> dict[str, Any]:
        """The raw QBO JSON of one entity; `entity` is a QBO name ("Invoice") or an EntityType."""
        name = QBO_ENTITY.get(entity, entity)  # type: ignore[call-overload]
        body = self._client.get(f"{name.lower()}/{ledger_id}").get(name)
        if not isinstance(body, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"QBO answered a read of {name} {ledger_id} without the entity")
        return body

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        if len(ops) > self.max_batch_size:
            raise ValueError(f"{len(ops)} ops exceed QBO's batch limit of {self.max_batch_size}")
        wrong = [op.record.external_id for op in ops if op.record.entity_type != entity_type]
        if wrong:
            raise ValueError(f"ops {wrong} are not of type {entity_type.value}")
        return write_by_kind(entity_type, ops, self._write_kind)

    def _write_kind(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        """Ops of one kind of QBO entity (an invoice below zero is a CreditMemo: see `ledger_kinds`)."""
        if not ops:
            return []
        void = self._delete_credit_memo if entity_type is EntityType.CREDIT_NOTE else self._void
        settled = {index: void(op) for index, op in enumerate(ops) if op.voids}
        settled |= {
            index: outcome
            for index, op in enumerate(ops)
            if index not in settled and (outcome := self._unsendable(op)) is not None
        }
        sendable = [op for index, op in enumerate(ops) if index not in settled]
        self._methods.ensure(op.record.method for op in sendable if isinstance(op.record, PaymentRecord))
        if len(sendable) == 1:
            op = sendable[0]
            sent = [self._write_one(entity_type, op, op.existing, single_request_id(op.idempotency_key))]
        else:
            sent = self._write_batch(entity_type, sendable) if sendable else []
        answers = iter(self._retry_stale(entity_type, outcome) for outcome in sent)
        outcomes = [settled[index] if index in settled else next(answers) for index in range(len(ops))]
        return self._adopt_own_duplicates(entity_type, outcomes)

    def _void(self, op: WriteOp) -> WriteOutcome:
        """Take the record `op.existing` names out of the books: a payment that failed or was charged back is voided
        (QBO then reopens the invoice it paid); its tip's Deposit deleted (`_delete_tip`); an invoice as
        `_void_invoice` says."""
        if isinstance(op.record, TipRecord):
            return self._delete_tip(op)
        if not isinstance(op.record, PaymentRecord):
            return self._void_invoice(op)
        assert op.existing is not None
        try:
            voided = self._voided_payment(op, op.existing.id)
        except LedgerError as error:
            return _element_failure(op, error)
        return WriteOutcome(op=op, ref=ledger_ref(voided))

    def _voided_payment(self, op: WriteOp, payment_id: str) -> dict[str, Any]:
        """The payment, voided: read first, so one found voided already (a re-run after an unknown outcome) is left
        as it is."""
        payment = self.read("Payment", payment_id)
        if is_voided(payment):
            return payment
        return self._void_entity(op, "Payment", payment, {"operation": "update", "include": "void"})

    def _void_invoice(self, op: WriteOp) -> WriteOutcome:
        """Void the invoice `op.existing` names: re-read it (fresh SyncToken, the payments applied to it), void each
        of those payments (QBO would leave them as unapplied credit; the sandbox refuses the void until they are
        gone), and each of its payments the books hold apart from it (`_payments_apart`), then void the invoice.
        Every step is read before it is taken and its `requestid` derives from the op and what was read, so a re-run
        after an unknown outcome does only what is left; an invoice found voided already is the outcome."""
        assert op.existing is not None
        invoice_id = op.existing.id
        try:
            invoice = self.read("Invoice", invoice_id)
            if is_voided(invoice):
                return WriteOutcome(op=op, ref=ledger_ref(invoice))
            applied = [self._voided_payment(op, payment_id) for payment_id in linked_payment_ids(invoice)]
            for payment_id in self._payments_apart(op, invoice, applied):
                self._voided_payment(op, payment_id)
            invoice = self.read("Invoice", invoice_id)  # voiding its payments changed its SyncToken
            voided = self._void_entity(op, "Invoice", invoice, {"operation": "void"})
        except LedgerError as error:
            return _element_failure(op, error)
        return WriteOutcome(op=op, ref=ledger_ref(voided))

    def _payments_apart(
        self, op: WriteOp, invoice: Mapping[str, Any], linked: Sequence[Mapping[str, Any]]
    ) -> list[str]:
        """The live payments of the invoice's customer stamped with one of the payments the voided invoice's record
        names (`InvoiceRecord.removes_payments`) that is not among those `linked` to it: a deposit whose application
        to the invoice was never sent is held as the customer's unapplied credit. One query, only when a named
        payment is not linked (the void of an invoice paid by plain payments costs no call more)."""
        record = op.record
        assert isinstance(record, InvoiceRecord)
        named = (external_id_of(EntityType.PAYMENT, source_id) for source_id in record.removes_payments)
        stamps = [s for s in named if not any(is_stamped(EntityType.PAYMENT, payment, s) for payment in linked)]
        if not stamps:
            return []
        customer = str((invoice.get("CustomerRef") or {}).get("value", ""))
        return [
            str(payment["Id"])
            for payment in select_in(self._client, "Payment", "CustomerRef", [customer])
            if not is_voided(payment) and any(is_stamped(EntityType.PAYMENT, payment, s) for s in stamps)
        ]

    def _delete_tip(self, op: WriteOp) -> WriteOutcome:
        """A reversed payment's tip: its Deposit deleted (`operation=delete`; the money leaves the bank account). Read
        first, so one found deleted already (610: a re-run after an unknown outcome) is the outcome."""
        assert op.existing is not None
        try:
            try:
                deposit = self.read("Deposit", op.existing.id)
            except LedgerError as error:
                if error.code == "610":
                    return WriteOutcome(op=op, ref=op.existing)
                raise
            request_id = stale_retry_request_id(
                op.idempotency_key, f"delete-Deposit-{deposit['Id']}-{deposit['SyncToken']}"
            )
            body = {"Id": deposit["Id"], "SyncToken": deposit["SyncToken"]}
            self._client.post("deposit", body, request_id=request_id, params={"operation": "delete"})
        except LedgerError as error:
            return _element_failure(op, error)
        return WriteOutcome(op=op, ref=LedgerRef(str(deposit["Id"]), str(deposit["SyncToken"])))

    def _delete_credit_memo(self, op: WriteOp) -> WriteOutcome:
        """A credit note voided in Service Opus. QBO's API voids no CreditMemo (its reference lists create, read,
        update, delete and query for it), so the credit memo is deleted, after voiding each payment that applies
        it (ours apply a credit memo with a payment of 0; QBO would otherwise keep the invoice credited). Read
        first, like an invoice's void; one found deleted already (610) is the outcome."""
        assert op.existing is not None
        try:
            try:
                memo = self.read("CreditMemo", op.existing.id)
            except LedgerError as error:
                if error.code == "610":
                    return WriteOutcome(op=op, ref=op.existing)
                raise
            for payment_id in linked_payment_ids(memo):
                self._voided_payment(op, payment_id)
            memo = self.read("CreditMemo", op.existing.id)  # voiding its payments changed its SyncToken
            request_id = stale_retry_request_id(
                op.idempotency_key, f"delete-CreditMemo-{memo['Id']}-{memo['SyncToken']}"
            )
            body = {"Id": memo["Id"], "SyncToken": memo["SyncToken"]}
            self._client.post("creditmemo", body, request_id=request_id, params={"operation": "delete"})
        except LedgerError as error:
            return _element_failure(op, error)
        return WriteOutcome(op=op, ref=LedgerRef(str(memo["Id"]), str(memo["SyncToken"])))

    def _void_entity(
        self, op: WriteOp, name: str, entity: Mapping[str, Any], params: Mapping[str, str]
    ) -> dict[str, Any]:
        """One void call; the voided entity QBO answers with."""
        request_id = stale_retry_request_id(op.idempotency_key, f"void-{name}-{entity['Id']}-{entity['SyncToken']}")
        body = {"Id": entity["Id"], "SyncToken": entity["SyncToken"], **({"sparse": True} if name == "Payment" else {})}
        voided = self._client.post(name.lower(), body, request_id=request_id, params=params).get(name)
        if not isinstance(voided, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"QBO answered the void of {name} {entity['Id']} without it")
        return voided

    def _unsendable(self, op: WriteOp) -> WriteOutcome | None:
        """The refusal of a record with a field over QBO's limit that no rule may fix, or one this company's tax
        model cannot express, decided before any call."""
        if (problem := fields.too_long(op.record)) is not None:
            return WriteOutcome(op=op, error=LedgerError(ErrorKind.VALIDATION, problem))
        if not isinstance(op.record, InvoiceRecord | CreditNoteRecord) or not self.tax_model.is_us:
            return None
        try:
            us_tax_code(op.record)
        except MixedUsTaxCodes as problem:
            return WriteOutcome(op=op, error=LedgerError(ErrorKind.VALIDATION, str(problem)))
        return None

    def _body(self, op: WriteOp, existing: LedgerRef | None) -> dict[str, Any]:
        """The record's body; a payment also names its QBO payment method (`payment_methods`)."""
        model = self.tax_model if isinstance(op.record, InvoiceRecord | CreditNoteRecord) else QboTaxModel.NON_US
        body = to_qbo(op.record, existing, model)
        if isinstance(op.record, PaymentRecord) and (method := self._methods.ref_of(op.record.method)) is not None:
            body["PaymentMethodRef"] = {"value": method}
        return body

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        """A voided transaction is not in the books (a voided invoice has lost its stamp anyway)."""
        return by_kind(entity_type, records, self._find_kind)

    def _find_kind(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        stamped = self._stamped(entity_type, records).items()
        live = {source_id: [e for e in found if not is_voided(e)] for source_id, found in stamped}
        return {source_id: ledger_ref(found[0]) for source_id, found in live.items() if found}

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        return read_back_by_kind(entity_type, records, self._read_kind)

    def _read_kind(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        stamped = self._stamped(entity_type, records)
        return {source_id: [to_snapshot(entity_type, e) for e in found] for source_id, found in stamped.items()}

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """`SELECT * FROM Invoice WHERE DocNumber IN (...)`, 50 numbers a query."""
        invoices = select_in(self._client, "Invoice", "DocNumber", [fields.doc_number(r) for r in records])
        found: dict[int, list[LedgerSnapshot]] = {}
        for record in records:
            number = fields.doc_number(record)
            same = [i for i in invoices if str(i.get("DocNumber", "")).casefold() == number.casefold()]
            if same:
                found[record.source_id] = [to_snapshot(EntityType.INVOICE, i) for i in same]
        return found

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        """`SELECT * FROM Invoice`, 1000 a page, within the queries `numbered(records)` would make."""
        invoices = select_within(self._client, "Invoice", queries_in(fields.doc_number(r) for r in records))
        if invoices is None:
            return None
        held: dict[str, list[LedgerSnapshot]] = {}
        for invoice in invoices:
            held.setdefault(str(invoice.get("DocNumber", "")).casefold(), []).append(
                to_snapshot(EntityType.INVOICE, invoice)
            )
        return InvoiceNumbers(held, fields.doc_number)

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]:
        """`SELECT * FROM Customer|Item`, active and inactive, 1000 a page (QBO's MAXRESULTS ceiling)."""
        name, stamp_field = QBO_ENTITY[entity_type], STAMP_FIELDS[entity_type][0]
        name_field = LOOKUP_FIELDS[entity_type][0]
        return [
            LedgerListing(
                id=str(entity["Id"]),
                name=str(entity.get(name_field) or ""),
                email=(entity.get("PrimaryEmailAddr") or {}).get("Address"),
                stamp=stamp_in(entity_type, entity.get(stamp_field)),
                sync_token=ledger_ref(entity).sync_token,
            )
            for entity in select_all(self._client, name, ALL_ACTIVE_STATES)
        ]

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        """A sparse update of the stamp field alone: an item's Sku becomes the stamp; a customer's Notes get it in
        front of what the bookkeeper wrote (cut to fit Notes' 1024, never the stamp). The `requestid` derives
        from the entity's SyncToken, so a re-run after a lost answer is replayed, or finds the stamp and stops."""
        entity_type, external_id = record.entity_type, record.external_id
        name, stamp_field = QBO_ENTITY[entity_type], STAMP_FIELDS[entity_type][0]
        entity = self.read(name, ledger_id)
        if is_stamped(entity_type, entity, external_id):
            return ledger_ref(entity)
        if entity_type is EntityType.CUSTOMER:
            value = fields.stamped_notes(external_id, entity.get("Notes"))
        elif entity_type is EntityType.INVOICE:  # a bookkeeper's own invoice found to be this one (`numbered`)
            value = fields.private_note(external_id, str(entity.get("PrivateNote") or ""))
        else:
            value = external_id
        body = {"Id": entity["Id"], "SyncToken": entity["SyncToken"], "sparse": True, stamp_field: value}
        request_id = stale_retry_request_id(f"stamp-{name}-{ledger_id}-{external_id}", str(entity["SyncToken"]))
        saved = self._client.post(name.lower(), body, request_id=request_id).get(name)
        if not isinstance(saved, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"QBO answered the stamp of {name} {ledger_id} without it")
        return ledger_ref(saved)

    def _stamped(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[dict[str, Any]]]:
        """The QBO entities stamped with each record's external id, oldest (lowest Id) first; QBO deletes for
        good, and keeps what it voids at zero (`is_voided`)."""
        if not records:
            return {}
        candidates = sorted(self._candidates(entity_type, records), key=lambda e: (len(str(e["Id"])), str(e["Id"])))
        found: dict[int, list[dict[str, Any]]] = {}
        for record in records:
            matches = [c for c in candidates if _ours(entity_type, record, c)]
            if matches:
                found[record.source_id] = matches
        return found

    def _candidates(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> list[dict[str, Any]]:
        """QBO entities that might be ours: same name/number, or for payments (and the payments that apply credit
        memos) same customer and date range.

        Payments have no filterable reference field, so they are narrowed by CustomerRef and TxnDate.
        """
        name = QBO_ENTITY[entity_type]
        if entity_type in (EntityType.TIP, EntityType.PAYOUT):  # a Deposit: no customer on it, found by its date
            days = [record.paid_on for record in records if isinstance(record, TipRecord | PayoutRecord)]
            return select_all(self._client, name, _date_window(days))
        if entity_type in (EntityType.PAYMENT, EntityType.CREDIT_APPLICATION):
            dated = [
                (record.customer_ref, record.paid_on if isinstance(record, PaymentRecord) else record.applied_on)
                for record in records
                if isinstance(record, PaymentRecord | CreditApplicationRecord)
            ]
            window = _date_window([day for _, day in dated])
            return select_in(self._client, name, "CustomerRef", [customer for customer, _ in dated], also=window)
        field, value_of = LOOKUP_FIELDS[entity_type]
        return select_in(self._client, name, field, [value_of(record) for record in records])

    def _write_one(
        self, entity_type: EntityType, op: WriteOp, existing: LedgerRef | None, request_id: str
    ) -> WriteOutcome:
        name = QBO_ENTITY[entity_type]
        try:
            body = self._client.post(name.lower(), self._body(op, existing), request_id=request_id)
        except LedgerError as error:
            return _element_failure(op, error)
        return _batch_outcome(op, name, body)

    def _write_batch(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        name = QBO_ENTITY[entity_type]
        operations = [
            {"operation": "update" if op.existing else "create", name: self._body(op, op.existing)} for op in ops
        ]
        response = self._client.post("batch", batch_request(operations), request_id=batch_request_id(ops))
        return [_batch_outcome(op, name, item) for op, item in zip(ops, batch_answers(response, len(ops)), strict=True)]

    def _adopt_own_duplicates(self, entity_type: EntityType, outcomes: list[WriteOutcome]) -> list[WriteOutcome]:
        """Invoice creates refused as a duplicate (DocNumber, 6140) whose clash is our own invoice, stamped with
        the same external id, become updates of it. It happens after a write QBO saved but we refused (its tax
        or total differed): the record was parked without its ledger id, and its next version must correct
        that invoice rather than be parked as a duplicate of itself."""
        clashing = {
            index: outcome.op
            for index, outcome in enumerate(outcomes)
            if entity_type in (EntityType.INVOICE, EntityType.CREDIT_NOTE)
            and outcome.op.existing is None
            and outcome.error is not None
            and outcome.error.kind is ErrorKind.DUPLICATE
        }
        if not clashing:
            return outcomes
        own = self._find_kind(entity_type, [op.record for op in clashing.values()])
        adopted = list(outcomes)
        for index, op in clashing.items():
            ref = own.get(op.record.source_id)
            if ref is not None:
                request_id = stale_retry_request_id(op.idempotency_key, f"adopt-{ref.id}-{ref.sync_token}")
                adopted[index] = self._retry_stale(entity_type, self._write_one(entity_type, op, ref, request_id))
        return adopted

    def _retry_stale(self, entity_type: EntityType, outcome: WriteOutcome) -> WriteOutcome:
        """A stale update (5010): re-read for the current SyncToken and send it once more; others pass through."""
        op = outcome.op
        if op.existing is None or outcome.error is None or outcome.error.kind is not ErrorKind.CONFLICT:
            return outcome
        try:
            fresh = ledger_ref(self.read(QBO_ENTITY[entity_type], op.existing.id))
        except LedgerError as error:
            return _element_failure(op, error)
        request_id = stale_retry_request_id(op.idempotency_key, fresh.sync_token or "")
        return self._write_one(entity_type, op, fresh, request_id)


def _date_window(days: Sequence[date]) -> str:
    """The TxnDate range these days span, for narrowing a look-up by stamp."""
    dates = sorted(day.isoformat() for day in days)
    return f"TxnDate >= {quote(dates[0])} AND TxnDate <= {quote(dates[-1])}"


def _ours(entity_type: EntityType, record: LedgerRecord, entity: Mapping[str, Any]) -> bool:
    """Stamped with the record's external id; or a voided invoice with its number: QBO replaced our stamp with its
    memo "Voided" when voiding it, so the number is all that is left to know it by."""
    if is_stamped(entity_type, entity, record.external_id):
        return True
    if not isinstance(record, InvoiceRecord) or not is_voided(entity):
        return False
    return entity.get("DocNumber") == fields.doc_number(record)


def _element_failure(op: WriteOp, error: LedgerError) -> WriteOutcome:
    """The op's outcome when the failure is the record's own; otherwise the whole call fails."""
    if error.kind in ELEMENT_KINDS:
        return WriteOutcome(op=op, error=error)
    raise error


def _batch_outcome(op: WriteOp, name: str, item: Mapping[str, Any] | None) -> WriteOutcome:
    """One op's outcome from its batch item (or an entity endpoint's answer, which has the same shape)."""
    if item is not None and isinstance(item.get(name), dict):
        if isinstance(op.record, InvoiceRecord | CreditNoteRecord) and (
            difference := _totals_difference(op.record, item[name])
        ):
            return WriteOutcome(op=op, error=difference)
        return WriteOutcome(op=op, ref=ledger_ref(item[name]))
    if item is not None and isinstance(item.get("Fault"), dict):
        return WriteOutcome(op=op, error=fault_error(item["Fault"]))
    return WriteOutcome(
        op=op, error=LedgerError(ErrorKind.UNAVAILABLE, "QBO answered without a result for this op; outcome unknown")
    )


def _totals_difference(record: InvoiceRecord | CreditNoteRecord, saved: Mapping[str, Any]) -> LedgerError | None:
    """The refusal naming both figures when QBO saved another tax or total than Service Opus has."""
    total_tax, total = invoice_totals(saved)
    what = (
        "invoice"
        if isinstance(record, InvoiceRecord)
        else "refund receipt"
        if isinstance(record, RefundRecord)
        else "credit memo"
    )
    if (total_tax, total) == (record.total_tax, record.total):
        return _home_total_difference(record, saved, what)
    return LedgerError(
        ErrorKind.VALIDATION,
        f"QuickBooks saved {what} {record.number} (Id {saved.get('Id')}) with tax {total_tax} and total {total}; "
        f"Service Opus has tax {record.total_tax} and total {record.total}",
        code="totals-differ",
    )


def _home_total_difference(
    record: InvoiceRecord | CreditNoteRecord, saved: Mapping[str, Any], what: str
) -> LedgerError | None:
    """The refusal naming both figures when QBO made another home total of a foreign invoice (credit memo, refund
    receipt) than Service Opus's (`core.currency.home_amount`): QBO computes `HomeTotalAmt` itself and takes no
    override of it."""
    if record.exchange_rate is None or "HomeTotalAmt" not in saved:
        return None
    held, wanted = Decimal(str(saved["HomeTotalAmt"])), home_amount(record.total, record.exchange_rate)
    if held == wanted:
        return None
    return LedgerError(
        ErrorKind.VALIDATION,
        f"QuickBooks saved {what} {record.number} (Id {saved.get('Id')}) worth {held} at home; Service Opus has "
        f"{wanted} ({record.total} {record.currency} at {record.exchange_rate})",
        code="totals-differ",
    )
