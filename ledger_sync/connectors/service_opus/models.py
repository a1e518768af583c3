"""Service Opus's own tables, the source of truth the sync reads (and never writes, but for seeding).

Each company is a tenant that connects its own ledger. Money columns are Numeric and come back as
Decimal; tax rates are percentages (13.000 means 13 %). The schema has no migrations of its own: the
seed creates missing tables (`ensure_outbox` the outbox), never missing columns, so a local database made
before a column existed is seeded anew.

Discounts, as Service Opus prices them (`core.money`):
- a discount line is an ordinary line with a negative quantity (a returned part, credited hours) or a
  negative unit price (a waived fee, a trade-in, a goodwill credit), taxed at its own rate like any line;
- the invoice discount is a percentage (`Invoice.discount_percent`; a fixed amount off is a discount
  line). Service Opus prints it as one row per tax rate (and tax-inclusive or not): that rate's subtotal
  times the percentage, rounded half-up to the cent, taken off before tax and taxed at that rate itself.

Change numbers: every insert of an invoice, a payment, a customer, a credit note or a refund, every change of an
invoice, its lines, a customer or a credit note, every change of a payment's status, and a deposit's application
to an invoice (its `invoice_id` set), takes the
company's next change number (`Company.last_change_no + 1`, by an UPDATE ... RETURNING of the company
row inside the writing transaction). An invoice unlocked, edited and locked again therefore comes back
past any checkpoint, and so does an edited customer. The sync reads what changed by that number, never by
a business timestamp, and it cannot skip a change:
- the UPDATE locks the company row until the transaction ends, so a second writer of the same company
  waits for the first to commit (or roll back, then it takes the same number) before it gets the next
  number. Numbers are therefore handed out in commit order, on PostgreSQL (row lock) as on SQLite
  (a single writer at a time anyway);
- so whenever a reader sees change number N committed, every number below N is committed too (or never
  will be): reading `change_no > checkpoint` in order sees a gap-free prefix, whatever the business
  timestamps say (a payment collected offline and synced hours later, a lock that commits late).
The price: the writing transactions of one company serialize from their change to their commit,
which Service Opus keeps short.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Date,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    UniqueConstraint,
    event,
    update,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, Session, mapped_column, relationship
from sqlalchemy.orm.attributes import get_history
from sqlalchemy.types import TypeDecorator, TypeEngine


class SourceBase(DeclarativeBase):
    pass


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    LOCKED = "locked"
    VOID = "void"


class CreditNoteStatus(StrEnum):
    DRAFT = "draft"
    ISSUED = "issued"
    VOID = "void"


class PaymentMethod(StrEnum):
    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    ACH = "ach"


class BankAccountKind(StrEnum):
    OPERATING = "operating"
    CARD_CLEARING = "card_clearing"
    CASH_DRAWER = "cash_drawer"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    COLLECTED = "collected"
    FAILED = "failed"
    """Collected, then returned by the bank (a bounced check, an ACH return); or failed before it was collected."""
    REFUNDED = "refunded"
    """Not set by refunds: a refunded payment stays collected (it was collected; its `Refund` rows say what went back,
    and a payment no longer read would leave its refunds waiting for it). The sync does not read this status."""
    CHARGED_BACK = "charged_back"
    """Collected by card, then taken back by the card's issuer after the cardholder disputed it."""


REVERSED_STATUSES = (PaymentStatus.FAILED, PaymentStatus.CHARGED_BACK)
"""A payment in one of these statuses with a `collected_at` was collected and then reversed: the money is gone
again, the invoice is open again (`Payment.reversed_at`, `Payment.reversal_reason` say when and why). A refund is
not a reversal: the customer was paid back on purpose, by a `Refund` of its own, and the payment stands."""


