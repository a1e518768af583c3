"""Ledger-neutral records: what the sync asks a ledger to hold, with ledger references resolved.

The transform step builds these from Service Opus rows and the mapping; every connector turns them
into its own wire format. `content_hash` is what the entity map remembers, so an unchanged record is
never written again and the same record version always gets the same idempotency key. A field added
later is hashed only when it is set (`SET_ONLY`): records without it keep the hash they were synced with,
so adding a field does not resend every record.
"""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from ledger_sync.core.tracking import TrackingTag, revenue_by_option

SET_ONLY = {"hashed": "when set"}
"""Field metadata: leave the field out of the content hash while it holds its default."""
NOT_HASHED = {"hashed": "never"}
"""Field metadata: never in the content hash (an instruction that goes with a write, not what the ledger holds)."""


class EntityType(StrEnum):
    """In dependency order: each type may reference the ones before it."""

    CUSTOMER = "customer"
    ITEM = "item"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    CREDIT_APPLICATION = "credit_application"
    """A credit note's credit applied to the invoice it credits: its own write, found again on its own."""
    PAYMENT = "payment"
    TIP = "tip"
    """A payment's tip, its own document into the payment's deposit account (see `TipRecord`)."""
    REFUND = "refund"
    """Money paid back out of a synced payment: gives back revenue and tax, paid out of where the payment landed."""
    PAYOUT = "payout"
    """A card processor's payout of settled payments, net of its fees (see `PayoutRecord`)."""


_PLAIN = (str, int, bool, type(None))
_hashed_fields: dict[type, tuple[tuple[str, bool, object], ...]] = {}
"""Per dataclass: (name, hashed only when set, default) of its fields, worked out once per class."""


def _fields_of(kind: type) -> tuple[tuple[str, bool, object], ...]:
    plan = _hashed_fields.get(kind)
    if plan is None:
        fields = (f for f in dataclasses.fields(kind) if f.metadata != NOT_HASHED)
        plan = tuple((f.name, f.metadata == SET_ONLY, f.default) for f in fields)
        _hashed_fields[kind] = plan
    return plan


def _canonical(value: object) -> object:
    """`value` as plain JSON data: what the content hash is taken of. Converted by its type's converter, worked out
    the first time the type is met (`_converter_for`): a record holds thousands of values of a handful of types."""
    kind = type(value)
    convert = _converters.get(kind)
    if convert is None:
        convert = _converters[kind] = _converter_for(kind)
    return convert(value)


def _as_is(value: object) -> object:
    return value


def _as_list(value: object) -> object:
    return [_canonical(v) for v in value]  # type: ignore[attr-defined]


def _as_sorted_dict(value: object) -> object:
    return {k: _canonical(v) for k, v in sorted(value.items())}  # type: ignore[attr-defined]


def _as_fields(plan: tuple[tuple[str, bool, object], ...]) -> Callable[[object], object]:
    def convert(value: object) -> object:
        return {
            name: _canonical(getattr(value, name))
            for name, set_only, default in plan
            if not set_only or getattr(value, name) != default
        }

    return convert


def _converter_for(kind: type) -> Callable[[object], object]:
    """How a value of `kind` is made plain: as it is (text, numbers, booleans, None and enum members of text), a
    Decimal as its digits, a date in ISO form, a sequence as a list, a mapping with sorted keys, a dataclass as its
    hashed fields (`_fields_of`); anything else as it is."""
    if kind in _PLAIN or issubclass(kind, str):
        return _as_is
    if issubclass(kind, Decimal):
        return str
    if issubclass(kind, date):
        return kind.isoformat  # type: ignore[return-value]
    if issubclass(kind, tuple | list):
        return _as_list
    if issubclass(kind, dict):
        return _as_sorted_dict
    if dataclasses.is_dataclass(kind):
        return _as_fields(_fields_of(kind))
    return _as_is


_converters: dict[type, Callable[[object], object]] = {}
"""Per type met: its `_converter_for`."""


def external_id_of(entity_type: EntityType, source_id: int) -> str:
    """The external id a record of this type carries unless its class says otherwise: "SO-P12" for payment 12."""
    return f"SO-{entity_type.value[0].upper()}{source_id}"


