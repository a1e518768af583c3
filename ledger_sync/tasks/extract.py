"""Extraction: one page of locked invoices or collected payments past the checkpoint, with what they need, or of
customers edited past theirs.

The first page of a run also carries the parked records, which are retried on every run. Pages follow
the change number, so there is no overlap to re-read: a record committed late has a later number.
Records holding a value the sync cannot read come with the page as `unreadable`, to be parked.
"""

from collections.abc import Sequence
from dataclasses import replace

from prefect import task
from prefect.cache_policies import NO_CACHE

from ledger_sync.core.pages import CreditNotePage, CustomerPage, InvoicePage, PaymentPage, RefundPage
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import (
    Cursor,
    SourceCreditNote,
    SourceCustomer,
    SourceInvoice,
    SourcePayment,
    SourceRefund,
    Unreadable,
)
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import sent_to_ledger
from ledger_sync.state.connection_state import StoredConnectionState
from ledger_sync.tasks.job import SyncJob


def _first_page_start(job: SyncJob, entity_type: EntityType, *also: EntityType) -> Cursor | None:
    """Where a run's first page of these records starts: a ranged run reads its range from the beginning (None), an
    incremental one past the checkpoint of the type or of `also` (types read from the same records, a credit note's
    application), whichever is further behind."""
    if job.scope.ranged:
        return None
    marks = [job.store.checkpoint(job.connection.id, kind) for kind in (entity_type, *also)]
    return None if None in marks else min(mark for mark in marks if mark is not None)


def _resume_point(
    job: SyncJob, entity_type: EntityType, after: Cursor | None, *also: EntityType
) -> tuple[Cursor | None, set[int]]:
    """Where this page starts, and which parked ids to retry (first page of an incremental run only: see
    `_first_page_start`). A payment removed with its voided invoice is settled, not retried."""
    if after is not None or job.scope.ranged:
        return after, set()
    start = _first_page_start(job, entity_type, *also)
    retry: set[int] = set()
    for kind in (entity_type, *also):
        parked = job.store.parked(job.connection.id, kind)
        retry |= {source_id for source_id, p in parked.items() if p.cause is not ParkingCause.REMOVED}
    return start, retry


def _next_after(
    after: Cursor | None,
    fresh: Sequence[SourceInvoice | SourceCreditNote | SourcePayment | SourceCustomer | SourceRefund],
    unreadable: Sequence[Unreadable],
) -> Cursor | None:
    """The last change number this page read, readable or not."""
    cursors = [r.cursor for r in fresh] + [u.cursor for u in unreadable]
    return max((c for c in cursors if c is not None), default=after)


def _retried(unreadable: list[Unreadable]) -> list[Unreadable]:
    """Retried records are behind the checkpoint already: they carry no cursor."""
    return [replace(u, change_no=None) for u in unreadable]