class ExactDecimal(TypeDecorator[Decimal]):
    """Numeric everywhere, but text on SQLite, whose NUMERIC affinity would store a binary float. Money has 4
    decimal places; an exchange rate more (`scale`)."""

    impl = Numeric(14, 4)
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 4) -> None:
        super().__init__()
        self.precision, self.scale = precision, scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        numeric = Numeric(self.precision, self.scale)
        return dialect.type_descriptor(String(48) if dialect.name == "sqlite" else numeric)

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Decimal | str | None:
        if value is None or dialect.name != "sqlite":
            return value
        return str(Decimal(value))

    def process_result_value(self, value: object, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def _enum(cls: type[StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, values_callable=lambda e: [m.value for m in e], length=16)


class Company(SourceBase):
    __tablename__ = "companies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    """The home currency (ISO 4217): what its books are kept in."""
    last_change_no: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The company's last change number handed out (see the module docstring)."""


class Customer(SourceBase):
    __tablename__ = "customers"
    __table_args__ = (Index("ix_customers_company_change", "company_id", "change_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    display_name: Mapped[str] = mapped_column(String(1000))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    billing_line1: Mapped[str | None] = mapped_column(String(500))
    billing_city: Mapped[str | None] = mapped_column(String(100))
    billing_region: Mapped[str | None] = mapped_column(String(100))
    billing_postal_code: Mapped[str | None] = mapped_column(String(20))
    billing_country: Mapped[str | None] = mapped_column(String(60))
    currency: Mapped[str | None] = mapped_column(String(3))
    """The one currency the customer is billed in (ISO 4217); None: the company's currency."""
    change_no: Mapped[int | None] = mapped_column(BigInteger)
    """Taken on insert and on every edit, in commit order (see the module docstring)."""


CUSTOMER_DETAILS = (
    "display_name",
    "email",
    "phone",
    "billing_line1",
    "billing_city",
    "billing_region",
    "billing_postal_code",
    "billing_country",
    "currency",
)
"""A customer's own details: what an edit may change and what a sync reads and sends of it."""


class ProductCategory(SourceBase):
    __tablename__ = "product_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))


class Product(SourceBase):
    """A product or service sold on invoice lines."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("product_categories.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    is_service: Mapped[bool] = mapped_column(default=True)


class TaxRate(SourceBase):
    __tablename__ = "tax_rates"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    rate: Mapped[Decimal] = mapped_column(ExactDecimal())
    active: Mapped[bool] = mapped_column(default=True)


class BusinessUnit(SourceBase):
    """A part of the company an invoice's revenue is reported under: a branch, a service area, a trade."""

    __tablename__ = "business_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Technician(SourceBase):
    """A person who does the work on invoice lines; revenue is reported per technician."""

    __tablename__ = "technicians"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)


class Invoice(SourceBase):
    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_company_locked", "company_id", "status", "locked_at", "id"),
        Index("ix_invoices_company_change", "company_id", "change_no"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 8))
    """Home units for one unit of `currency`, as Service Opus recorded it on a foreign-currency invoice (set
    exactly when `currency` is not the company's); None: home money."""
    status: Mapped[InvoiceStatus] = mapped_column(_enum(InvoiceStatus), default=InvoiceStatus.DRAFT)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When it was voided (status void); None for a draft voided before this column existed."""
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0), server_default="0")
    """The invoice discount in percent of each tax rate's subtotal, before tax (see the module docstring)."""
    business_unit_id: Mapped[int | None] = mapped_column(ForeignKey("business_units.id"))
    """The business unit (or service area) the invoice's revenue is reported under; None: none."""
    change_no: Mapped[int | None] = mapped_column(BigInteger)
    """Taken on insert and on every change of it or its lines, in commit order (see the module docstring)."""
    lines: Mapped[list["InvoiceLine"]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )


class PricedLine:
    """What an invoice line and a credit note line both hold: a product, a quantity at a unit price (either
    may be negative), and its tax rate."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("product_categories.id"))
    description: Mapped[str] = mapped_column(String(4000), default="")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal())
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal())
    tax_rate_id: Mapped[int | None] = mapped_column(ForeignKey("tax_rates.id"))
    tax_inclusive: Mapped[bool] = mapped_column(default=False)


class InvoiceLine(PricedLine, SourceBase):
    __tablename__ = "invoice_lines"
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    """Who did the line's work; None: nobody in particular (a part sold over the counter, a fee)."""
    invoice: Mapped[Invoice] = relationship(back_populates="lines")


class CreditNote(SourceBase):
    """A credit the company owes a customer (a refund for work, a correction), as a document of its own,
    optionally tied to the invoice it credits. Its lines are priced like invoice lines; its total is what
    the customer is credited. A foreign customer's is in its currency at a recorded rate (`exchange_rate`)."""

    __tablename__ = "credit_notes"
    __table_args__ = (Index("ix_credit_notes_company_change", "company_id", "change_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    number: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    """The invoice it credits; None: a credit on the customer's account."""
    issue_date: Mapped[date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 8))
    """Home units for one unit of `currency` on the day it was issued, as Service Opus recorded it on a credit note
    in a foreign currency (set exactly when `currency` is not the company's); None: home money."""
    status: Mapped[CreditNoteStatus] = mapped_column(_enum(CreditNoteStatus), default=CreditNoteStatus.DRAFT)
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    change_no: Mapped[int | None] = mapped_column(BigInteger)
    """Taken on insert and on every change of it or its lines, in commit order (see the module docstring)."""
    lines: Mapped[list["CreditNoteLine"]] = relationship(
        back_populates="credit_note", order_by="CreditNoteLine.position", cascade="all, delete-orphan"
    )


class CreditNoteLine(PricedLine, SourceBase):
    __tablename__ = "credit_note_lines"
    credit_note_id: Mapped[int] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    credit_note: Mapped[CreditNote] = relationship(back_populates="lines")


class BankAccount(SourceBase):
    """Where a company's money lands: its operating account, the card processor's clearing account, a cash
    drawer. Each maps to a ledger bank (or payment clearing) account so bank-feed lines can be matched."""

    __tablename__ = "bank_accounts"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[BankAccountKind] = mapped_column(_enum(BankAccountKind))


class PaymentRoute(SourceBase):
    """Where a company's payments of one method land (card -> card clearing, ACH -> operating, cash and check
    -> a cash drawer, or Undeposited Funds when `bank_account_id` is None). A payment keeps the account it
    landed in when it was collected (`Payment.bank_account_id`), so changing a route never moves old money."""

    __tablename__ = "payment_routes"
    __table_args__ = (UniqueConstraint("company_id", "method"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    bank_account_id: Mapped[int | None] = mapped_column(ForeignKey("bank_accounts.id"))


class Payment(SourceBase):
    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_company_collected", "company_id", "status", "collected_at", "id"),
        Index("ix_payments_company_change", "company_id", "change_no"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    """The invoice it pays; None: a deposit taken before its invoice exists (the customer's credit until applied)."""
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    """Who paid; a deposit's needs it. None (a row from before this column): its invoice's customer."""
    applied_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When a deposit was applied to its invoice (setting `invoice_id` takes a change number); None: a payment
    taken on its invoice, applied when it was collected."""
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    """All the customer paid but a tip. More than its invoice's open balance is an overpayment: the excess stays
    the customer's credit."""
    method: Mapped[PaymentMethod] = mapped_column(_enum(PaymentMethod))
    status: Mapped[PaymentStatus] = mapped_column(_enum(PaymentStatus), default=PaymentStatus.PENDING)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime)
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 8))
    """Home units for one unit of the invoice's currency on the day it was collected, as Service Opus recorded it
    on a payment of a foreign-currency invoice (in that currency, like `amount`); None: home money."""
    tip_amount: Mapped[Decimal] = mapped_column(ExactDecimal(), default=Decimal(0), server_default="0")
    """Paid on top of `amount` (which is what the invoice is credited with); the customer paid both."""
    reference: Mapped[str | None] = mapped_column(String(40))
    """The card's last four digits or the check number, as the bank feed shows it."""
    bank_account_id: Mapped[int | None] = mapped_column(ForeignKey("bank_accounts.id"))
    """Where it landed, from its method's route at collection; None: the route's, or Undeposited Funds."""
    reversed_at: Mapped[datetime | None] = mapped_column(DateTime)
    """When a collected payment failed or was charged back (see `REVERSED_STATUSES`)."""
    reversal_reason: Mapped[str | None] = mapped_column(String(500))
    """Why, as the bank or card issuer gave it ("Check returned: insufficient funds")."""
    change_no: Mapped[int | None] = mapped_column(BigInteger)
    """Taken on insert, on every status change and on a deposit's application, in commit order (see the module
    docstring)."""


class Refund(SourceBase):
    """Money paid back to a customer out of one collected payment: all of it or part, on a date, with why.
    Refunds of one payment never total more than it. The payment stays collected (the invoice stays paid); the
    refund is a document of its own that gives back revenue and tax, paid out of the account the payment landed
    in. It takes a change number when it is made (it is never edited), so an incremental run sees it."""

    __tablename__ = "refunds"
    __table_args__ = (Index("ix_refunds_company_change", "company_id", "change_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(ExactDecimal())
    """What is paid back, tax included; at most what is left of the payment."""
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(500), default="")
    exchange_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 8))
    """Home units for one unit of the refunded invoice's currency on the day it was paid back, as Service Opus
    recorded it on a refund of a foreign-currency payment (in that currency, like `amount`); None: home money."""
    change_no: Mapped[int | None] = mapped_column(BigInteger)


class Payout(SourceBase):
    """A card processor's payout: the payments it settles (`PayoutPayment`) left its clearing account, its fees
    were kept back, and its net landed in the company's operating account on `paid_on`. Service Opus records it
    once, from the processor's settlement report, and never changes it."""

    __tablename__ = "payouts"
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    processor: Mapped[str] = mapped_column(String(100))
    gross: Mapped[Decimal] = mapped_column(ExactDecimal())
    fees: Mapped[Decimal] = mapped_column(ExactDecimal())
    net: Mapped[Decimal] = mapped_column(ExactDecimal())
    clearing_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    deposit_account_id: Mapped[int] = mapped_column(ForeignKey("bank_accounts.id"))
    """The operating account the net landed in."""


class PayoutPayment(SourceBase):
    """A payment a payout settles (each payment at most once)."""

    __tablename__ = "payout_payments"
    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), unique=True)


