"""Extraction: one page of locked invoices or collected payments past the checkpoint, with what they need.

The first page of a run also carries the parked records, which are retried on every run.
"""

from datetime import timedelta

from prefect import task
from prefect.cache_policies import NO_CACHE

from ledger_sync.core.pages import InvoicePage, PaymentPage
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor
from ledger_sync.tasks.job import SyncJob


def _resume_point(job: SyncJob, entity_type: EntityType, after: Cursor | None) -> tuple[Cursor | None, set[int]]:
    """Where this page starts, and which parked ids to retry (first page of an incremental run only)."""
    if after is not None or job.scope.ranged:
        return after, set()
    checkpoint = job.store.checkpoint(job.connection.id, entity_type)
    if checkpoint is not None:
        checkpoint = (checkpoint[0] - timedelta(minutes=job.settings.checkpoint_overlap_minutes), 0)
    return checkpoint, set(job.store.parked(job.connection.id, entity_type))


@task(name="extract-invoices", cache_policy=NO_CACHE)
def extract_invoices(job: SyncJob, after: Cursor | None, page_size: int) -> InvoicePage:
    start, retry_ids = _resume_point(job, EntityType.INVOICE, after)
    fresh = job.source.invoices(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    fresh_ids = {i.id for i in fresh}
    retries = job.source.invoices(job.company_id, after=None, limit=0, ids=retry_ids - fresh_ids) if retry_ids else []
    invoices = retries + fresh
    # Parked customers and items are retried with the invoices that need them.
    customer_ids = {i.customer_id for i in invoices if i.customer_id is not None}
    customer_ids |= set(job.store.parked(job.connection.id, EntityType.CUSTOMER)) if retry_ids else set()
    product_ids = {line.product_id for i in invoices for line in i.lines}
    product_ids |= set(job.store.parked(job.connection.id, EntityType.ITEM)) if retry_ids else set()
    return InvoicePage(
        fresh=fresh,
        retries=retries,
        customers=job.source.customers(customer_ids),
        products=job.source.products(product_ids),
        next_after=fresh[-1].cursor if fresh else after,
    )


@task(name="extract-payments", cache_policy=NO_CACHE)
def extract_payments(job: SyncJob, after: Cursor | None, page_size: int) -> PaymentPage:
    start, retry_ids = _resume_point(job, EntityType.PAYMENT, after)
    fresh = job.source.payments(
        job.company_id, after=start, limit=page_size, since=job.scope.since, until=job.scope.until
    )
    fresh_ids = {p.id for p in fresh}
    retries = job.source.payments(job.company_id, after=None, limit=0, ids=retry_ids - fresh_ids) if retry_ids else []
    invoice_ids = sorted({p.invoice_id for p in retries + fresh})
    return PaymentPage(
        fresh=fresh,
        retries=retries,
        invoices={i.id: i for i in job.source.invoices(job.company_id, after=None, limit=0, ids=invoice_ids)},
        paid_before=job.source.collected_before(invoice_ids),
        next_after=fresh[-1].cursor if fresh else after,
    )
