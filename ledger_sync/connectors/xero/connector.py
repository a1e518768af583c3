"""`LedgerConnector` for Xero: up to 50 elements per call, element-level outcomes, exact totals.

Creates go in ONE PUT and updates (by id) in ONE POST, never mixed, each with `summarizeErrors=false`,
so every element comes back with its own id or ValidationErrors, and a deterministic `Idempotency-Key`
derived from the ops' keys, so a throttled call re-sent is answered from Xero's idempotency cache.
Invoice lines carry Service Opus's per-line tax, and an explicit, logged rounding adjustment whenever a
line amount Xero can hold would make its total differ (see `rounding`); the total Xero answers is
checked and corrected once more if it still differs. Look-ups include archived records and ignore
voided and deleted ones. See `wire` for the record <-> JSON mapping and the stamps.

Calls the vendor allows batched are batched: a refund's credit note and payment go with the other refunds' (one
call for the notes, one for the payments), a deposit's or overpayment's receipt with the others' (one call), the
fees of payouts likewise. What Xero takes one per call stays so: an allocation of credit (its path names the credit)
and a bank transfer (documented as "create a bank transfer"; the spec answers "an array of one").

Credit notes go like invoices (ACCRECCREDIT, same lines and totals check). A credit note's credit is applied
to its invoice by `PUT /CreditNotes/{id}/Allocations`, one call per application with its own key; an
allocation has no reference field, so it is found again on its credit note by the invoice it goes to (a
Service Opus credit note credits one invoice).
"""

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, overload

import httpx

from ledger_sync.connectors.http import ClientConnector
from ledger_sync.connectors.ledger_kinds import by_kind, read_back_by_kind, write_by_kind
from ledger_sync.connectors.xero import fields, prepayments, wire
from ledger_sync.connectors.xero.client import XeroClient
from ledger_sync.connectors.xero.config import XeroConfig
from ledger_sync.connectors.xero.rounding import XeroLine, adjustment, xero_lines
from ledger_sync.core.ledger import (
    GONE_STATUSES,
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
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
    PayoutRecord,
    RefundRecord,
    TipRecord,
    external_id_of,
)
from ledger_sync.core.tokens import TokenProvider
from ledger_sync.core.tracking import LedgerTrackingOption

logger = logging.getLogger(__name__)

IDEMPOTENCY_KEY_LENGTH = 128
PAGE_SIZE = 100
WHERE_CHUNK = 25
"""Values per `where` clause of OR-ed equalities, to keep URLs short."""
PAGED = frozenset({"Contacts", "Invoices", "Payments", "CreditNotes", "BankTransactions"})
WITH_ARCHIVED = frozenset({"Contacts", "Invoices"})
"""Collections whose GET leaves ARCHIVED records out unless asked (`includeArchived=true`, spec)."""
ROUNDING_SYSTEM_ACCOUNT = "ROUNDING"
RECEIVABLE_SYSTEM_ACCOUNT = "DEBTORS"
CREDITS = {"CreditNotes": "CreditNoteID", **dict(prepayments.KINDS.values())}
"""The credits Xero allocates to invoices (an invoice lists each under its collection), and their id fields."""
PER_ELEMENT = {"summarizeErrors": "false"}
"""Every element answered on its own (REFERENCE: without it, a 400 hides the ids of the elements Xero saved)."""
TOTALLED = frozenset({EntityType.INVOICE, EntityType.CREDIT_NOTE})
"""Kinds whose total Xero answers is checked against Service Opus's (and corrected once)."""


def idempotency_key(ops: Sequence[WriteOp], purpose: str = "write") -> str:
    """The same ops (same record versions) always give the same key, well within Xero's 128 characters."""
    digest = hashlib.sha256("\x1f".join([purpose, *(op.idempotency_key for op in ops)]).encode()).hexdigest()
    return f"ledger-sync-{purpose}-{digest}"[:IDEMPOTENCY_KEY_LENGTH]


