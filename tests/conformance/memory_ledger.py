"""A throwaway third ledger: books kept in memory, a plug-in for them, and nothing outside this file.

It proves the plug-in seam: registered (see `test_memory.py`), it connects through onboarding's OAuth
steps, gets its connector from the factory and passes the conformance suite without a line changed
elsewhere. It is as strict as the suite needs a ledger to be: unique names, known references, no
overpayment, money received only into a bank account, a payout only of payments waiting in its clearing account, one
outcome per op, and a replayed idempotency key returns
the first answer.
"""

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from ledger_sync.connectors.registry import LedgerOAuth, LedgerPlugin
from ledger_sync.core.bank_balances import Money, routed
from ledger_sync.core.currency import home_amount
from ledger_sync.core.ledger import (
    GONE_STATUSES,
    ErrorKind,
    InvoiceNumbers,
    LedgerAccount,
    LedgerConnector,
    LedgerCurrencies,
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
    PayoutRecord,
    RefundRecord,
    TipRecord,
    external_id_of,
)
from ledger_sync.core.tokens import TokenProvider, TokenSet
from ledger_sync.core.tracking import LedgerTrackingOption, TrackingLevel
from ledger_sync.settings import Settings

NAME = "memory"
LABEL = "Memory Books"
TENANT = ("books-1", "Memory Books Ltd")
HOME_CURRENCY = "CAD"
ACCOUNTS = [
    LedgerAccount("A-400", "Sales", "income", True, "400"),
    LedgerAccount("A-401", "Old Sales", "income", False, "401"),
    LedgerAccount("A-090", "Bank", "bank", True, "090"),
    LedgerAccount("A-610", "Undeposited Funds", "undeposited_funds", True, "610"),
    LedgerAccount("A-820", "Sales Tax", "liability", True, "820"),
    LedgerAccount("A-825", "Tips Payable", "liability", True, "825"),
    LedgerAccount("A-093", "Card Clearing", "bank", True, "093"),
    LedgerAccount("A-092", "Cash Drawer", "bank", True, "092"),
    LedgerAccount("A-404", "Bank Fees", "expense", True, "404"),
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
    foreign: set[str] = field(default_factory=set)
    """The foreign currencies the books take (enabled by a bookkeeper: the harness's `enable_currency`)."""
    closed_through: date | None = None
    """The books' closing date: an invoice or credit note dated on or before it is neither written nor edited
    (as QBO's closed period and Xero's lock date refuse it)."""

    def invoice_amounts(self, ledger_id: str) -> tuple[Decimal, Decimal]:
        """(total, balance due) as these books keep them."""
        entry = self.entries[EntityType.INVOICE][ledger_id]
        return entry.total, Decimal("0.00") if entry.status == "VOIDED" else entry.total - entry.paid

    def close(self, through: date | None) -> None:
        """Close the books through a date (None: reopen them)."""
        self.closed_through = through

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


TRACKING = [
    LedgerTrackingOption("T-N", "North Branch", "T-BU", "Business Unit", True, TrackingLevel.TRANSACTION),
    LedgerTrackingOption("T-S", "South Branch", "T-BU", "Business Unit", True, TrackingLevel.TRANSACTION),
    LedgerTrackingOption("T-C", "Closed Branch", "T-BU", "Business Unit", False, TrackingLevel.TRANSACTION),
    LedgerTrackingOption("T-AR", "Alex Rivera", "T-TECH", "Technician", True, TrackingLevel.LINE),
    LedgerTrackingOption("T-SC", "Sam Chen", "T-TECH", "Technician", True, TrackingLevel.LINE),
    LedgerTrackingOption("T-FT", "Former Technician", "T-TECH", "Technician", False, TrackingLevel.LINE),
]
"""Business units tracked per transaction, technicians per line (both levels a ledger may offer)."""


def _refuse_bad_tracking(record: LedgerRecord) -> None:
    """An unknown or archived option, or one carried at a level its ledger does not track it at, is refused."""
    if not isinstance(record, InvoiceRecord):
        return
    options = {option.id: option for option in TRACKING}
    carried = [(tag, TrackingLevel.TRANSACTION) for tag in record.tracking]
    carried += [(tag, TrackingLevel.LINE) for line in record.lines for tag in line.tracking]
    for tag, level in carried:
        option = options.get(tag.option_id)
        if option is None or not option.active or option.level is not level:
            raise LedgerError(ErrorKind.VALIDATION, f"tracking option {tag.option_id} cannot be used {level.value}")


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

    def list_tracking_options(self) -> list[LedgerTrackingOption]:
        self._call()
        return list(TRACKING)

    def currencies(self) -> LedgerCurrencies:
        self._call()
        return LedgerCurrencies(HOME_CURRENCY, True, frozenset({HOME_CURRENCY, *self._books.foreign}))

    def account_balances(self, account_ids: Sequence[str]) -> dict[str, Decimal]:
        """The balance of each bank or clearing account asked for, summed on each read from the money records these
        books hold, by the sync's own rule (a throwaway ledger may rescan; the sandboxes keep theirs as they post)."""
        self._call()
        held = [
            entry.record
            for entries in self._books.entries.values()
            for entry in entries.values()
            if entry.status not in GONE_STATUSES and isinstance(entry.record, Money)
        ]
        balances = routed(held)
        kept = {a.id for a in ACCOUNTS if a.type in ("bank", "undeposited_funds")} & set(account_ids)
        return {ref: balances.get(ref, Decimal("0.00")) for ref in kept}

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
        self._refuse_closed(record, entries[op.existing.id].record if op.existing else None)
        if op.voids:
            assert op.existing is not None
            held = entries[op.existing.id]
            return self._reverse(held) if isinstance(record, PaymentRecord | TipRecord) else self._void(held, record)
        _refuse_bad_tracking(record)
        own_id = op.existing.id if op.existing else None
        name = _name(record)
        if name is not None and any(_name(e.record) == name and i != own_id for i, e in entries.items()):
            raise LedgerError(ErrorKind.DUPLICATE, f"another {record.entity_type.value} is already named {name!r}")
        self._check_currency(record, own_id)
        held_payment = entries[own_id].record if own_id else None
        total, paid = self._amounts(record, held_payment if isinstance(held_payment, PaymentRecord) else None)
        ref = LedgerRef(own_id or f"{record.entity_type.value[0].upper()}-{next(self._books.ids)}", "0")
        if own_id is not None:
            ref = replace(ref, sync_token=str(int(entries[own_id].ref.sync_token or "0") + 1))
        kept_paid = paid if not own_id or isinstance(record, PayoutRecord) else entries[own_id].paid
        entries[ref.id] = Entry(record, ref, total, kept_paid, stamp=record.external_id)
        if isinstance(held_payment, PaymentRecord) and held_payment.invoice_ref:  # applied anew below
            self._books.entries[EntityType.INVOICE][held_payment.invoice_ref].paid -= held_payment.applied_amount
        if isinstance(record, PaymentRecord) and record.invoice_ref:
            self._books.entries[EntityType.INVOICE][record.invoice_ref].paid += record.applied_amount
        if isinstance(record, CreditApplicationRecord):
            self._books.entries[EntityType.INVOICE][record.invoice_ref].paid += record.amount
            self._books.entries[EntityType.CREDIT_NOTE][record.credit_note_ref].paid += record.amount
        return ref

    def _check_currency(self, record: LedgerRecord, own_id: str | None) -> None:
        """As both real ledgers: a customer's currency is enabled and kept once it has transactions; an invoice or a
        payment (credit note, refund) is in its customer's currency, a foreign one at a rate above zero, a home one at
        none."""
        books, home = self._books.entries, HOME_CURRENCY
        if isinstance(record, CustomerRecord):
            if (record.currency or home) not in {home, *self._books.foreign}:
                raise LedgerError(ErrorKind.VALIDATION, f"{record.currency} is not enabled")
            held = books[EntityType.CUSTOMER][own_id].record if own_id else None
            used = any(
                isinstance(entry.record, InvoiceRecord | CreditNoteRecord | PaymentRecord)
                and entry.record.customer_ref == own_id
                for kind in (EntityType.INVOICE, EntityType.CREDIT_NOTE, EntityType.PAYMENT, EntityType.REFUND)
                for entry in books[kind].values()
            )
            if isinstance(held, CustomerRecord) and held.currency != record.currency and used:
                raise LedgerError(ErrorKind.VALIDATION, "a customer with transactions keeps its currency")
            return
        if not isinstance(record, InvoiceRecord | CreditNoteRecord | PaymentRecord):
            return
        customer = books[EntityType.CUSTOMER].get(record.customer_ref)
        billed = customer.record.currency if customer and isinstance(customer.record, CustomerRecord) else None
        currency = record.currency or home
        if currency != (billed or home):
            raise LedgerError(ErrorKind.VALIDATION, f"{currency} is not the customer's currency")
        if (currency == home) != (record.exchange_rate is None) or (record.exchange_rate or 1) <= 0:
            raise LedgerError(ErrorKind.VALIDATION, "a foreign document needs its exchange rate, a home one none")

    def _refuse_closed(self, record: LedgerRecord, held: LedgerRecord | None) -> None:
        """A document dated in the closed period, or the edit or void of one, is refused as locked."""
        closed = self._books.closed_through
        dates = [r.issue_date for r in (record, held) if isinstance(r, InvoiceRecord | CreditNoteRecord)]
        if closed is not None and any(day <= closed for day in dates):
            raise LedgerError(ErrorKind.LOCKED, f"Account Period Closed: the books are closed through {closed}")

    def _void(self, document: Entry, voided: LedgerRecord) -> LedgerRef:
        """Delete the payments and credit applications made to or from the invoice or credit note (each gives
        back what it applied), and the payments a voided invoice names wherever they are, then void it (a void of a
        voided document changes nothing)."""
        if document.status != "VOIDED":
            books = self._books.entries
            named = voided.removes_payments if isinstance(voided, InvoiceRecord) else ()
            stamps = {external_id_of(EntityType.PAYMENT, source_id) for source_id in named}
            for payment in books[EntityType.PAYMENT].values():
                if payment.stamp in stamps:
                    self._reverse(payment)
            for applied in [*books[EntityType.PAYMENT].values(), *books[EntityType.CREDIT_APPLICATION].values()]:
                record = applied.record
                assert isinstance(record, PaymentRecord | CreditApplicationRecord)
                notes = (record.credit_note_ref,) if isinstance(record, CreditApplicationRecord) else ()
                if applied.status == "DELETED" or document.ref.id not in (record.invoice_ref, *notes):
                    continue
                applied.status = "DELETED"
                books[EntityType.INVOICE][record.invoice_ref].paid -= _applied(record)
                for note in notes:
                    books[EntityType.CREDIT_NOTE][note].paid -= record.amount
            document.paid, document.status = Decimal("0.00"), "VOIDED"
            document.ref = replace(document.ref, sync_token=str(int(document.ref.sync_token or "0") + 1))
        return document.ref

    def _reverse(self, payment: Entry) -> LedgerRef:
        """Delete a payment that failed or was charged back, reopening its invoice, or its tip (again: nothing
        changes)."""
        if payment.status != "DELETED":
            if isinstance(payment.record, PaymentRecord) and payment.record.invoice_ref:
                self._books.entries[EntityType.INVOICE][payment.record.invoice_ref].paid -= _applied(payment.record)
            payment.status = "DELETED"
        return payment.ref

    def _amounts(self, record: LedgerRecord, held: PaymentRecord | None = None) -> tuple[Decimal, Decimal]:
        """(total, paid) of a new invoice, from its own lines; refuses references these books do not know. `held`:
        the payment as it was before this update (what it applied is free again for it)."""
        books = self._books.entries
        if isinstance(record, CreditApplicationRecord):
            note = books[EntityType.CREDIT_NOTE].get(record.credit_note_ref)
            invoice = books[EntityType.INVOICE].get(record.invoice_ref)
            if note is None or invoice is None:
                raise LedgerError(ErrorKind.VALIDATION, "the credit note or the invoice does not exist")
            if record.amount <= 0 or record.amount > min(note.total - note.paid, invoice.total - invoice.paid):
                raise LedgerError(ErrorKind.VALIDATION, f"{record.amount} exceeds the credit left or the balance due")
            if getattr(note.record, "currency", None) != getattr(invoice.record, "currency", None):
                raise LedgerError(ErrorKind.VALIDATION, "a credit applies only to an invoice in its currency")
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
            if isinstance(record, RefundRecord):  # paid out at once, from an account money can leave
                if record.deposit_account_ref not in {a.id for a in ACCOUNTS if a.active}:
                    raise LedgerError(ErrorKind.VALIDATION, f"account {record.deposit_account_ref} does not exist")
                return total, total
            return total, Decimal("0.00")
        if isinstance(record, PaymentRecord):
            if record.amount <= 0 or not Decimal(0) <= record.applied_amount <= record.amount:
                raise LedgerError(ErrorKind.VALIDATION, f"{record.applied_amount} of {record.amount} cannot be applied")
            if not record.invoice_ref:  # a deposit: all of it the customer's credit
                if record.customer_ref not in books[EntityType.CUSTOMER]:
                    raise LedgerError(ErrorKind.VALIDATION, f"customer {record.customer_ref} does not exist")
                return record.amount, Decimal("0.00")
            invoice = books[EntityType.INVOICE].get(record.invoice_ref)
            if invoice is None:
                raise LedgerError(ErrorKind.VALIDATION, f"invoice {record.invoice_ref} does not exist")
            freed = held.applied_amount if held is not None and held.invoice_ref == record.invoice_ref else 0
            if record.applied_amount > invoice.total - invoice.paid + freed:
                raise LedgerError(ErrorKind.VALIDATION, f"{record.applied_amount} exceeds the invoice's balance")
            return record.amount, Decimal("0.00")
        if isinstance(record, TipRecord):
            return self._received(record), Decimal("0.00")
        if isinstance(record, PayoutRecord):
            return self._paid_out(record), record.gross
        return Decimal("0.00"), Decimal("0.00")

    def _paid_out(self, payout: PayoutRecord) -> Decimal:
        """A payout's net into an active bank account, its fees to an expense account, its gross exactly the payments
        waiting in its clearing account that no other payout took (both real ledgers take money out of a
        clearing account only so): the net."""
        accounts = {a.id: a for a in ACCOUNTS if a.active}
        operating, clearing = accounts.get(payout.operating_account_ref), accounts.get(payout.clearing_account_ref)
        fees = accounts.get(payout.fees_account_ref)
        if operating is None or operating.type != "bank" or clearing is None or clearing is operating:
            raise LedgerError(ErrorKind.VALIDATION, "a payout moves money between two active accounts into a bank")
        if fees is None or fees.type != "expense" or payout.fees < 0 or payout.net <= 0:
            raise LedgerError(ErrorKind.VALIDATION, "a payout's fees go to an expense account and its net is positive")
        taken = {
            p.payment_ref
            for entry in self._books.entries[EntityType.PAYOUT].values()
            if isinstance(entry.record, PayoutRecord) and entry.record.external_id != payout.external_id
            for p in entry.record.payments
        }
        payments = self._books.entries[EntityType.PAYMENT]
        for paid in payout.payments:
            entry = payments.get(paid.payment_ref)
            if entry is None or entry.status in GONE_STATUSES or paid.payment_ref in taken:
                raise LedgerError(ErrorKind.VALIDATION, f"payment {paid.payment_ref} cannot be paid out")
            if not isinstance(entry.record, PaymentRecord) or entry.record.deposit_account_ref != clearing.id:
                raise LedgerError(ErrorKind.VALIDATION, f"payment {paid.payment_ref} is not in the clearing account")
            if entry.total != paid.amount:
                raise LedgerError(ErrorKind.VALIDATION, f"payment {paid.payment_ref} is paid out whole")
        if payout.gross != sum((p.amount for p in payout.payments), Decimal("0.00")):
            raise LedgerError(ErrorKind.VALIDATION, "a payout's gross is the payments it settles")
        return payout.net

    def _received(self, tip: TipRecord) -> Decimal:
        """Money received into a bank account (both real ledgers take it into nothing else), from a known
        customer, credited to an active account other than a bank."""
        accounts = {a.id: a for a in ACCOUNTS if a.active}
        bank, credited = accounts.get(tip.deposit_account_ref), accounts.get(tip.tips_account_ref)
        if bank is None or bank.type != "bank":
            raise LedgerError(ErrorKind.VALIDATION, f"{tip.deposit_account_ref} is not an active bank account")
        if credited is None or credited.type == "bank":
            raise LedgerError(ErrorKind.VALIDATION, f"{tip.tips_account_ref} cannot be credited with money received")
        if tip.customer_ref not in self._books.entries[EntityType.CUSTOMER] or tip.amount <= 0:
            raise LedgerError(ErrorKind.VALIDATION, "money is received from a known customer, above zero")
        return tip.amount

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
        return self._invoice_numbers().numbered(records)

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        """Every invoice in one call (the memory ledger has no page limit)."""
        self._call()
        return self._invoice_numbers()

    def _invoice_numbers(self) -> InvoiceNumbers:
        held: dict[str, list[LedgerSnapshot]] = {}
        for entry in self._books.entries[EntityType.INVOICE].values():
            record = entry.record
            if isinstance(record, InvoiceRecord):
                snapshot = LedgerSnapshot(
                    entry.ref.id, entry.stamp or "", entry.total, record.customer_ref, entry.status,
                    issued_on=record.issue_date,
                )  # fmt: skip
                held.setdefault(record.number.casefold(), []).append(snapshot)
        return InvoiceNumbers(held, lambda record: record.number)

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
            rate = record.exchange_rate if isinstance(record, InvoiceRecord | CreditNoteRecord) else None
            home = (entry.total, Decimal("0.00") if entry.status == "VOIDED" else entry.total - entry.paid)
            snapshot = LedgerSnapshot(
                home_amount=home_amount(home[0], rate) if rate is not None else None,
                home_balance=home_amount(home[1], rate) if rate is not None else None,
                ledger_id=entry.ref.id,
                external_id=entry.stamp or "",
                amount=sign * entry.total,
                customer_ref=getattr(record, "customer_ref", ""),
                status=entry.status,
                tax=sign * sum((t.amount for t in record.tax_lines), Decimal("0.00")) if invoice else None,
                balance=(Decimal("0.00") if entry.status == "VOIDED" else sign * (entry.total - entry.paid))
                if invoice
                else _gross(entry),
                revenue_by_option=tuple(sorted(record.revenue_by_option.items()))
                if isinstance(record, InvoiceRecord)
                else (),
            )
            found.setdefault(wanted[entry.stamp], []).append(snapshot)
        return found

    def close(self) -> None:
        return None


def _gross(entry: Entry) -> Decimal | None:
    """A payout's gross (what it took out of the clearing account), kept as its `paid`; a live payment's credit
    left unapplied."""
    if isinstance(entry.record, PaymentRecord):
        return Decimal("0.00") if entry.status in GONE_STATUSES else entry.record.credit
    return entry.paid if isinstance(entry.record, PayoutRecord) else None


def _applied(record: PaymentRecord | CreditApplicationRecord) -> Decimal:
    """What the payment or credit application took off its invoice."""
    return record.applied_amount if isinstance(record, PaymentRecord) else record.amount


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