@task(name="extract-invoices", cache_policy=NO_CACHE)
def extract_invoices(job: SyncJob, after: Cursor | None, page_size: int) -> InvoicePage:
    start, retry_ids = _resume_point(job, EntityType.INVOICE, after)
    fresh = job.source.invoices(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    seen = {i.id for i in fresh.records} | {u.id for u in fresh.unreadable}
    retries = job.source.invoices(job.company_id, after=None, limit=0, ids=retry_ids - seen) if retry_ids else None
    invoices = (retries.records if retries else []) + fresh.records
    # A void invoice the ledger never held is skipped: it needs no customer or item there.
    unsent_voids = {i.id for i in invoices if i.status == "void"} - sent_to_ledger(
        StoredConnectionState(job.store, job.connection.id), [i.id for i in invoices if i.status == "void"]
    )
    invoices = [i for i in invoices if i.id not in unsent_voids]
    # Parked customers and items are retried with the invoices that need them.
    customer_ids = {i.customer_id for i in invoices if i.customer_id is not None}
    customer_ids |= set(job.store.parked(job.connection.id, EntityType.CUSTOMER)) if retry_ids else set()
    product_ids = {line.product_id for i in invoices for line in i.lines}
    product_ids |= set(job.store.parked(job.connection.id, EntityType.ITEM)) if retry_ids else set()
    products = job.source.products(product_ids)
    next_after = _next_after(after, fresh.records, fresh.unreadable)
    last = len(fresh.records) + len(fresh.unreadable) < page_size
    # The next page's customers come along, to be written with this page's in full batches (`tasks.load`); the last
    # page brings the customers of the payments' first deposits (each would take a call of its own on its page).
    since, until = job.scope.since, job.scope.until
    if not last:
        ahead = job.source.customers_of_next_invoices(
            job.company_id, after=next_after, limit=page_size, since=since, until=until
        )
    elif job.scope.covers(EntityType.PAYMENT):
        ahead = job.source.customers_of_next_deposits(
            job.company_id,
            after=_first_page_start(job, EntityType.PAYMENT, EntityType.TIP),
            limit=page_size,
            since=since,
            until=until,
        )
    else:
        ahead = set()
    page = InvoicePage(
        fresh=fresh.records,
        retries=retries.records if retries else [],
        customers=job.source.customers(customer_ids | ahead),
        products={p.id: p for p in products.records},
        next_after=next_after,
        unreadable=fresh.unreadable + (_retried(retries.unreadable) if retries else []),
        last=last,
    )
    for product in products.unreadable:
        page.parked[(EntityType.ITEM, product.id)] = Parking(product.id, ParkingCause.CHECK, product.problem)
    return page


@task(name="extract-credit-notes", cache_policy=NO_CACHE)
def extract_credit_notes(job: SyncJob, after: Cursor | None, page_size: int) -> CreditNotePage:
    """Issued credit notes past the checkpoint of the notes or of their applications (whichever is behind),
    with the customers, products and invoices they need."""
    start, retry_ids = _resume_point(job, EntityType.CREDIT_NOTE, after, EntityType.CREDIT_APPLICATION)
    fresh = job.source.credit_notes(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    seen = {n.id for n in fresh.records} | {u.id for u in fresh.unreadable}
    retries = job.source.credit_notes(job.company_id, after=None, limit=0, ids=retry_ids - seen) if retry_ids else None
    notes = (retries.records if retries else []) + fresh.records
    products = job.source.products({line.product_id for n in notes for line in n.lines})
    invoice_ids = sorted({n.invoice_id for n in notes if n.invoice_id is not None})
    invoices = job.source.invoices(job.company_id, after=None, limit=0, ids=invoice_ids).records if invoice_ids else []
    page = CreditNotePage(
        fresh=fresh.records,
        retries=retries.records if retries else [],
        customers=job.source.customers({n.customer_id for n in notes if n.customer_id is not None}),
        products={p.id: p for p in products.records},
        invoices={i.id: i for i in invoices},
        next_after=_next_after(after, fresh.records, fresh.unreadable),
        unreadable=fresh.unreadable + (_retried(retries.unreadable) if retries else []),
    )
    for product in products.unreadable:
        page.parked[(EntityType.ITEM, product.id)] = Parking(product.id, ParkingCause.CHECK, product.problem)
    return page


@task(name="extract-payments", cache_policy=NO_CACHE)
def extract_payments(job: SyncJob, after: Cursor | None, page_size: int) -> PaymentPage:
    start, retry_ids = _resume_point(job, EntityType.PAYMENT, after, EntityType.TIP)
    fresh = job.source.payments(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    seen = {p.id for p in fresh.records} | {u.id for u in fresh.unreadable}
    retries = job.source.payments(job.company_id, after=None, limit=0, ids=retry_ids - seen) if retry_ids else None
    payments = (retries.records if retries else []) + fresh.records
    invoice_ids = sorted({p.invoice_id for p in payments if p.invoice_id is not None})
    invoices = job.source.invoices(job.company_id, after=None, limit=0, ids=invoice_ids).records
    # A deposit not applied yet brings its customer, as an invoice does (an applied one pays its invoice's).
    depositors = {p.customer_id for p in payments if p.invoice_id is None and p.customer_id is not None}
    return PaymentPage(
        fresh=fresh.records,
        retries=retries.records if retries else [],
        invoices={i.id: i for i in invoices},
        paid_before=job.source.collected_before(invoice_ids),
        next_after=_next_after(after, fresh.records, fresh.unreadable),
        unreadable=fresh.unreadable + (_retried(retries.unreadable) if retries else []),
        customers=job.source.customers(depositors),
    )


@task(name="extract-refunds", cache_policy=NO_CACHE)
def extract_refunds(job: SyncJob, after: Cursor | None, page_size: int) -> RefundPage:
    """Refunds past the checkpoint, with the payments they pay back and those payments' invoices."""
    start, retry_ids = _resume_point(job, EntityType.REFUND, after)
    fresh = job.source.refunds(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    seen = {r.id for r in fresh.records} | {u.id for u in fresh.unreadable}
    retries = job.source.refunds(job.company_id, after=None, limit=0, ids=retry_ids - seen) if retry_ids else None
    refunds = (retries.records if retries else []) + fresh.records
    payment_ids = sorted({r.payment_id for r in refunds})
    payments = job.source.payments(job.company_id, after=None, limit=0, ids=payment_ids).records
    invoice_ids = sorted({p.invoice_id for p in payments if p.invoice_id is not None})
    invoices = job.source.invoices(job.company_id, after=None, limit=0, ids=invoice_ids).records
    return RefundPage(
        fresh=fresh.records,
        retries=retries.records if retries else [],
        payments={p.id: p for p in payments},
        invoices={i.id: i for i in invoices},
        next_after=_next_after(after, fresh.records, fresh.unreadable),
        unreadable=fresh.unreadable + (_retried(retries.unreadable) if retries else []),
    )


@task(name="extract-customers", cache_policy=NO_CACHE)
def extract_customers(job: SyncJob, after: Cursor | None, page_size: int) -> CustomerPage:
    """Customers added or edited past the customer checkpoint, so an edit reaches the ledger without an invoice."""
    start, _ = _resume_point(job, EntityType.CUSTOMER, after)
    changed = job.source.customers_changed(job.company_id, after=start, limit=page_size)
    return CustomerPage(
        fresh=changed.records,
        next_after=_next_after(after, changed.records, changed.unreadable),
        unreadable=changed.unreadable,
    )