def next_change_no(connection: Connection, company_id: int) -> int:
    """The company's next change number; holds the company row locked until the transaction ends."""
    return connection.execute(
        update(Company)
        .where(Company.id == company_id)
        .values(last_change_no=Company.last_change_no + 1)
        .returning(Company.last_change_no)
    ).scalar_one()


Numbered = Invoice | Payment | Customer | CreditNote | Refund
"""The rows that carry a change number."""
Documents = Invoice | Customer | CreditNote
"""Numbered again on any change: their own columns, or (invoices, credit notes) their lines."""


@event.listens_for(Invoice, "before_insert")
@event.listens_for(Payment, "before_insert")
@event.listens_for(Customer, "before_insert")
@event.listens_for(CreditNote, "before_insert")
@event.listens_for(Refund, "before_insert")
def _number_new(mapper: Mapper[Any], connection: Connection, target: Numbered) -> None:
    target.change_no = next_change_no(connection, target.company_id)


@event.listens_for(Payment, "before_update")
def _number_status_change(mapper: Mapper[Any], connection: Connection, target: Payment) -> None:
    """A status change, or a deposit applied to its invoice, is read again by an incremental run."""
    if get_history(target, "status").has_changes() or get_history(target, "invoice_id").has_changes():
        target.change_no = next_change_no(connection, target.company_id)