class Record:
    """Mixin for the records below: identity, external id and a stable content hash."""

    entity_type: EntityType
    source_id: int

    @property
    def external_id(self) -> str:
        """Stamped on the ledger record so it can be found again after an ambiguous failure."""
        return external_id_of(self.entity_type, self.source_id)

    @cached_property
    def content_hash(self) -> str:
        """Worked out once per record (a record is frozen): the write engine asks for it at every step."""
        return hashlib.sha256(json.dumps(_canonical(self), sort_keys=True).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    region: str
    postal_code: str
    country: str


@dataclass(frozen=True)
class CustomerRecord(Record):
    source_id: int
    display_name: str
    email: str | None = None
    phone: str | None = None
    address: Address | None = None
    currency: str | None = field(default=None, metadata=SET_ONLY)
    """The one currency the customer is billed in (ISO 4217); None: the company's home currency. A ledger creates
    the customer in it and will not change it once the customer has transactions."""
    entity_type: EntityType = field(default=EntityType.CUSTOMER, init=False)


@dataclass(frozen=True)
class ItemRecord(Record):
    source_id: int
    name: str
    description: str
    unit_price: Decimal
    income_account_ref: str
    entity_type: EntityType = field(default=EntityType.ITEM, init=False)


@dataclass(frozen=True)
class InvoiceLineRecord:
    """Amounts are tax-exclusive (net); `tax_amount` is Service Opus's own per-line tax. A discount line
    (a negative quantity or unit price) has a negative amount and tax."""

    item_ref: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    tax_code_ref: str
    tax_amount: Decimal
    tracking: tuple[TrackingTag, ...] = field(default=(), metadata=SET_ONLY)
    """The ledger tracking options this line carries (its technician's; a business unit's the ledger tracks per
    line). A ledger carries at most one option of each of its categories on a line."""


@dataclass(frozen=True)
class TaxLineRecord:
    """Tax of one ledger tax rate over the invoice: the sum of its lines' taxes."""

    tax_code_ref: str
    tax_rate_ref: str
    rate_percent: Decimal
    net_taxable: Decimal
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDiscountRecord:
    """Service Opus's invoice discount on the lines of one tax rate: taken off before tax, so `amount` (net)
    and `tax_amount` are negative, and both count in the invoice's tax lines and totals."""

    percent: Decimal
    tax_code_ref: str
    amount: Decimal
    tax_amount: Decimal
    account_ref: str
    """The income account the discount reduces (the mapped Sales Income account)."""


@dataclass(frozen=True)
class InvoiceRecord(Record):
    source_id: int
    number: str
    customer_ref: str
    issue_date: date
    due_date: date
    currency: str
    lines: tuple[InvoiceLineRecord, ...]
    tax_lines: tuple[TaxLineRecord, ...]
    subtotal: Decimal
    """Net of the lines and the discounts."""
    total_tax: Decimal
    total: Decimal
    discounts: tuple[InvoiceDiscountRecord, ...] = field(default=(), metadata=SET_ONLY)
    voided: bool = field(default=False, metadata=SET_ONLY)
    """Voided in Service Opus after it was synced: the connector voids the ledger's invoice (and removes the
    payments applied to it first, as the ledgers require); a new content hash, so it goes as an update."""
    exchange_rate: Decimal | None = field(default=None, metadata=SET_ONLY)
    """Home units for one unit of `currency`, as Service Opus recorded it (`core.currency`); None: home money."""
    reissue: int = field(default=0, metadata=SET_ONLY)
    """How many times the ledger refused to correct it and it was reissued (`core.reissue`): its stamp and number
    carry "-R<n>", so the new invoice is told apart from the one it replaces."""
    tracking: tuple[TrackingTag, ...] = field(default=(), metadata=SET_ONLY)
    """The tracking options the whole invoice carries (its business unit's, where the ledger tracks it per
    transaction: a QBO department, or class when class tracking is per transaction)."""
    removes_payments: tuple[int, ...] = field(default=(), metadata=NOT_HASHED)
    """A void's: the payments Service Opus booked for the invoice that the ledger may hold (synced, or sent with an
    outcome never learned), by source id. The connector takes each out of the ledger wherever it is, applied to the
    invoice or not: a deposit whose application was not sent yet, an overpayment whose credit was received but not
    yet allocated when a run died (`tasks.voids`)."""
    entity_type: EntityType = field(default=EntityType.INVOICE, init=False)

    @property
    def revenue_by_option(self) -> dict[str, Decimal]:
        """Net revenue of the lines per tracking option id (the invoice discount is tracked by no option)."""
        return revenue_by_option((line.amount, (*line.tracking, *self.tracking)) for line in self.lines)

    @property
    def external_id(self) -> str:
        return f"SO-I{self.source_id}" + (f"-R{self.reissue}" if self.reissue else "")


@dataclass(frozen=True)
class CreditNoteRecord(Record):
    """A credit note: lines and tax built like an invoice's (amounts positive: what the customer is credited).
    Stamped "SO-N<id>": "SO-C" is a customer's stamp."""

    source_id: int
    number: str
    customer_ref: str
    issue_date: date
    currency: str
    lines: tuple[InvoiceLineRecord, ...]
    tax_lines: tuple[TaxLineRecord, ...]
    subtotal: Decimal
    total_tax: Decimal
    total: Decimal
    voided: bool = field(default=False, metadata=SET_ONLY)
    """Voided in Service Opus after it was synced: the connector voids the ledger's credit note (after removing
    the credit applied from it; QBO cannot void a CreditMemo through its API, so it deletes it)."""
    exchange_rate: Decimal | None = field(default=None, metadata=SET_ONLY)
    """Home units for one unit of `currency` (the customer's foreign one), as Service Opus recorded it on the credit
    note (a refund: on the day it was paid back; an invoice below zero: the invoice's); None: home money."""
    entity_type: EntityType = field(default=EntityType.CREDIT_NOTE, init=False)

    @property
    def external_id(self) -> str:
        return f"SO-N{self.source_id}"


@dataclass(frozen=True)
class InvoiceCreditRecord(CreditNoteRecord):
    """A Service Opus invoice totalling below zero, written as the credit note it is (neither ledger takes a
    negative invoice): its amounts are the invoice's negated. It stays the invoice in the sync's books (the
    entity map, its checkpoint, its stamp "SO-I<id>"); the ledger holds it as a credit note, a kind of its own,
    so the stamp cannot clash with an invoice's. Read back, its figures are negated again: the invoice's."""

    entity_type: EntityType = field(default=EntityType.INVOICE, init=False)

    @property
    def external_id(self) -> str:
        return f"SO-I{self.source_id}"


@dataclass(frozen=True)
class CreditApplicationRecord(Record):
    """A credit note's credit applied to the invoice it credits; `source_id` is the credit note's (one
    application per credit note). Stamped "SO-A<credit note id>" where the ledger keeps a stamp (QBO's
    payment); Xero's allocation has none and is found on its credit note by the invoice it is allocated to."""

    source_id: int
    credit_note_ref: str
    invoice_ref: str
    customer_ref: str
    amount: Decimal
    applied_on: date
    currency: str | None = field(default=None, metadata=SET_ONLY)
    """The credit note's currency when it is a foreign one, which its invoice is in too; None: home money."""
    exchange_rate: Decimal | None = field(default=None, metadata=SET_ONLY)
    """The credit note's exchange rate (home units per unit of `currency`); None: home money."""
    entity_type: EntityType = field(default=EntityType.CREDIT_APPLICATION, init=False)

    @property
    def external_id(self) -> str:
        return f"SO-A{self.source_id}"


@dataclass(frozen=True)
class PaymentRecord(Record):
    source_id: int
    invoice_ref: str
    customer_ref: str
    amount: Decimal
    paid_on: date
    method: str
    deposit_account_ref: str
    """The mapped ledger account of the Service Opus bank account it landed in (else Undeposited Funds)."""
    reference: str = field(default="", metadata=SET_ONLY)
    """The card's last four digits or the check number, for the ledger's own reference field."""
    reversed: bool = field(default=False, metadata=SET_ONLY)
    """Failed or charged back in Service Opus after it was synced: the connector takes the ledger's payment out (QBO
    voids it, Xero deletes it), reopening the invoice; a new content hash, so it goes as an update."""
    applied: Decimal | None = field(default=None, metadata=SET_ONLY)
    """What of `amount` pays the invoice when that is less (an overpayment: the rest stays the customer's credit);
    None: all of it. A deposit taken before its invoice exists has no `invoice_ref` ("") and applies nothing; its
    application later is the same payment with `invoice_ref` set (a new content hash: an update)."""
    currency: str | None = field(default=None, metadata=SET_ONLY)
    """The currency of the payment, its invoice's and its customer's (both ledgers refuse any other); None: home."""
    exchange_rate: Decimal | None = field(default=None, metadata=SET_ONLY)
    """Home units for one unit of `currency` when it was collected, as Service Opus recorded it; None: home money.
    Another rate than the invoice's leaves the ledger a realised exchange gain or loss (`core.currency`)."""
    entity_type: EntityType = field(default=EntityType.PAYMENT, init=False)

    @property
    def applied_amount(self) -> Decimal:
        """What pays the invoice: nothing while the payment is an unapplied deposit."""
        if not self.invoice_ref:
            return Decimal("0.00")
        return self.amount if self.applied is None else self.applied

    @property
    def credit(self) -> Decimal:
        """What stays the customer's credit (a deposit's whole amount until it is applied, an overpayment's excess)."""
        return self.amount - self.applied_amount


@dataclass(frozen=True)
class TipRecord(Record):
    """A payment's tip: money into the payment's deposit account credited to the Tips liability account, never
    to the invoice or revenue (QBO: a Deposit; Xero: a RECEIVE bank transaction from the customer). `source_id`
    is the payment's (one tip per payment); stamped "SO-T<payment id>"."""

    source_id: int
    customer_ref: str
    amount: Decimal
    paid_on: date
    deposit_account_ref: str
    tips_account_ref: str
    payment_external_id: str
    """The stamp of the payment it came with, for the ledger's memo."""
    reversed: bool = field(default=False, metadata=SET_ONLY)
    """Its payment failed or was charged back after both were synced: the tip went with it, so the connector takes
    the tip's document out too (QBO deletes the Deposit, Xero deletes the bank transaction)."""
    entity_type: EntityType = field(default=EntityType.TIP, init=False)


@dataclass(frozen=True)
class RefundRecord(CreditNoteRecord):
    """A refund of (part of) a payment: lines and tax like a credit note's, the share of the paid invoice's revenue
    and tax it gives back (`core.refunds`), paid out of `deposit_account_ref`, the account the payment landed in.
    QBO holds it as a RefundReceipt, Xero as a credit note with a refund payment. Stamped "SO-R<id>"."""

    deposit_account_ref: str = field(kw_only=True)
    reason: str = field(kw_only=True)
    entity_type: EntityType = field(default=EntityType.REFUND, init=False)

    @property
    def external_id(self) -> str:
        return f"SO-R{self.source_id}"


@dataclass(frozen=True)
class SettledPayment:
    """A payment a payout settles, as the ledger holds it (QBO deposits one held in Undeposited Funds by it)."""

    payment_ref: str
    amount: Decimal


@dataclass(frozen=True)
class PayoutRecord(Record):
    """A card processor's payout: the gross of the payments it settles leaves the clearing account, the fees go to
    the Processing Fees expense account and the net lands in the operating bank account, so the clearing account
    is emptied of them and the bank shows exactly the net (QBO: one Deposit; Xero: a BankTransfer for the net and a
    SPEND bank transaction for the fees). Stamped "SO-O<payout id>"."""

    source_id: int
    paid_on: date
    gross: Decimal
    fees: Decimal
    clearing_account_ref: str
    clearing_holds_payments: bool
    """The clearing account is Undeposited Funds (payments wait there to be deposited), not a bank account."""
    operating_account_ref: str
    fees_account_ref: str
    processor: str
    """The card processor's name: the payee of the fees where the ledger asks for one (Xero's contact)."""
    payments: tuple[SettledPayment, ...]
    entity_type: EntityType = field(default=EntityType.PAYOUT, init=False)

    @property
    def external_id(self) -> str:
        return f"SO-O{self.source_id}"  # "P" is the payments'

    @property
    def net(self) -> Decimal:
        return self.gross - self.fees


LedgerRecord = (
    CustomerRecord
    | ItemRecord
    | InvoiceRecord
    | CreditNoteRecord
    | CreditApplicationRecord
    | PaymentRecord
    | TipRecord
    | RefundRecord
    | PayoutRecord
)


def withdrawn(record: LedgerRecord) -> bool:
    """Undone in Service Opus (an invoice or credit note voided, a payment failed or charged back, with its tip): the
    ledger must not hold it."""
    return (isinstance(record, InvoiceRecord | CreditNoteRecord) and record.voided) or (
        isinstance(record, PaymentRecord | TipRecord) and record.reversed
    )
