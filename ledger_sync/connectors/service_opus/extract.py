"""Reads from the Service Opus database, as plain snapshots the rest of the sync can hold without a session.

Pages are keyset-paginated on the change number (see `models`), the order the checkpoints use, so a
checkpoint is always a prefix of what was extracted and a record committed late is still read.

Rows are read raw and converted one record at a time (`fields`): a value that does not convert makes
that record `Unreadable`, with the field and the value in its reason, and every other record is read.
"""

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Engine, Select, Table, func, select, true, type_coerce
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from ledger_sync.connectors.service_opus.fields import (
    BadValue,
    choice_value,
    date_value,
    decimal_value,
    flag_value,
    moment_value,
    text_value,
)
from ledger_sync.connectors.service_opus.models import (
    CUSTOMER_DETAILS,
    REVERSED_STATUSES,
    BankAccount,
    BusinessUnit,
    Company,
    CreditNote,
    CreditNoteLine,
    CreditNoteStatus,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentRoute,
    PaymentStatus,
    Payout,
    PayoutPayment,
    Product,
    ProductCategory,
    Refund,
    TaxRate,
    Technician,
)
from ledger_sync.core.batching import chunked
from ledger_sync.core.mapping import SourceBankAccount, SourceCategory, SourceTaxRate
from ledger_sync.core.payouts import SourcePayout
from ledger_sync.core.records import EntityType
from ledger_sync.core.scope import SyncScope
from ledger_sync.core.snapshots import (
    Cursor,
    Extracted,
    SourceCreditNote,
    SourceCustomer,
    SourceInvoice,
    SourceLine,
    SourcePayment,
    SourceProduct,
    SourceRefund,
    Unreadable,
)
from ledger_sync.core.tracking import SourceTrackingValue, TrackedBy

T = TypeVar("T")
CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
INVOICES: Table = Invoice.__table__  # type: ignore[assignment]
LINES: Table = InvoiceLine.__table__  # type: ignore[assignment]
PAYMENTS: Table = Payment.__table__  # type: ignore[assignment]
PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
TAX_RATES: Table = TaxRate.__table__  # type: ignore[assignment]
CREDIT_NOTES: Table = CreditNote.__table__  # type: ignore[assignment]
CREDIT_LINES: Table = CreditNoteLine.__table__  # type: ignore[assignment]
REFUNDS: Table = Refund.__table__  # type: ignore[assignment]
PAYOUTS: Table = Payout.__table__  # type: ignore[assignment]

CUSTOMER_COLUMNS = ("id", *CUSTOMER_DETAILS)
"""What `ServiceOpusSource.customers` reads of a customer."""

READ_INVOICES = INVOICES.c.status.in_([InvoiceStatus.LOCKED.value, InvoiceStatus.VOID.value])
"""The invoices a sync reads past its checkpoint: locked ones, and voided ones (a void takes a new change number;
one that was synced is voided in the ledger, one that never was is skipped)."""


READ_PAYMENTS = (PAYMENTS.c.status == PaymentStatus.COLLECTED.value) | (
    PAYMENTS.c.status.in_([s.value for s in REVERSED_STATUSES]) & PAYMENTS.c.collected_at.is_not(None)
)
"""The payments a sync reads past its checkpoint: collected ones, and those collected and then failed or charged
back (the change takes a new change number; one that was synced is taken out of the ledger, one that never was is
skipped)."""


def _raw(table: Table) -> Select[Any]:
    """Every column of `table` as the database holds it, without the column types' conversions."""
    return select(*(type_coerce(column, NullType()).label(column.name) for column in table.c))


def _read(rows: Iterable[RowMapping], convert: Callable[[RowMapping], T], what: str) -> Extracted[T]:
    """Convert each row on its own: a bad value makes that row unreadable, not the read."""
    read: Extracted[T] = Extracted()
    for row in rows:
        try:
            read.records.append(convert(row))
        except BadValue as bad:
            problem = f"Service Opus {what} {row['id']} has a value the sync cannot read: {bad}"
            read.unreadable.append(Unreadable(row["id"], problem, row.get("change_no")))
    return read


