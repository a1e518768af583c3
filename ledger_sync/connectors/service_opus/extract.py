"""Reads from the Service Opus database, as plain snapshots the rest of the sync can hold without a session.

Pages are keyset-paginated on (locked_at, id) for invoices and (collected_at, id) for payments, the same
order the checkpoints use, so a checkpoint is always a prefix of what was extracted.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, literal, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from ledger_sync.connectors.service_opus.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    Product,
    ProductCategory,
    TaxRate,
)
from ledger_sync.core.batching import chunked
from ledger_sync.core.mapping import SourceCategory, SourceTaxRate
from ledger_sync.core.records import EntityType
from ledger_sync.core.scope import SyncScope
from ledger_sync.core.snapshots import (
    Cursor,
    SourceCustomer,
    SourceInvoice,
    SourceLine,
    SourcePayment,
    SourceProduct,
)


def _aware(value: datetime | None) -> datetime | None:
    """Service Opus stores naive UTC; the sync works in aware UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _naive(cursor: Cursor) -> tuple[datetime, int]:
    return cursor[0].astimezone(UTC).replace(tzinfo=None), cursor[1]


def _payment(row: Payment) -> SourcePayment:
    return SourcePayment(
        row.id, row.invoice_id, Decimal(row.amount), row.method.value, row.status.value, _aware(row.collected_at)
    )