def _document_of(session: Session, row: object) -> Documents | None:
    """The document a changed row belongs to: itself, or a line's invoice or credit note."""
    if isinstance(row, Documents):
        return row
    with session.no_autoflush:
        if isinstance(row, InvoiceLine):
            return row.invoice or session.get(Invoice, row.invoice_id)
        if isinstance(row, CreditNoteLine):
            return row.credit_note or session.get(CreditNote, row.credit_note_id)
    return None


@event.listens_for(Session, "before_flush")
def _number_edits(session: Session, flush_context: object, instances: object) -> None:
    """An existing invoice, customer or credit note that changed (a line added, edited or removed counts)
    takes the next change number, once per flush, in the flushing transaction."""
    changed: dict[int, Documents] = {}
    touched = [
        row
        for row in session.dirty
        if isinstance(row, SourceBase) and session.is_modified(row, include_collections=True)
    ]
    for row in (*touched, *session.new, *session.deleted):
        document = _document_of(session, row)
        if document is not None and document not in session.new and document not in session.deleted:
            changed[id(document)] = document
    for document in changed.values():
        document.change_no = next_change_no(session.connection(), document.company_id)


class OutboxEvent(SourceBase):
    """An event Service Opus owes the sync (a lock, a collection), written in the same transaction as
    the change it reports, so a Prefect server that is down loses nothing: the relay sends it later."""

    __tablename__ = "ledger_sync_outbox"
    __table_args__ = (Index("ix_ledger_sync_outbox_unsent", "sent_at", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    """The Prefect event id, fixed at write time so a re-sent event is the same event."""
    event: Mapped[str] = mapped_column(String(100))
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    entity_id: Mapped[int]
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    """UTC, naive like the other Service Opus timestamps."""
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