def _line(row: RowMapping) -> SourceLine:
    at = f"line {row['position']}"
    return SourceLine(
        row["product_id"],
        row["category_id"],
        text_value(f"description of {at}", row["description"] or ""),
        decimal_value(f"quantity of {at}", row["quantity"]),
        decimal_value(f"unit price of {at}", row["unit_price"]),
        row["tax_rate_id"],
        flag_value(f"tax_inclusive of {at}", row["tax_inclusive"]),
        row.get("technician_id"),
    )


def _invoice(row: RowMapping, lines: Sequence[RowMapping]) -> SourceInvoice:
    return SourceInvoice(
        row["id"],
        text_value("number", row["number"]),
        row["customer_id"],
        date_value("issue_date", row["issue_date"]),
        date_value("due_date", row["due_date"]),
        text_value("currency", row["currency"]),
        choice_value("status", row["status"], InvoiceStatus).value,
        moment_value("locked_at", row["locked_at"]),
        tuple(_line(line) for line in lines),
        row["change_no"],
        decimal_value("discount percent", row["discount_percent"]),
        row["business_unit_id"],
        _rate(row["exchange_rate"]),
    )


def _rate(raw: object) -> Decimal | None:
    """An exchange rate Service Opus recorded (None: home money); one at or below zero is unreadable."""
    if raw is None:
        return None
    rate = decimal_value("exchange rate", raw)
    if rate <= 0:
        raise BadValue("exchange rate", raw, "is not above zero")
    return rate


def _foreign(currency: str | None, home: str | None) -> str | None:
    """A customer's currency when it is not the company's home one (None: billed at home)."""
    return None if currency is None or currency == home else currency


def _credit_note(row: RowMapping, lines: Sequence[RowMapping]) -> SourceCreditNote:
    return SourceCreditNote(
        row["id"],
        text_value("number", row["number"]),
        row["customer_id"],
        row["invoice_id"],
        date_value("issue_date", row["issue_date"]),
        text_value("currency", row["currency"]),
        choice_value("status", row["status"], CreditNoteStatus).value,
        tuple(_line(line) for line in lines),
        row["change_no"],
        _rate(row["exchange_rate"]),
    )


def _payment(row: RowMapping) -> SourcePayment:
    status = choice_value("status", row["status"], PaymentStatus)
    collected_at = moment_value("collected_at", row["collected_at"])
    if status is PaymentStatus.COLLECTED and collected_at is None:
        raise BadValue("collected_at", None, "is empty, and a collected payment needs its collection date")
    return SourcePayment(
        row["id"],
        row["invoice_id"],
        decimal_value("amount", row["amount"]),
        choice_value("method", row["method"], PaymentMethod).value,
        status.value,
        collected_at,
        row["change_no"],
        decimal_value("tip amount", row["tip_amount"]),
        text_value("reference", row["reference"]) if row["reference"] is not None else None,
        row["bank_account_id"],
        moment_value("reversed_at", row["reversed_at"]),
        _rate(row["exchange_rate"]),
        row["customer_id"],
        moment_value("applied_at", row["applied_at"]),
    )


def _refund(row: RowMapping) -> SourceRefund:
    return SourceRefund(
        row["id"],
        row["payment_id"],
        decimal_value("amount", row["amount"]),
        date_value("refunded_on", row["refunded_on"]),
        text_value("reason", row["reason"] or ""),
        row["change_no"],
        _rate(row["exchange_rate"]),
    )


def _payout(row: RowMapping, payment_ids: list[int]) -> SourcePayout:
    return SourcePayout(
        row["id"],
        date_value("paid on", row["paid_on"]),
        text_value("processor", row["processor"]),
        decimal_value("gross", row["gross"]),
        decimal_value("fees", row["fees"]),
        decimal_value("net", row["net"]),
        row["clearing_account_id"],
        row["deposit_account_id"],
        tuple(payment_ids),
    )


def _customer(row: RowMapping, home: str | None) -> SourceCustomer:
    return SourceCustomer(
        row["id"],
        text_value("display name", row["display_name"]),
        row["email"],
        row["phone"],
        row["billing_line1"],
        row["billing_city"],
        row["billing_region"],
        row["billing_postal_code"],
        row["billing_country"],
        _foreign(row["currency"], home),
        row["change_no"],
    )