def where_equals(field: str, values: Sequence[str], starts: bool = False) -> str:
    """`Field=="a" OR Field=="b"` (`starts`: `Field.StartsWith("a") OR ...`), with quotes and backslashes escaped."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return " OR ".join(f"{field}.StartsWith({value})" if starts else f"{field}=={value}" for value in quoted)


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
        self._item_accounts: dict[str, str] = {}
        """Item Code -> sales AccountCode, for invoice lines: as the items this connector wrote, found or read were."""
        self._items_read = False
        """Whether the whole item list was read (once, when a line names an item not known so)."""
        self._contacts: dict[str, str] = {}
        """Contact name -> ContactID of the card processors payouts pay fees to, as found or made."""

    def __repr__(self) -> str:
        return f"XeroConnector(tenant_id={self.tenant_id!r}, calls={self.calls})"

    @property
    def day_remaining(self) -> int | None:
        """Calls left today for this tenant, as Xero last reported."""
        return self._client.day_remaining

    def list_accounts(self) -> list[LedgerAccount]:
        self._accounts = self._client.get("Accounts").get("Accounts", [])
        return [wire.to_account(account) for account in self._accounts]

    def account_balances(self, account_ids: Sequence[str]) -> dict[str, Decimal]:
        """The closing balance of each of these bank accounts in Xero's Bank Summary report (xero-python's
        `get_report_bank_summary`; scope `accounting.reports.read`), read once for all of them."""
        reports = self._client.get("Reports/BankSummary").get("Reports") or []
        wanted = set(account_ids)
        return {key: balance for key, balance in wire.bank_summary_balances(reports).items() if key in wanted}

    def currencies(self) -> LedgerCurrencies:
        """The organisation's base currency (`Organisation.BaseCurrency`) and its enabled ones (`/Currencies`)."""
        (organisation,) = self._client.get("Organisation").get("Organisations") or [{}]
        base = str(organisation.get("BaseCurrency") or "")
        if not base:
            raise LedgerError(ErrorKind.UNAVAILABLE, "Xero answered without the organisation's base currency")
        enabled = {str(c["Code"]) for c in self._client.get("Currencies").get("Currencies") or []}
        return LedgerCurrencies(base, True, frozenset(enabled | {base}))

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        return [wire.to_tax_rate(rate) for rate in self._client.get("TaxRates").get("TaxRates", [])]

    def list_tracking_options(self) -> list[LedgerTrackingOption]:
        """Every category's options, archived ones too: an archived option or category is reported inactive."""
        found = self._client.get("TrackingCategories", {"includeArchived": "true"}).get("TrackingCategories", [])
        return [option for category in found for option in wire.to_tracking_options(category)]

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
        if entity_type is EntityType.PAYOUT:
            return self._pay_out(ops)
        if entity_type is EntityType.REFUND:
            # One look-up of what earlier attempts made of all of them (none for a fresh create), then their notes in
            # one call, their payments in another.
            made = self._stamped(entity_type, [op.record for op in ops if op.existing is None and not op.fresh])
            return self._refunds(ops, made)
        if entity_type is EntityType.PAYMENT and any(_takes_credit(op) for op in ops):
            taking = {index: op for index, op in enumerate(ops) if _takes_credit(op)}
            try:  # what earlier attempts made, for all of them in one look-up (a fresh create made nothing yet)
                made = self._credits([op.record for op in taking.values() if not op.fresh])
            except LedgerError as error:
                if error.kind is not ErrorKind.VALIDATION:
                    raise
                credits = {index: WriteOutcome(op=op, error=error) for index, op in taking.items()}
            else:
                credits = self._take_credits(
                    taking, {i: _live(made.get(op.record.source_id, [])) for i, op in taking.items()}
                )
            rest = iter(self._write_kind(entity_type, [op for op in ops if not _takes_credit(op)]))
            return [credits[index] if index in credits else next(rest) for index in range(len(ops))]
        outcomes = self._voids(entity_type, ops)
        elements: dict[int, dict[str, Any]] = {}
        totals: dict[int, Any] = {}
        for index, op in enumerate(ops):
            if index in outcomes:
                continue
            self._element_or_refusal(index, op, elements, outcomes)
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

    def _voids(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> dict[int, WriteOutcome]:
        """The outcome of each op that takes its record out of the books (by its index): a credit note or an invoice
        voided, a payment that failed or was charged back reversed, and its tip. The receipts of the reversed payments
        Xero holds as credit are looked up once for all of them."""
        voiding = {index: op for index, op in enumerate(ops) if op.voids}
        if entity_type is EntityType.CREDIT_NOTE:
            return {index: self._void_credit_note(op) for index, op in voiding.items()}
        if entity_type is EntityType.TIP:
            return {index: self._delete_tip(op) for index, op in voiding.items()}
        if entity_type is not EntityType.PAYMENT:
            return {index: self._void_invoice(op) for index, op in voiding.items()}
        receipts = self._credit_receipts([op.record for op in voiding.values()]) if voiding else {}
        return {
            index: self._reverse_payment(op, receipts.get(op.record.source_id, [])) for index, op in voiding.items()
        }

    def _reverse_payment(self, op: WriteOp, receipts: list[dict[str, Any]]) -> WriteOutcome:
        """Take the payment `op.existing` names out of the books. A payment is deleted (`Status: DELETED`; Xero then
        reopens the invoice it paid); a deposit or overpayment Xero holds as credit (`receipts`: the bank
        transactions stamped with it, deleted ones too) is taken out as `_remove_credit` says."""
        assert op.existing is not None
        receipt = next((t for t in receipts if (prepayments.credit_of(t) or ("", ""))[1] == op.existing.id), None)
        try:
            if receipt is None:
                self._delete_payment(op, op.existing.id)
            else:
                self._remove_credit(op, receipt)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        return WriteOutcome(op=op, ref=op.existing)

    def _remove_credit(self, op: WriteOp, receipt: dict[str, Any]) -> None:
        """A deposit or overpayment reversed: its credit's live allocations are deleted (the invoices it paid open
        again), then the bank transaction that received it (`Status: DELETED`; Xero voids the credit, the money
        leaves the bank account; it refuses while any of the credit is allocated). The credit is read first and the
        keys derive from the op and what was read, so a re-run after a crash between the steps does only what is
        left; a receipt found deleted already is left as it is."""
        if str(receipt.get("Status") or "").upper() in GONE_STATUSES:
            return
        collection, credit_id = prepayments.credit_of(receipt) or ("", "")
        self._delete_allocations(op, collection, self.read(collection, credit_id))
        self._delete_bank_transaction(op, str(receipt["BankTransactionID"]))

    def _delete_tip(self, op: WriteOp) -> WriteOutcome:
        """A reversed payment's tip: its RECEIVE bank transaction deleted, read first so one found deleted already (a
        re-run after an unknown outcome) is left as it is."""
        assert op.existing is not None
        try:
            if str(self.read("BankTransactions", op.existing.id).get("Status") or "").upper() not in GONE_STATUSES:
                self._delete_bank_transaction(op, op.existing.id)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        return WriteOutcome(op=op, ref=op.existing)

    def _delete_bank_transaction(self, op: WriteOp, transaction_id: str) -> None:
        """`POST /BankTransactions` `{"BankTransactionID": ..., "Status": "DELETED"}`, its key from the op and the id;
        Xero's refusal raised."""
        element = {"BankTransactionID": transaction_id, "Status": "DELETED"}
        key = idempotency_key([op], f"delete-bank-transaction-{transaction_id}")
        answer = self._client.write(
            "POST", "BankTransactions", {"BankTransactions": [element]}, {"summarizeErrors": "false"}, key
        )
        deleted = (answer.get("BankTransactions") or [None])[0]
        if not isinstance(deleted, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered the deletion of {transaction_id} without it")
        if (error := wire.element_error(deleted)) is not None:
            raise error

    def _delete_payment(self, op: WriteOp, payment_id: str) -> None:
        """Delete the payment, read first, so one found deleted already (a re-run after an unknown outcome) is left
        as it is; the key derives from the op and the payment."""
        if str(self.read("Payments", payment_id).get("Status") or "").upper() not in GONE_STATUSES:
            key = idempotency_key([op], f"delete-payment-{payment_id}")
            self._client.write("POST", f"Payments/{payment_id}", {"Status": "DELETED"}, {}, key)

    def _void_invoice(self, op: WriteOp) -> WriteOutcome:
        """Void the invoice `op.existing` names. Xero refuses while payments, credit notes, prepayments or
        overpayments are allocated to it, so each payment still on it is deleted first (`POST /Payments/{id}`
        `{"Status": "DELETED"}`), and each credit note's allocation to it (`_delete_allocations`: the note keeps its
        credit), then the invoice is POSTed with `Status: VOIDED`. A deposit or overpayment that paid it goes like a
        payment (Service Opus books no payment of a voided invoice; QBO voids them too): `_remove_paying_credits`.
        The invoice is read first and the keys derive from the op and what was read, so a re-run after an unknown
        outcome does only what is left; an invoice found voided already is the outcome."""
        assert op.existing is not None
        try:
            invoice = self.read("Invoices", op.existing.id)
            if str(invoice.get("Status") or "").upper() == "VOIDED":
                return WriteOutcome(op=op, ref=wire.element_ref(EntityType.INVOICE, invoice))
            for allocated in invoice.get("Payments") or []:
                self._delete_payment(op, str(allocated["PaymentID"]))
            for credited in invoice.get("CreditNotes") or []:
                note = self.read("CreditNotes", str(credited["CreditNoteID"]))
                self._delete_allocations(op, "CreditNotes", note, op.existing.id)
            self._remove_paying_credits(op, str((invoice.get("Contact") or {}).get("ContactID", "")), op.existing.id)
            self._remove_payments_apart(op, invoice)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        element = {"InvoiceID": op.existing.id, "Status": "VOIDED"}
        ((outcome, _),) = self._send(EntityType.INVOICE, [op], [element], idempotency_key([op], "void"))
        return outcome

    def _remove_paying_credits(self, op: WriteOp, contact_id: str, invoice_id: str) -> None:
        """Each live prepayment or overpayment of the contact ever allocated to the invoice (its deleted allocations
        stay listed, so one found again after a crash between the steps is finished): its allocations to the invoice
        deleted, then the bank transaction that received it (Xero voids the credit, the money leaves the bank)."""
        for collection, id_field in prepayments.KINDS.values():
            credits = self._list(collection, {"where": f'Contact.ContactID==Guid("{contact_id}")'})
            for credit in credits:
                allocated = [str((a.get("Invoice") or {}).get("InvoiceID")) for a in credit.get("Allocations") or []]
                if str(credit.get("Status") or "").upper() in GONE_STATUSES or invoice_id not in allocated:
                    continue
                self._delete_allocations(op, collection, credit, invoice_id)
                where = {"where": f'{id_field}==Guid("{credit[id_field]}")'}
                for receipt in self._list("BankTransactions", where):
                    if str(receipt.get("Status") or "").upper() not in GONE_STATUSES:
                        self._delete_bank_transaction(op, str(receipt["BankTransactionID"]))

    def _remove_payments_apart(self, op: WriteOp, invoice: Mapping[str, Any]) -> None:
        """The credits of the voided invoice's payments (`InvoiceRecord.removes_payments`) that are not allocated to
        it: a deposit whose application was never sent, an overpayment received when a run died before allocating
        it. Each is taken out as a reversed deposit is (`_remove_credit`); one found deleted already is left. A
        payment the invoice lists (its `Payments` carry their `Reference`) was deleted with it: only the others are
        looked up, so the void of an invoice paid by plain payments costs no call more."""
        record = op.record
        assert isinstance(record, InvoiceRecord)
        paid = {wire.stamp_of(EntityType.PAYMENT, payment) for payment in invoice.get("Payments") or []}
        named = (external_id_of(EntityType.PAYMENT, source_id) for source_id in record.removes_payments)
        for receipts in self._receipts_stamped([stamp for stamp in named if stamp not in paid]).values():
            for receipt in receipts:
                self._remove_credit(op, receipt)

    def _refunds(self, ops: Sequence[WriteOp], held: dict[int, list[dict[str, Any]]]) -> list[WriteOutcome]:
        """Refunds: each an ACCRECCREDIT credit note (lines and tax as a credit note's, stamped in `Reference`), then a
        payment of all of it out of the deposit account (`wire.refund_payment`); the notes of all of them go in one
        call, then their payments in one more. Each note is looked up by its stamp first (`held`: the notes stamped
        so, by source id) and its `RemainingCredit` read, so a re-run after an unknown outcome (or a crash between
        the two calls) does only what is left; the outcome is the note. A note whose total Xero made other than the
        refund's is refused before any money is paid out of it."""
        outcomes: dict[int, WriteOutcome] = {}
        notes: dict[int, dict[str, Any]] = {}
        elements: dict[int, dict[str, Any]] = {}
        for index, op in enumerate(ops):
            if op.existing is not None:
                outcomes[index] = WriteOutcome(op=op, ref=op.existing)  # a refund is paid out once, never changed
            elif live := [
                d for d in held.get(op.record.source_id, []) if str(d.get("Status") or "").upper() not in GONE_STATUSES
            ]:
                notes[index] = live[0]
            else:
                self._element_or_refusal(index, op, elements, outcomes)
        if elements:
            sent = [ops[index] for index in elements]
            answered = self._send(EntityType.REFUND, sent, list(elements.values()), idempotency_key(sent, "note"))
            for index, (outcome, note) in zip(elements, answered, strict=True):
                if outcome.ok and note is not None:
                    notes[index] = note
                else:
                    outcomes[index] = outcome
        payments: dict[int, dict[str, Any]] = {}
        for index, note in sorted(notes.items()):
            record = ops[index].record
            assert isinstance(record, RefundRecord)
            total = Decimal(str(note.get("Total", 0)))
            if total != record.total:
                message = f"Xero totals the refund's credit note {total}, Service Opus's refund is {record.total}"
                outcomes[index] = WriteOutcome(op=ops[index], error=LedgerError(ErrorKind.VALIDATION, message))
                continue
            note_id = str(note["CreditNoteID"])
            outcomes[index] = WriteOutcome(op=ops[index], ref=LedgerRef(note_id))
            if Decimal(str(note.get("RemainingCredit", total))) > 0:
                payments[index] = wire.refund_payment(record, note_id)
        if payments:
            sent = [ops[index] for index in payments]
            key = idempotency_key(sent, "refund-payment")
            for index, paid in zip(payments, self._put("Payments", list(payments.values()), key), strict=True):
                if paid is None:
                    unknown = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered the refund's payment without it")
                    outcomes[index] = WriteOutcome(op=ops[index], error=unknown)
                elif (refused := wire.element_error(paid)) is not None:
                    outcomes[index] = WriteOutcome(op=ops[index], error=refused)
        return [outcomes[index] for index in range(len(ops))]

    def _void_credit_note(self, op: WriteOp) -> WriteOutcome:
        """Void the credit note `op.existing` names. Xero refuses to void one with allocations (modelled so: the
        documentation names no exception), so each live allocation is deleted first
        (`DELETE /CreditNotes/{id}/Allocations/{AllocationID}`, the invoice's amount due goes back up), then the
        note is POSTed with `Status: VOIDED`; read first, keys derived from what was read, as an invoice's void."""
        assert op.existing is not None
        note_id = op.existing.id
        try:
            note = self.read("CreditNotes", note_id)
            if str(note.get("Status") or "").upper() == "VOIDED":
                return WriteOutcome(op=op, ref=wire.element_ref(EntityType.CREDIT_NOTE, note))
            self._delete_allocations(op, "CreditNotes", note)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        element = {"CreditNoteID": note_id, "Status": "VOIDED"}
        ((outcome, _),) = self._send(EntityType.CREDIT_NOTE, [op], [element], idempotency_key([op], "void"))
        return outcome

    def _delete_allocations(
        self, op: WriteOp, collection: str, credit: dict[str, Any], invoice_id: str | None = None
    ) -> None:
        """Delete the live allocations (to `invoice_id` only, when given) of a credit of `collection` (a credit
        note, prepayment or overpayment: `DELETE /{collection}/{id}/Allocations/{AllocationID}`), each by its own
        key."""
        for allocation in credit.get("Allocations") or []:
            allocated_to = str((allocation.get("Invoice") or {}).get("InvoiceID", ""))
            if allocation.get("IsDeleted") or (invoice_id is not None and allocated_to != invoice_id):
                continue
            allocation_id = str(allocation["AllocationID"])
            key = idempotency_key([op], f"delete-allocation-{allocation_id}")
            path = f"{collection}/{credit[CREDITS[collection]]}/Allocations/{allocation_id}"
            self._client.write("DELETE", path, {}, {}, key)

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

    def _pay_out(self, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        """Payouts: each one's fees spent from the clearing account (SPEND), then its net transferred to the operating
        account (BankTransfer), both stamped with its Reference. What earlier attempts made is read first, for all of
        them in one look-up (none for a fresh create: `WriteOp.fresh`), so a re-run after an unknown outcome or a
        refusal does only what is left (fees spent already are not spent again). The fees of all of them go in one
        call; the transfers one per call (Xero documents one transfer per request (?): the stricter reading). A payout
        whose fees Xero refuses, or answers without, is not transferred."""
        made = self._stamped(EntityType.PAYOUT, [op.record for op in ops if op.existing is None and not op.fresh])
        outcomes: dict[int, WriteOutcome] = {}
        fees: dict[int, dict[str, Any]] = {}
        for index, op in enumerate(ops):
            try:
                done, spend = self._payout_left(op, made.get(op.record.source_id, []))
            except LedgerError as error:
                if error.kind is not ErrorKind.VALIDATION:
                    raise
                outcomes[index] = WriteOutcome(op=op, error=error)
                continue
            if done is not None:
                outcomes[index] = done
            elif spend is not None:
                fees[index] = spend
        if fees:
            sent = [ops[index] for index in fees]
            answered = self._send(EntityType.PAYOUT, sent, list(fees.values()), idempotency_key(sent, "payout-fees"))
            outcomes |= {index: outcome for index, (outcome, _) in zip(fees, answered, strict=True) if not outcome.ok}
        return [outcomes[index] if index in outcomes else self._transfer(op) for index, op in enumerate(ops)]

    def _payout_left(
        self, op: WriteOp, docs: list[dict[str, Any]]
    ) -> tuple[WriteOutcome | None, dict[str, Any] | None]:
        """What is left of a payout, given what Xero holds stamped with it (`docs`): done already (its outcome), or
        its fees to spend (their element) before its transfer, or only its transfer (neither). Xero changes
        neither a transfer nor moves money out of anything but a BANK account: both are refusals."""
        record = op.record
        assert isinstance(record, PayoutRecord)
        if op.existing is not None:
            raise LedgerError(
                ErrorKind.VALIDATION,
                "Xero cannot change a bank transfer; delete the payout's transfer and fees in Xero and it will be "
                "entered again",
            )
        if record.clearing_holds_payments:
            raise LedgerError(
                ErrorKind.VALIDATION,
                "Xero moves a payout only out of a bank account: map the card clearing account to a Xero bank account",
            )
        live = [doc for doc in docs if str(doc.get("Status") or "").upper() not in GONE_STATUSES]
        received = [doc for doc in live if doc.get("Type") == wire.PAYOUT_RECEIVED]
        if received:
            return WriteOutcome(op=op, ref=wire.element_ref(EntityType.PAYOUT, received[0])), None
        if record.fees and not any(doc.get("Type") == "SPEND" for doc in live):
            contact = self._contact_named(record.processor, op)
            return None, wire.payout_fees(record, contact, self._account_code(record.fees_account_ref))
        return None, None

    def _transfer(self, op: WriteOp) -> WriteOutcome:
        """A payout's net, moved from the clearing account to the operating account (its fees spent already)."""
        record = op.record
        assert isinstance(record, PayoutRecord)
        try:
            transfer = self._one("BankTransfers", wire.payout_transfer(record), idempotency_key([op], "payout"))
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        received = transfer.get("ToBankTransactionID")
        if not received:
            unknown = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered without the payout's transfer; outcome unknown")
            return WriteOutcome(op=op, error=unknown)
        return WriteOutcome(op=op, ref=LedgerRef(str(received)))

    def _take_credits(self, ops: dict[int, WriteOp], held: dict[int, dict[str, Any] | None]) -> dict[int, WriteOutcome]:
        """Deposits and overpayments (`prepayments`), or a deposit's application later (an update), by their index: each
        credit received once (the receipts of all of them in one call), then allocated to its invoice once (one call
        each: Xero allocates a credit by its own path, `PUT /{Prepayments|Overpayments}/{id}/Allocations`). The credit
        is found by its stamp first (`held`: the live one, if any, read with its allocations), so a re-run after an
        unknown outcome does only what is left. An update of a payment Xero holds as a payment (not a credit) is
        refused: Xero cannot change one."""
        outcomes: dict[int, WriteOutcome] = {}
        credits: dict[int, dict[str, Any]] = {}
        receipts: dict[int, dict[str, Any]] = {}
        for index, op in ops.items():
            record = op.record
            assert isinstance(record, PaymentRecord)
            try:
                if (credit := held[index]) is not None:
                    credits[index] = credit
                elif op.existing is not None:
                    message = "Xero cannot change a payment; delete it in Xero and it will be entered again"
                    raise LedgerError(ErrorKind.VALIDATION, message)
                else:
                    receipts[index] = prepayments.receipt(record, self._system_code(RECEIVABLE_SYSTEM_ACCOUNT))
            except LedgerError as error:
                if error.kind is not ErrorKind.VALIDATION:
                    raise
                outcomes[index] = WriteOutcome(op=op, error=error)
        if receipts:
            credits |= self._receive(ops, receipts, outcomes)
        for index, credit in credits.items():
            outcomes[index] = self._allocate_credit(ops[index], credit)
        return outcomes

    def _receive(
        self, ops: dict[int, WriteOp], receipts: dict[int, dict[str, Any]], outcomes: dict[int, WriteOutcome]
    ) -> dict[int, dict[str, Any]]:
        """The receipts in one `PUT /BankTransactions`; each receipt's credit as its answer names it (new: nothing is
        allocated from it yet), by index. A refused or unanswered receipt's outcome goes into `outcomes`."""
        key = idempotency_key([ops[index] for index in receipts], "credit")
        credits: dict[int, dict[str, Any]] = {}
        for index, made in zip(receipts, self._put("BankTransactions", list(receipts.values()), key), strict=True):
            refused = wire.element_error(made) if made is not None else None
            credit = prepayments.credit_of(made) if made is not None and refused is None else None
            if made is None or credit is None:
                unknown = LedgerError(ErrorKind.UNAVAILABLE, "Xero answered the credit without it; outcome unknown")
                outcomes[index] = WriteOutcome(op=ops[index], error=refused or unknown)
            else:
                collection, credit_id = credit
                credits[index] = {"Type": made["Type"], CREDITS[collection]: credit_id, "Allocations": []}
        return credits

    def _allocate_credit(self, op: WriteOp, credit: dict[str, Any]) -> WriteOutcome:
        """The credit allocated to the payment's invoice, unless it is already (or the payment names none)."""
        record = op.record
        assert isinstance(record, PaymentRecord)
        held = prepayments.credit_of(credit)
        try:
            if held is None:
                raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered {record.external_id}'s credit without its id")
            if record.invoice_ref and not prepayments.allocated_to(credit, record.invoice_ref):
                path = "{}/{}/Allocations".format(*held)
                key = idempotency_key([op], f"allocate-{held[1]}")
                self._client.write("PUT", path, prepayments.allocation(record), {}, key)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            return WriteOutcome(op=op, error=error)
        return WriteOutcome(op=op, ref=prepayments.credit_ref(credit))

    def _credits(self, records: Sequence[LedgerRecord]) -> dict[int, list[dict[str, Any]]]:
        """Each payment's prepayments and overpayments, found by the stamp on the bank transactions that made them
        (Xero's Prepayment carries no Reference), read by id, with that stamp as their `Reference`."""
        found: dict[int, list[dict[str, Any]]] = {}
        for source_id, receipts in self._credit_receipts(records).items():
            for transaction in receipts:
                credit = prepayments.credit_of(transaction)
                if credit is not None and str(transaction.get("Status")).upper() != "DELETED":
                    stamp = wire.stamp_of(EntityType.PAYMENT, transaction)
                    found.setdefault(source_id, []).append({**self.read(*credit), "Reference": stamp})
        return found

    def _credit_receipts(self, records: Sequence[LedgerRecord]) -> dict[int, list[dict[str, Any]]]:
        """Each payment's RECEIVE-PREPAYMENT / -OVERPAYMENT bank transactions (deleted ones too), by source id."""
        by_stamp = self._receipts_stamped([record.external_id for record in records])
        return {record.source_id: by_stamp[record.external_id] for record in records if record.external_id in by_stamp}

    def _receipts_stamped(self, stamps: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """The RECEIVE-PREPAYMENT / -OVERPAYMENT bank transactions (deleted ones too) stamped with each payment stamp
        ("SO-P12"), by stamp."""
        if not stamps:
            return {}
        made = self._where("BankTransactions", "Reference", stamps, also=f"({prepayments.TYPES_WHERE})", starts=True)
        wanted = set(stamps)
        found: dict[str, list[dict[str, Any]]] = {}
        for transaction in made:
            stamp = wire.stamp_of(EntityType.PAYMENT, transaction)
            if stamp in wanted and prepayments.credit_of(transaction) is not None:
                found.setdefault(stamp, []).append(transaction)
        return found

    def _contact_named(self, name: str, op: WriteOp) -> str:
        """The id of the contact of this name (a card processor), made once if Xero has none: names are unique. Looked
        up once per connector (a run)."""
        if name in self._contacts:
            return self._contacts[name]
        self._contacts[name] = self._contact_id(name, op)
        return self._contacts[name]

    def _contact_id(self, name: str, op: WriteOp) -> str:
        found = [doc for doc in self._where("Contacts", "Name", [name]) if doc.get("ContactStatus") != "ARCHIVED"]
        if found:
            return str(found[0]["ContactID"])
        made = self._one("Contacts", {"Name": name}, idempotency_key([op], f"contact-{name}"))
        return str(made["ContactID"])

    def _put(self, collection: str, elements: list[dict[str, Any]], key: str) -> list[dict[str, Any] | None]:
        """Create `elements` in one call; what Xero answered for each, in order (None: nothing for it)."""
        answer = self._client.write("PUT", collection, {collection: elements}, PER_ELEMENT, key)
        results = answer.get(collection) or []
        return [
            results[position] if position < len(results) and isinstance(results[position], dict) else None
            for position in range(len(elements))
        ]

    def _one(self, collection: str, element: dict[str, Any], key: str) -> dict[str, Any]:
        """Create one element; its refusal raised as a LedgerError (VALIDATION)."""
        (made,) = self._put(collection, [element], key)
        if made is None:
            raise LedgerError(ErrorKind.UNAVAILABLE, f"Xero answered a create of {collection} without it")
        error = wire.element_error(made)
        if error is not None:
            raise error
        return made

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
        if entity_type is EntityType.PAYOUT:
            payouts = self._payouts(records).items()
            return {
                sid: LedgerRef(kept[0].ledger_id) for sid, made in payouts if (kept := [m for m in made if m.present])
            }
        found: dict[int, LedgerRef] = {}
        by_id = {record.source_id: record for record in records}
        for source_id, docs in self._stamped(entity_type, records).items():
            live = [
                doc
                for doc in docs
                if str(doc.get("Status") or "").upper() not in GONE_STATUSES and _as_sent(by_id[source_id], doc)
            ]
            ref = wire.element_ref(entity_type, live[0]) if live else None
            if ref is not None:
                found[source_id] = ref
        return found

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        return read_back_by_kind(entity_type, records, self._read_kind)

    def _read_kind(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        if entity_type is EntityType.CREDIT_APPLICATION:
            return self._applications(records)
        if entity_type is EntityType.PAYOUT:
            return self._payouts(records)
        stamped = self._stamped(entity_type, records)
        return {source_id: [wire.to_snapshot(entity_type, doc) for doc in docs] for source_id, docs in stamped.items()}

    def _payouts(self, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        stamped = self._stamped(EntityType.PAYOUT, records).items()
        return {source_id: made for source_id, docs in stamped if (made := wire.payout_snapshots(docs))}

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

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        """`GET /Invoices?where=Type=="ACCREC"`, 100 a page, within the calls `numbered(records)` would make."""
        numbers = {fields.invoice_number(record) for record in records}
        invoices = self._list("Invoices", {"where": 'Type=="ACCREC"'}, pages=-(-len(numbers) // WHERE_CHUNK))
        if invoices is None:
            return None
        held: dict[str, list[LedgerSnapshot]] = {}
        for doc in invoices:
            held.setdefault(str(doc.get("InvoiceNumber", "")).casefold(), []).append(
                wire.to_snapshot(EntityType.INVOICE, doc)
            )
        return InvoiceNumbers(held, fields.invoice_number)

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
        if entity_type is EntityType.ITEM:
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
            # A payment's Reference goes on after the stamp (`fields.payment_reference`): found by its start.
            starts = entity_type is EntityType.PAYMENT
            docs = self._where(collection, stamp, [record.external_id for record in records], starts=starts)
            # "SO-P8" starts "SO-P89" too: a payment two chunks' queries both return is one payment.
            docs = list({str(doc.get(wire.REF_FIELDS[entity_type])): doc for doc in docs}.values())
            if entity_type is EntityType.PAYMENT:  # a deposit or overpayment is the contact's credit instead
                docs += [credit for found in self._credits(records).values() for credit in found]
        if entity_type is EntityType.ITEM:
            self._remember_items(docs)
        by_stamp: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            if found := wire.stamp_of(entity_type, doc):
                by_stamp.setdefault(found, []).append(doc)
        return {record.source_id: by_stamp[record.external_id] for record in records if record.external_id in by_stamp}

    def _element_or_refusal(
        self, index: int, op: WriteOp, elements: dict[int, dict[str, Any]], outcomes: dict[int, WriteOutcome]
    ) -> None:
        """The op's element into `elements`, or (when Xero cannot express it) its refusal into `outcomes`."""
        try:
            elements[index] = self._element(op)
        except LedgerError as error:
            if error.kind is not ErrorKind.VALIDATION:
                raise
            outcomes[index] = WriteOutcome(op=op, error=error)

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
            case TipRecord():
                return wire.tip(record, self._account_code(record.tips_account_ref), op.existing)
            case CreditApplicationRecord():
                raise ValueError("credit applications are allocations, not elements (see `_allocate`)")
            case PayoutRecord():
                raise ValueError("a payout is a transfer and its fees, not one element (see `_pay_out`)")
            case _:
                return wire.contact(record, op.existing)

    def _invoice(
        self, record: InvoiceRecord | CreditNoteRecord, existing: LedgerRef | None, extra: Decimal = Decimal(0)
    ) -> dict:
        """An invoice's or credit note's element, with the rounding adjustment its total needs."""
        lines = xero_lines(record)
        difference = adjustment(record, lines) + extra
        rounding = (difference, self._system_code(ROUNDING_SYSTEM_ACCOUNT)) if difference else None
        if difference:
            logger.info(
                "%s %s: rounding adjustment of %s so Xero's total equals Service Opus's %s",
                type(record).__name__.removesuffix("Record"),
                record.number,
                difference,
                record.total,
            )
        if isinstance(record, CreditNoteRecord):
            return wire.credit_note(record, lines, self._sales_accounts(lines), rounding, existing)
        discount_account = self._account_code(record.discounts[0].account_ref) if record.discounts else None
        return wire.invoice(record, lines, self._sales_accounts(lines), rounding, existing, discount_account)

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
        if ref is not None and entity_type is EntityType.ITEM:
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

    def _system_code(self, system: str) -> str:
        """The code of Xero's active system account of this kind (ROUNDING, DEBTORS)."""
        account = next(
            (a for a in self._chart() if a.get("SystemAccount") == system and a.get("Status") == "ACTIVE"), None
        )
        if account is None or not account.get("Code"):
            raise LedgerError(ErrorKind.VALIDATION, f"Xero has no active {system} system account with a code")
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

    def _sales_accounts(self, lines: Sequence[XeroLine]) -> dict[str, str]:
        """Each item's sales account code: invoice lines post where their item says. The items this connector wrote
        (a first sync's, all of them) are known from Xero's answers; the whole list is read once, when a line names
        one not known so."""
        if not self._items_read and any(line.item_code not in self._item_accounts for line in lines if line.item_code):
            self._items_read = True
            self._remember_items(self._client.get("Items").get("Items", []))
        return self._item_accounts

    def _remember_items(self, items: list[dict[str, Any]]) -> None:
        for doc in items:
            code = (doc.get("SalesDetails") or {}).get("AccountCode")
            if doc.get("Code") and code:
                self._item_accounts[str(doc["Code"])] = str(code)

    def _where(
        self, collection: str, field: str, values: Sequence[str], also: str | None = None, starts: bool = False
    ) -> list[dict]:
        docs: list[dict[str, Any]] = []
        unique = sorted(set(values))
        for start in range(0, len(unique), WHERE_CHUNK):
            condition = where_equals(field, unique[start : start + WHERE_CHUNK], starts)
            docs += self._list(collection, {"where": f"{also} AND ({condition})" if also else condition})
        return docs

    @overload
    def _list(self, collection: str, params: dict[str, str]) -> list[dict[str, Any]]: ...

    @overload
    def _list(self, collection: str, params: dict[str, str], pages: int) -> list[dict[str, Any]] | None: ...

    def _list(self, collection: str, params: dict[str, str], pages: int | None = None) -> list[dict[str, Any]] | None:
        """Every match (archived ones included), page by page where Xero pages the collection; with `pages`, None
        (after that many calls) when the matches may not fit in them."""
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
            if pages is not None and page >= pages:
                return None
            page += 1


def _live(credits: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The live prepayment or overpayment among a payment's credits, if Xero holds one."""
    live = [doc for doc in credits if str(doc.get("Status") or "").upper() not in GONE_STATUSES]
    return live[0] if live else None


def _as_sent(record: LedgerRecord, doc: Mapping[str, Any]) -> bool:
    """Whether a live document stamped with the record is the record as sent. A payment's credit (a prepayment or
    overpayment) counts once it is allocated to the invoice the payment pays: one a run died before allocating is
    finished by the write (`_take_credits`), not taken for the whole payment. A reversal takes out whatever is held."""
    if not isinstance(record, PaymentRecord) or record.reversed or not record.invoice_ref:
        return True
    return not prepayments.is_credit(doc) or prepayments.allocated_to(doc, record.invoice_ref)


def _takes_credit(op: WriteOp) -> bool:
    """A payment Xero takes as credit (`prepayments`), or an update of one (a deposit applied); a reversal is not."""
    record = op.record
    return (
        isinstance(record, PaymentRecord) and not op.voids and (prepayments.leaves_credit(record) or bool(op.existing))
    )


def _has_fine_prices(element: dict[str, Any]) -> bool:
    return any(
        isinstance(line.get("UnitAmount"), Decimal)
        and line["UnitAmount"] != line["UnitAmount"].quantize(Decimal("0.01"))
        for line in element.get("LineItems", [])
    )
