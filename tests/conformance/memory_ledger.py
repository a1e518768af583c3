"""A throwaway third ledger: books kept in memory, a plug-in for them, and nothing outside this file.

It proves the plug-in seam: registered (see `test_memory.py`), it connects through onboarding's OAuth
steps, gets its connector from the factory and passes the conformance suite without a line changed
elsewhere. It is as strict as the suite needs a ledger to be: unique names, known references, no
overpayment, one outcome per op, and a replayed idempotency key returns the first answer.
"""

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from ledger_sync.connectors.registry import LedgerOAuth, LedgerPlugin
from ledger_sync.core.ledger import (
    GONE_STATUSES,
    ErrorKind,
    LedgerAccount,
    LedgerConnector,
    LedgerError,
    LedgerListing,
    LedgerRef,
    LedgerSnapshot,
    LedgerTaxRate,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.records import (
    CreditApplicationRecord,
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceCreditRecord,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
)
from ledger_sync.core.tokens import TokenProvider, TokenSet
from ledger_sync.settings import Settings

NAME = "memory"
LABEL = "Memory Books"
TENANT = ("books-1", "Memory Books Ltd")
ACCOUNTS = [
    LedgerAccount("A-400", "Sales", "income", True, "400"),
    LedgerAccount("A-401", "Old Sales", "income", False, "401"),
    LedgerAccount("A-090", "Bank", "bank", True, "090"),
    LedgerAccount("A-610", "Undeposited Funds", "undeposited_funds", True, "610"),
    LedgerAccount("A-820", "Sales Tax", "liability", True, "820"),
]
TAX_RATES = [
    LedgerTaxRate("T-GST", "GST 5%", Decimal("5"), True, "T-GST"),
    LedgerTaxRate("T-HST", "HST 13%", Decimal("13"), True, "T-HST"),
    LedgerTaxRate("T-PST", "PST 7% (retired)", Decimal("7"), False, "T-PST"),
]


@dataclass
class Entry:
    record: LedgerRecord
    ref: LedgerRef
    total: Decimal = Decimal("0.00")
    paid: Decimal = Decimal("0.00")
    status: str = "AUTHORISED"
    stamp: str | None = None
    """Our external id on it; None for what a bookkeeper entered (`Books.enter`)."""


@dataclass
class Books:
    """One tenant's books: entries by type and ledger id, and the answers given per idempotency key."""

    entries: dict[EntityType, dict[str, Entry]] = field(default_factory=lambda: {kind: {} for kind in EntityType})
    answered: dict[str, LedgerRef] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def invoice_amounts(self, ledger_id: str) -> tuple[Decimal, Decimal]:
        """(total, balance due) as these books keep them."""
        entry = self.entries[EntityType.INVOICE][ledger_id]
        return entry.total, Decimal("0.00") if entry.status == "VOIDED" else entry.total - entry.paid

    def enter(self, record: CustomerRecord | ItemRecord | InvoiceRecord, stamp: str | None = None) -> str:
        """A customer, item or invoice a bookkeeper entered by hand (unstamped, or with `stamp`): books that already
        exist."""
        ledger_id = f"{record.entity_type.value[0].upper()}-{next(self.ids)}"
        total = record.total if isinstance(record, InvoiceRecord) else Decimal("0.00")
        self.entries[record.entity_type][ledger_id] = Entry(record, LedgerRef(ledger_id, "0"), total, stamp=stamp)
        return ledger_id

    def name(self, ledger_id: str) -> str:
        """A customer's name as these books keep it."""
        record = self.entries[EntityType.CUSTOMER][ledger_id].record
        assert isinstance(record, CustomerRecord)
        return record.display_name


BOOKS: dict[str, Books] = {}
"""Every tenant's books, for the life of the process."""


class MemoryOAuth:
    """Consent is granted at once; tokens live an hour and every refresh rotates them."""

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        return f"memory://consent?state={state}"

    def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet:
        return _tokens(f"grant-{code}")

    def tenants(self, tokens: TokenSet, realm_id: str | None) -> list[tuple[str, str]]:
        return [TENANT]

    def refresh(self, refresh_token: str) -> TokenSet:
        return _tokens(f"{refresh_token}-r")

    def revoke(self, refresh_token: str) -> None:
        return None

    def close(self) -> None:
        return None


def _tokens(seed: str) -> TokenSet:
    now = datetime.now(UTC)
    return TokenSet(f"access-{seed}", f"refresh-{seed}", now + timedelta(hours=1), now + timedelta(days=30))


def _name(record: LedgerRecord) -> str | None:
    """The name the books keep unique per type (case-insensitively), if the type has one."""
    if isinstance(record, CustomerRecord):
        return record.display_name.casefold()
    if isinstance(record, ItemRecord):
        return record.name.casefold()
    if isinstance(record, InvoiceRecord | CreditNoteRecord):
        return record.number.casefold()
    return None


class MemoryConnector:
    ledger: ClassVar[str] = NAME
    max_batch_size: ClassVar[int] = 10

    def __init__(self, tenant_id: str, tokens: TokenProvider) -> None:
        self.tenant_id = tenant_id
        self._books = BOOKS.setdefault(tenant_id, Books())
        self._tokens = tokens
        self._calls = 0

    @property
    def calls(self) -> int:
        return self._calls

    def _call(self) -> None:
        self._tokens.access_token()
        self._calls += 1

    def list_accounts(self) -> list[LedgerAccount]:
        self._call()
        return list(ACCOUNTS)

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        self._call()
        return list(TAX_RATES)

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        if len(ops) > self.max_batch_size:
            raise ValueError(f"{len(ops)} ops exceed the memory ledger's batch limit of {self.max_batch_size}")
        if any(op.record.entity_type != entity_type for op in ops):
            raise ValueError(f"every op must be of type {entity_type.value}")
        self._call()
        return [self._write_one(op) for op in ops]

    def _write_one(self, op: WriteOp) -> WriteOutcome:
        if (answered := self._books.answered.get(op.idempotency_key)) is not None:
            return WriteOutcome(op, ref=answered)
        try:
            ref = self._store(op)
        except LedgerError as error:
            return WriteOutcome(op, error=error)
        self._books.answered[op.idempotency_key] = ref
        return WriteOutcome(op, ref=ref)

    def _store(self, op: WriteOp) -> LedgerRef:
        record = op.record
        entries = self._books.entries[record.entity_type]
        if op.existing is not None and op.existing.id not in entries:
            raise LedgerError(ErrorKind.VALIDATION, f"{record.entity_type.value} {op.existing.id} does not exist")
        if isinstance(record, InvoiceRecord) and record.voided and op.existing is not None:
            return self._void(entries[op.existing.id])
        own_id = op.existing.id if op.existing else None
        name = _name(record)
        if name is not None and any(_name(e.record) == name and i != own_id for i, e in entries.items()):
            raise LedgerError(ErrorKind.DUPLICATE, f"another {record.entity_type.value} is already named {name!r}")
        total, paid = self._amounts(record)
        ref = LedgerRef(own_id or f"{record.entity_type.value[0].upper()}-{next(self._books.ids)}", "0")
        if own_id is not None:
            ref = replace(ref, sync_token=str(int(entries[own_id].ref.sync_token or "0") + 1))
        entries[ref.id] = Entry(record, ref, total, entries[own_id].paid if own_id else paid, stamp=record.external_id)
        if isinstance(record, PaymentRecord | CreditApplicationRecord):
            self._books.entries[EntityType.INVOICE][record.invoice_ref].paid += record.amount
        if isinstance(record, CreditApplicationRecord):
            self._books.entries[EntityType.CREDIT_NOTE][record.credit_note_ref].paid += record.amount
        return ref

    def _void(self, invoice: Entry) -> LedgerRef:
        """Delete the payments applied to the invoice, then void it (a void of a voided invoice changes nothing)."""
        if invoice.status != "VOIDED":
            for payment in self._books.entries[EntityType.PAYMENT].values():
                if isinstance(payment.record, PaymentRecord) and payment.record.invoice_ref == invoice.ref.id:
                    payment.status = "DELETED"
            invoice.paid, invoice.status = Decimal("0.00"), "VOIDED"
            invoice.ref = replace(invoice.ref, sync_token=str(int(invoice.ref.sync_token or "0") + 1))
        return invoice.ref

    def _amounts(self, record: LedgerRecord) -> tuple[Decimal, Decimal]:
        """(total, paid) of a new invoice, from its own lines; refuses references these books do not know."""
        books = self._books.entries
        if isinstance(record, CreditApplicationRecord):
            note = books[EntityType.CREDIT_NOTE].get(record.credit_note_ref)
            invoice = books[EntityType.INVOICE].get(record.invoice_ref)
            if note is None or invoice is None:
                raise LedgerError(ErrorKind.VALIDATION, "the credit note or the invoice does not exist")
            if record.amount <= 0 or record.amount > min(note.total - note.paid, invoice.total - invoice.paid):
                raise LedgerError(ErrorKind.VALIDATION, f"{record.amount} exceeds the credit left or the balance due")
            return record.amount, Decimal("0.00")
        if isinstance(record, InvoiceRecord | CreditNoteRecord):
            if record.customer_ref not in books[EntityType.CUSTOMER]:
                raise LedgerError(ErrorKind.VALIDATION, f"customer {record.customer_ref} does not exist")
            unknown = {line.item_ref for line in record.lines} - set(books[EntityType.ITEM])
            if unknown:
                raise LedgerError(ErrorKind.VALIDATION, f"items {sorted(unknown)} do not exist")
            discounts = record.discounts if isinstance(record, InvoiceRecord) else ()
            unknown_accounts = {d.account_ref for d in discounts} - {a.id for a in ACCOUNTS if a.active}
            if unknown_accounts:
                raise LedgerError(ErrorKind.VALIDATION, f"accounts {sorted(unknown_accounts)} do not exist")
            net = sum((item.amount for item in (*record.lines, *discounts)), Decimal("0.00"))
            total = net + sum((tax.amount for tax in record.tax_lines), Decimal("0.00"))
            if total < 0:
                raise LedgerError(ErrorKind.VALIDATION, f"a document cannot total {total}")
            return total, Decimal("0.00")
        if isinstance(record, PaymentRecord):
            invoice = books[EntityType.INVOICE].get(record.invoice_ref)
            if invoice is None:
                raise LedgerError(ErrorKind.VALIDATION, f"invoice {record.invoice_ref} does not exist")
            if record.amount <= 0 or record.amount > invoice.total - invoice.paid:
                raise LedgerError(ErrorKind.VALIDATION, f"{record.amount} exceeds the invoice's balance")
            return record.amount, Decimal("0.00")
        return Decimal("0.00"), Decimal("0.00")

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        self._call()
        wanted = {record.external_id: record.source_id for record in records}
        return {
            wanted[entry.stamp]: entry.ref
            for entry in self._books.entries[entity_type].values()
            if entry.stamp in wanted and entry.status not in GONE_STATUSES
        }

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        self._call()
        found: dict[int, list[LedgerSnapshot]] = {}
        for record in records:
            for entry in self._books.entries[EntityType.INVOICE].values():
                held = entry.record
                if isinstance(held, InvoiceRecord) and _name(held) == _name(record):
                    snapshot = LedgerSnapshot(
                        entry.ref.id,
                        entry.stamp or "",
                        entry.total,
                        held.customer_ref,
                        entry.status,
                        issued_on=held.issue_date,
                    )
                    found.setdefault(record.source_id, []).append(snapshot)
        return found

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]:
        self._call()
        listings = []
        for entry in self._books.entries[entity_type].values():
            record = entry.record
            assert isinstance(record, CustomerRecord | ItemRecord)
            name, email = (
                (record.display_name, record.email) if isinstance(record, CustomerRecord) else (record.name, None)
            )
            listings.append(LedgerListing(entry.ref.id, name, email, entry.stamp, entry.ref.sync_token))
        return listings

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        self._call()
        entry = self._books.entries[record.entity_type][ledger_id]
        if entry.stamp != record.external_id:
            entry.stamp = record.external_id
            entry.ref = replace(entry.ref, sync_token=str(int(entry.ref.sync_token or "0") + 1))
        return entry.ref

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        self._call()
        wanted = {record.external_id: record.source_id for record in records}
        found: dict[int, list[LedgerSnapshot]] = {}
        for entry in self._books.entries[entity_type].values():
            record = entry.record
            if entry.stamp not in wanted:
                continue
            invoice = isinstance(record, InvoiceRecord | CreditNoteRecord)
            sign = -1 if isinstance(record, InvoiceCreditRecord) else 1  # a credit note standing for an invoice
            snapshot = LedgerSnapshot(
                ledger_id=entry.ref.id,
                external_id=entry.stamp or "",
                amount=sign * entry.total,
                customer_ref=getattr(record, "customer_ref", ""),
                status=entry.status,
                tax=sign * sum((t.amount for t in record.tax_lines), Decimal("0.00")) if invoice else None,
                balance=(Decimal("0.00") if entry.status == "VOIDED" else sign * (entry.total - entry.paid))
                if invoice
                else None,
            )
            found.setdefault(wanted[entry.stamp], []).append(snapshot)
        return found

    def close(self) -> None:
        return None


def open_oauth(settings: Settings) -> LedgerOAuth:
    return MemoryOAuth()


def open_connector(settings: Settings, tenant_id: str, tokens: TokenProvider) -> LedgerConnector:
    return MemoryConnector(tenant_id, tokens)


PLUGIN = LedgerPlugin(
    name=NAME,
    label=LABEL,
    badge="m",
    tenant_noun="Book",
    max_batch_size=MemoryConnector.max_batch_size,
    limits=LedgerLimits(NAME, LABEL, doc_number_max=20, email_max=100),
    record_kinds=frozenset(EntityType),
    pkce=False,
    multiple_tenants=False,
    open_oauth=open_oauth,
    open_connector=open_connector,
)
"""Registered by `test_memory.py` for its module only, so no other test sees a third ledger."""