def _issued(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Invoices issued within since..until (inclusive), either end open when None."""
    window = [Invoice.issue_date >= since] if since else []
    return window + ([Invoice.issue_date <= until] if until else [])


def _collected(since: date | None, until: date | None) -> list[ColumnElement[bool]]:
    """Payments collected within since..until (whole days, inclusive), either end open when None."""
    window = [Payment.collected_at >= datetime.combine(since, time.min)] if since else []
    return window + ([Payment.collected_at < datetime.combine(until + timedelta(days=1), time.min)] if until else [])


def _selection(
    model: type[Invoice] | type[Payment],
    moment: InstrumentedAttribute[datetime | None],
    done: ColumnElement[bool],
    window: list[ColumnElement[bool]],
    *,
    company_id: int,
    after: Cursor | None,
    limit: int,
    ids: Iterable[int],
) -> Select[Any]:
    """With `ids`: those records in any status. Else: `done` records within `window`, past `after` in
    (moment, id) order, the order checkpoints use."""
    query = select(model).where(model.company_id == company_id)
    wanted = sorted(ids)
    if wanted:
        return query.where(model.id.in_(wanted)).order_by(model.id)
    query = query.where(done, moment.is_not(None), *window)
    if after is not None:
        mark, last_id = _naive(after)
        query = query.where(tuple_(moment, model.id) > tuple_(literal(mark), literal(last_id)))
    return query.order_by(moment, model.id).limit(limit)


class ServiceOpusSource:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def tax_rates(self, company_id: int) -> list[SourceTaxRate]:
        with Session(self.engine) as session:
            rows = session.scalars(select(TaxRate).where(TaxRate.company_id == company_id).order_by(TaxRate.id))
            return [SourceTaxRate(r.id, r.name, Decimal(r.rate).normalize(), r.active) for r in rows]

    def categories(self, company_id: int) -> list[SourceCategory]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(ProductCategory).where(ProductCategory.company_id == company_id).order_by(ProductCategory.id)
            )
            return [SourceCategory(r.id, r.name) for r in rows]

    def invoices(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> list[SourceInvoice]:
        """Locked invoices past `after` in checkpoint order, issued within since..until when given;
        or (with `ids`) those invoices in any status."""
        query = _selection(
            Invoice,
            Invoice.locked_at,
            Invoice.status == InvoiceStatus.LOCKED,
            _issued(since, until),
            company_id=company_id,
            after=after,
            limit=limit,
            ids=ids,
        )
        with Session(self.engine) as session:
            invoices = session.scalars(query).all()
            lines: dict[int, list[SourceLine]] = {}
            for chunk in chunked([i.id for i in invoices]):
                for line in session.scalars(
                    select(InvoiceLine).where(InvoiceLine.invoice_id.in_(chunk)).order_by(InvoiceLine.position)
                ):
                    lines.setdefault(line.invoice_id, []).append(
                        SourceLine(
                            line.product_id,
                            line.category_id,
                            line.description,
                            Decimal(line.quantity),
                            Decimal(line.unit_price),
                            line.tax_rate_id,
                            line.tax_inclusive,
                        )
                    )
            return [
                SourceInvoice(
                    i.id,
                    i.number,
                    i.customer_id,
                    i.issue_date,
                    i.due_date,
                    i.currency,
                    i.status.value,
                    _aware(i.locked_at),
                    tuple(lines.get(i.id, ())),
                )
                for i in invoices
            ]

    def payments(
        self,
        company_id: int,
        *,
        after: Cursor | None,
        limit: int,
        ids: Iterable[int] = (),
        since: date | None = None,
        until: date | None = None,
    ) -> list[SourcePayment]:
        """Collected payments past `after` in checkpoint order, collected within since..until when given;
        or (with `ids`) those payments in any status."""
        query = _selection(
            Payment,
            Payment.collected_at,
            Payment.status == PaymentStatus.COLLECTED,
            _collected(since, until),
            company_id=company_id,
            after=after,
            limit=limit,
            ids=ids,
        )
        with Session(self.engine) as session:
            return [_payment(p) for p in session.scalars(query)]

    def collected_before(self, invoice_ids: Sequence[int]) -> dict[int, list[SourcePayment]]:
        """All collected payments of these invoices in collection order, to know what was still due."""
        found: dict[int, list[SourcePayment]] = {}
        with Session(self.engine) as session:
            for chunk in chunked(invoice_ids):
                for p in session.scalars(
                    select(Payment)
                    .where(
                        Payment.invoice_id.in_(chunk),
                        Payment.status == PaymentStatus.COLLECTED,
                    )
                    .order_by(Payment.collected_at, Payment.id)
                ):
                    found.setdefault(p.invoice_id, []).append(_payment(p))
        return found

    def customers(self, ids: Iterable[int]) -> dict[int, SourceCustomer]:
        wanted = sorted(set(ids))
        found: dict[int, SourceCustomer] = {}
        with Session(self.engine) as session:
            for chunk in chunked(wanted):
                for c in session.scalars(select(Customer).where(Customer.id.in_(chunk))):
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
                    )
        return found

    def products(self, ids: Iterable[int]) -> dict[int, SourceProduct]:
        wanted = sorted(set(ids))
        found: dict[int, SourceProduct] = {}
        with Session(self.engine) as session:
            for chunk in chunked(wanted):
                for p in session.scalars(select(Product).where(Product.id.in_(chunk))):
                    found[p.id] = SourceProduct(p.id, p.category_id, p.name, p.description, Decimal(p.unit_price))
        return found

    def records_in_range(self, company_id: int, scope: SyncScope) -> int:
        """How many records a run of `scope` reads: locked invoices issued and collected payments collected
        within its range (a backfill's progress total)."""
        conditions: list[list[ColumnElement[bool]]] = []
        if scope.covers(EntityType.INVOICE):
            conditions.append(
                [
                    Invoice.company_id == company_id,
                    Invoice.status == InvoiceStatus.LOCKED,
                    Invoice.locked_at.is_not(None),
                    *_issued(scope.since, scope.until),
                ]
            )
        if scope.covers(EntityType.PAYMENT):
            conditions.append(
                [
                    Payment.company_id == company_id,
                    Payment.status == PaymentStatus.COLLECTED,
                    Payment.collected_at.is_not(None),
                    *_collected(scope.since, scope.until),
                ]
            )
        with Session(self.engine) as session:
            return sum(session.scalar(select(func.count()).where(*where)) or 0 for where in conditions)

    def source_counts(self, company_id: int) -> dict[str, int]:
        """How many records of each type the sync is responsible for (locked invoices and what they need)."""
        locked = (
            Invoice.company_id == company_id,
            Invoice.status == InvoiceStatus.LOCKED,
            Invoice.locked_at.is_not(None),
        )
        with Session(self.engine) as session:
            invoices = session.scalar(select(func.count()).where(*locked)) or 0
            customers = (
                session.scalar(
                    select(func.count(func.distinct(Invoice.customer_id))).where(
                        *locked, Invoice.customer_id.is_not(None)
                    )
                )
                or 0
            )
            items = (
                session.scalar(select(func.count(func.distinct(InvoiceLine.product_id))).join(Invoice).where(*locked))
                or 0
            )
            payments = (
                session.scalar(
                    select(func.count()).where(
                        Payment.company_id == company_id,
                        Payment.status == PaymentStatus.COLLECTED,
                        Payment.collected_at.is_not(None),
                    )
                )
                or 0
            )
        return {"customer": customers, "item": items, "invoice": invoices, "payment": payments}