def _product(row: RowMapping) -> SourceProduct:
    return SourceProduct(
        row["id"],
        row["category_id"],
        text_value("name", row["name"]),
        text_value("description", row["description"] or ""),
        decimal_value("unit price", row["unit_price"]),
    )


def _tax_rate(row: RowMapping) -> SourceTaxRate:
    return SourceTaxRate(
        row["id"],
        text_value("name", row["name"]),
        decimal_value("rate", row["rate"]).normalize(),
        flag_value("active", row["active"]),
    )


def _issued(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Invoices issued within since..until (inclusive), either end open when None."""
    window = [INVOICES.c.issue_date >= since] if since else []
    return window + ([INVOICES.c.issue_date <= until] if until else [])


def _credit_issued(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Credit notes issued within since..until (inclusive), either end open when None."""
    window = [CREDIT_NOTES.c.issue_date >= since] if since else []
    return window + ([CREDIT_NOTES.c.issue_date <= until] if until else [])


def _collected(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Payments collected within since..until (whole days, inclusive), either end open when None."""
    window = [PAYMENTS.c.collected_at >= datetime.combine(since, time.min)] if since else []
    return window + ([PAYMENTS.c.collected_at < datetime.combine(until + timedelta(days=1), time.min)] if until else [])


def _refunded(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Refunds made within since..until (inclusive), either end open when None."""
    window = [REFUNDS.c.refunded_on >= since] if since else []
    return window + ([REFUNDS.c.refunded_on <= until] if until else [])


def _counted(table: Table, done: ColumnElement[bool], company_id: int) -> Select[Any]:
    """A count of the company's `done` records that extraction can read (it reads by change number)."""
    return (
        select(func.count())
        .select_from(table)
        .where(table.c.company_id == company_id, done, table.c.change_no.is_not(None))
    )


def _selection(
    table: Table,
    done: ColumnElement[bool],
    window: list[ColumnElement[bool]],
    *,
    company_id: int,
    after: Cursor | None,
    limit: int,
    ids: Iterable[int],
) -> Select[Any]:
    """With `ids`: those records in any status. Else: `done` records within `window`, past `after` in
    change-number order, the order checkpoints use."""
    query = _raw(table).where(table.c.company_id == company_id)
    wanted = sorted(ids)
    if wanted:
        return query.where(table.c.id.in_(wanted)).order_by(table.c.id)
    query = query.where(done, table.c.change_no.is_not(None), *window)
    if after is not None:
        query = query.where(table.c.change_no > after)
    return query.order_by(table.c.change_no).limit(limit)


def _lines_of(conn: Connection, table: Table, document: str, ids: list[int]) -> dict[int, list[RowMapping]]:
    """The lines of these invoices or credit notes (`document`: the lines' column naming theirs), in order."""
    lines: dict[int, list[RowMapping]] = {}
    key = table.c[document]
    for chunk in chunked(ids):
        for line in conn.execute(_raw(table).where(key.in_(chunk)).order_by(key, table.c.position)).mappings():
            lines.setdefault(line[document], []).append(line)
    return lines


class ServiceOpusSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def read_tax_rates(self, company_id: int) -> Extracted[SourceTaxRate]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                _raw(TAX_RATES).where(TAX_RATES.c.company_id == company_id).order_by(TAX_RATES.c.id)
            ).mappings()
            return _read(rows, _tax_rate, "tax rate")

    def home_currency(self, company_id: int) -> str:
        """The currency the company keeps its books in."""
        with self.engine.connect() as conn:
            return str(conn.scalar(select(Company.currency).where(Company.id == company_id)))

    def tax_rates(self, company_id: int) -> list[SourceTaxRate]:
        """The readable tax rates (`read_tax_rates` also names the others)."""
        return self.read_tax_rates(company_id).records

    def categories(self, company_id: int) -> list[SourceCategory]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(ProductCategory).where(ProductCategory.company_id == company_id).order_by(ProductCategory.id)
            )
            return [SourceCategory(r.id, r.name) for r in rows]

    def bank_accounts(self, company_id: int) -> list[SourceBankAccount]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(BankAccount).where(BankAccount.company_id == company_id).order_by(BankAccount.id)
            )
            return [SourceBankAccount(r.id, r.name, r.kind.value) for r in rows]

    def tracking_values(self, company_id: int) -> list[SourceTrackingValue]:
        """The company's business units and technicians, inactive ones too."""
        with Session(self.engine) as session:
            units = session.scalars(
                select(BusinessUnit).where(BusinessUnit.company_id == company_id).order_by(BusinessUnit.id)
            )
            values = [SourceTrackingValue(r.id, r.name, TrackedBy.BUSINESS_UNIT, r.active) for r in units]
            people = session.scalars(
                select(Technician).where(Technician.company_id == company_id).order_by(Technician.id)
            )
            return values + [SourceTrackingValue(r.id, r.name, TrackedBy.TECHNICIAN, r.active) for r in people]

    def invoices(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> Extracted[SourceInvoice]:
        """Locked and void invoices past `after` in checkpoint order, issued within since..until when given;
        or (with `ids`) those invoices in any status."""
        query = _selection(
            INVOICES,
            READ_INVOICES,
            _issued(since, until),
            company_id=company_id,
            after=after,
            limit=limit,
            ids=ids,
        )
        with self.engine.connect() as conn:
            invoices = conn.execute(query).mappings().all()
            lines = _lines_of(conn, LINES, "invoice_id", [i["id"] for i in invoices])
        return _read(invoices, lambda row: _invoice(row, lines.get(row["id"], [])), "invoice")

    def customers_of_next_invoices(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        since: date | None = None,
        until: date | None = None,
    ) -> set[int]:
        """The customers of the locked invoices among those `invoices` would read next (the same arguments), without
        reading the invoices: a void one needs no customer it does not have already."""
        query = _selection(
            INVOICES, READ_INVOICES, _issued(since, until), company_id=company_id, after=after, limit=limit, ids=()
        ).with_only_columns(INVOICES.c.customer_id, INVOICES.c.status)
        with self.engine.connect() as conn:
            return {
                customer
                for customer, status in conn.execute(query)
                if customer is not None and status == InvoiceStatus.LOCKED.value
            }

    def customers_of_next_deposits(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        since: date | None = None,
        until: date | None = None,
    ) -> set[int]:
        """The customers of the first `limit` deposits (payments applied to no invoice) among the payments `payments`
        would read past `after` (the same window), without reading the payments."""
        query = (
            _selection(
                PAYMENTS,
                READ_PAYMENTS,
                _collected(since, until),
                company_id=company_id,
                after=after,
                limit=limit,
                ids=(),
            )
            .where(PAYMENTS.c.invoice_id.is_(None), PAYMENTS.c.customer_id.is_not(None))
            .with_only_columns(PAYMENTS.c.customer_id)
        )
        with self.engine.connect() as conn:
            return set(conn.scalars(query))

    def credit_notes(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> Extracted[SourceCreditNote]:
        """Issued and void credit notes past `after` in checkpoint order (a void one is voided in the ledger if it
        was synced), issued within since..until when given; or (with `ids`) those credit notes in any status."""
        query = _selection(
            CREDIT_NOTES,
            CREDIT_NOTES.c.status.in_([CreditNoteStatus.ISSUED.value, CreditNoteStatus.VOID.value]),
            _credit_issued(since, until),
            company_id=company_id,
            after=after,
            limit=limit,
            ids=ids,
        )
        with self.engine.connect() as conn:
            notes = conn.execute(query).mappings().all()
            lines = _lines_of(conn, CREDIT_LINES, "credit_note_id", [n["id"] for n in notes])
        return _read(notes, lambda row: _credit_note(row, lines.get(row["id"], [])), "credit note")

    def payments(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> Extracted[SourcePayment]:
        """Collected (and collected, then reversed: `READ_PAYMENTS`) payments past `after` in checkpoint order,
        collected within since..until when given; or (with `ids`) those payments in any status."""
        query = _selection(
            PAYMENTS,
            READ_PAYMENTS,
            _collected(since, until),
            company_id=company_id,
            after=after,
            limit=limit,
            ids=ids,
        )
        with self.engine.connect() as conn:
            read = _read(conn.execute(query).mappings().all(), _payment, "payment")
            route_rows = conn.execute(
                select(PaymentRoute.method, PaymentRoute.bank_account_id).where(PaymentRoute.company_id == company_id)
            )
            routes: dict[PaymentMethod, int | None] = {method: bank for method, bank in route_rows}
        landed = [
            p if p.bank_account_id is not None else replace(p, bank_account_id=routes.get(PaymentMethod(p.method)))
            for p in read.records
        ]
        return Extracted(landed, read.unreadable)

    def refunds(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> Extracted[SourceRefund]:
        """Refunds made past `after` in checkpoint order, refunded within since..until when given; or (with `ids`)
        those refunds."""
        query = _selection(
            REFUNDS, true(), _refunded(since, until), company_id=company_id, after=after, limit=limit, ids=ids
        )
        with self.engine.connect() as conn:
            return _read(conn.execute(query).mappings().all(), _refund, "refund")

    def payouts(self, company_id: int, *, skip: Collection[int] = ()) -> Extracted[SourcePayout]:
        """The company's card payouts but those in `skip` (the synced ones), each with the payments it settles.
        No checkpoint: a processor pays out every few days, a few hundred a year, each read whole."""
        with self.engine.connect() as conn:
            rows = [
                row
                for row in conn.execute(_raw(PAYOUTS).where(PAYOUTS.c.company_id == company_id).order_by(PAYOUTS.c.id))
                .mappings()
                .all()
                if row["id"] not in skip
            ]
            settled: dict[int, list[int]] = {}
            for chunk in chunked([row["id"] for row in rows]):
                links = select(PayoutPayment.payout_id, PayoutPayment.payment_id).where(
                    PayoutPayment.payout_id.in_(chunk)
                )
                for payout_id, payment_id in conn.execute(links.order_by(PayoutPayment.payment_id)):
                    settled.setdefault(payout_id, []).append(payment_id)
        return _read(rows, lambda row: _payout(row, settled.get(row["id"], [])), "payout")

    def collected_before(self, invoice_ids: Sequence[int]) -> dict[int, list[SourcePayment]]:
        """All readable collected payments of these invoices in collection order, to know what was still due
        (an unreadable one is parked itself)."""
        found: dict[int, list[SourcePayment]] = {}
        with self.engine.connect() as conn:
            for chunk in chunked(invoice_ids):
                rows = conn.execute(
                    _raw(PAYMENTS).where(
                        PAYMENTS.c.invoice_id.in_(chunk), PAYMENTS.c.status == PaymentStatus.COLLECTED.value
                    )
                ).mappings()
                for p in _read(rows, _payment, "payment").records:
                    if p.invoice_id is not None:
                        found.setdefault(p.invoice_id, []).append(p)
        return {invoice_id: sorted(paid, key=lambda p: p.collection_order) for invoice_id, paid in found.items()}

    def customers(self, ids: Iterable[int]) -> dict[int, SourceCustomer]:
        wanted = sorted(set(ids))
        found: dict[int, SourceCustomer] = {}
        columns = [CUSTOMERS.c[name] for name in CUSTOMER_COLUMNS]
        with self.engine.connect() as conn:  # plain rows: building ORM objects cost most of the read
            for chunk in chunked(wanted):
                query = select(*columns, Company.currency.label("home")).join(Company).where(CUSTOMERS.c.id.in_(chunk))
                for c in conn.execute(query):
                    found[c.id] = SourceCustomer(
                        c.id,
                        c.display_name,
                        c.email,
                        c.phone,
                        c.billing_line1,
                        c.billing_city,
                        c.billing_region,
                        c.billing_postal_code,
                        c.billing_country,
                        _foreign(c.currency, c.home),
                    )
        return found

    def customers_changed(self, company_id: int, *, after: Cursor | None, limit: int) -> Extracted[SourceCustomer]:
        """Customers added or edited past `after`, in change-number order: what a sync of customer edits reads
        (an edit takes a new change number, see `models`)."""
        query = _selection(CUSTOMERS, true(), [], company_id=company_id, after=after, limit=limit, ids=())
        with self.engine.connect() as conn:
            home = conn.scalar(select(Company.currency).where(Company.id == company_id))
            return _read(conn.execute(query).mappings().all(), lambda row: _customer(row, home), "customer")

    def products(self, ids: Iterable[int]) -> Extracted[SourceProduct]:
        read: Extracted[SourceProduct] = Extracted()
        with self.engine.connect() as conn:
            for chunk in chunked(sorted(set(ids))):
                rows = conn.execute(_raw(PRODUCTS).where(PRODUCTS.c.id.in_(chunk))).mappings()
                part = _read(rows, _product, "product")
                read.records.extend(part.records)
                read.unreadable.extend(part.unreadable)
        return read

    def company_products(self, company_id: int) -> Extracted[SourceProduct]:
        """Every product of the company: what matching compares with a ledger's items (`core.linking`)."""
        with self.engine.connect() as conn:
            rows = conn.execute(_raw(PRODUCTS).where(PRODUCTS.c.company_id == company_id).order_by(PRODUCTS.c.id))
            return _read(rows.mappings().all(), _product, "product")

    def records_in_range(self, company_id: int, scope: SyncScope) -> int:
        """How many records a run of `scope` reads: locked and void invoices and issued credit notes issued, and
        collected payments collected and refunds made, within its range (a backfill's progress total)."""
        selections: list[Select[Any]] = []
        if scope.covers(EntityType.INVOICE):
            selections.append(_counted(INVOICES, READ_INVOICES, company_id).where(*_issued(scope.since, scope.until)))
            selections.append(
                _counted(CREDIT_NOTES, CREDIT_NOTES.c.status == CreditNoteStatus.ISSUED.value, company_id).where(
                    *_credit_issued(scope.since, scope.until)
                )
            )
        if scope.covers(EntityType.PAYMENT):
            selections.append(
                _counted(PAYMENTS, READ_PAYMENTS, company_id).where(*_collected(scope.since, scope.until))
            )
            selections.append(_counted(REFUNDS, true(), company_id).where(*_refunded(scope.since, scope.until)))
        with self.engine.connect() as conn:
            return sum(conn.execute(query).scalar_one() for query in selections)

    def void_changes(self, company_id: int) -> dict[int, Cursor]:
        """Void invoices by id, with the change number of their void (`status` tells one still to be voided in
        the ledger by it)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(INVOICES.c.id, INVOICES.c.change_no).where(
                    INVOICES.c.company_id == company_id,
                    INVOICES.c.status == InvoiceStatus.VOID.value,
                    INVOICES.c.change_no.is_not(None),
                )
            ).tuples()
            return dict(rows.all())

    def responsibilities(self, company_id: int) -> dict[EntityType, dict[int, str | None]]:
        """Every record of the company the sync answers for, by type: id -> why it is skipped (None: it syncs).

        Invoices, credit notes and payments: all of them (drafts, voids, uncollected payments are skipped, saying
        so); credit applications: the credit notes tied to an invoice; tips: the payments carrying one; refunds:
        all of them. Customers: those the locked invoices and the deposits not applied yet need; items: those the
        locked invoices need."""
        locked = InvoiceStatus.LOCKED.value
        with self.engine.connect() as conn:
            invoices = conn.execute(
                select(INVOICES.c.id, type_coerce(INVOICES.c.status, NullType())).where(
                    INVOICES.c.company_id == company_id
                )
            ).tuples()
            payments = conn.execute(
                select(
                    PAYMENTS.c.id,
                    type_coerce(PAYMENTS.c.status, NullType()),
                    type_coerce(PAYMENTS.c.tip_amount, NullType()),
                ).where(PAYMENTS.c.company_id == company_id)
            ).all()
            payouts = conn.execute(select(PAYOUTS.c.id).where(PAYOUTS.c.company_id == company_id)).scalars().all()
            notes = conn.execute(
                select(
                    CREDIT_NOTES.c.id, type_coerce(CREDIT_NOTES.c.status, NullType()), CREDIT_NOTES.c.invoice_id
                ).where(CREDIT_NOTES.c.company_id == company_id)
            ).all()
            refunds = conn.execute(select(REFUNDS.c.id).where(REFUNDS.c.company_id == company_id)).scalars().all()
            of_locked = (INVOICES.c.company_id == company_id, INVOICES.c.status == locked)
            customers = conn.execute(
                select(INVOICES.c.customer_id)
                .distinct()
                .where(*of_locked, INVOICES.c.customer_id.is_not(None))
                .union(
                    select(PAYMENTS.c.customer_id).where(
                        PAYMENTS.c.company_id == company_id,
                        PAYMENTS.c.invoice_id.is_(None),
                        PAYMENTS.c.customer_id.is_not(None),
                        PAYMENTS.c.status == PaymentStatus.COLLECTED.value,
                    )
                )
            ).scalars()
            items = conn.execute(
                select(LINES.c.product_id)
                .distinct()
                .join(INVOICES, LINES.c.invoice_id == INVOICES.c.id)
                .where(*of_locked)
            ).scalars()
            return {
                EntityType.CUSTOMER: dict.fromkeys(customers),
                EntityType.ITEM: dict.fromkeys(items),
                EntityType.INVOICE: {i: None if status == locked else f"{status} invoice" for i, status in invoices},
                EntityType.CREDIT_NOTE: {n: _credit_skipped(status) for n, status, _ in notes},
                EntityType.CREDIT_APPLICATION: {
                    n: _credit_skipped(status) for n, status, invoice_id in notes if invoice_id is not None
                },
                EntityType.PAYMENT: {p: _payment_skipped(status) for p, status, _ in payments},
                EntityType.TIP: {p: _payment_skipped(status) for p, status, tip in payments if _tipped(tip)},
                EntityType.REFUND: dict.fromkeys(refunds),
                EntityType.PAYOUT: dict.fromkeys(payouts),
            }

    def labels(self, company_id: int) -> dict[EntityType, dict[int, str]]:
        """How a bookkeeper knows each record, by type and id: a customer's or an item's name, an invoice's or a
        credit note's number, a payment (its tip, a refund of it) by the invoice it pays (a deposit not applied yet by
        its customer), a payout by its date (for Sync activity's list and search)."""

        def named(table: Table, column: str) -> dict[int, str]:
            query = select(table.c.id, table.c[column]).where(table.c.company_id == company_id)
            return {row_id: str(value) for row_id, value in conn.execute(query).tuples() if value is not None}

        with self.engine.connect() as conn:
            invoices, notes = named(INVOICES, "number"), named(CREDIT_NOTES, "number")
            customers = named(CUSTOMERS, "display_name")
            paid = named(PAYMENTS, "invoice_id")
            depositors = named(PAYMENTS, "customer_id")
            deposits = {p: f"deposit of {customers.get(int(c), f'customer {c}')}" for p, c in depositors.items()}
            on_invoice = deposits | {p: f"on {invoices.get(int(i), f'invoice {i}')}" for p, i in paid.items()}
            refunded = named(REFUNDS, "payment_id")
            return {
                EntityType.CUSTOMER: customers,
                EntityType.ITEM: named(PRODUCTS, "name"),
                EntityType.INVOICE: invoices,
                EntityType.CREDIT_NOTE: notes,
                EntityType.CREDIT_APPLICATION: {n: f"credit of {number}" for n, number in notes.items()},
                EntityType.PAYMENT: on_invoice,
                EntityType.TIP: {p: f"tip {label}" for p, label in on_invoice.items()},
                EntityType.REFUND: {
                    r: f"refund of payment {p} {on_invoice.get(int(p), '')}".rstrip() for r, p in refunded.items()
                },
                EntityType.PAYOUT: {o: f"payout of {day}" for o, day in named(PAYOUTS, "paid_on").items()},
            }


def _payment_skipped(status: object) -> str | None:
    """Why a payment (and its tip) is skipped: it is not collected."""
    return None if status == PaymentStatus.COLLECTED.value else f"{status} payment"


def _tipped(raw: object) -> bool:
    """Whether a payment carries a tip; an unreadable one is parked as the payment's own problem."""
    try:
        return decimal_value("tip amount", raw) != 0
    except BadValue:
        return False


def _credit_skipped(status: object) -> str | None:
    """Why a credit note (and its application) is skipped: it is not issued."""
    return None if status == CreditNoteStatus.ISSUED.value else f"{status} credit note"
