"""Loading, in dependency order: customers, items, invoices, payments.

`push` is the one write loop every type goes through. Unchanged records (same content hash as last
pushed) are never written again; each ledger batch's outcomes, parked records and the checkpoint
commit together; the checkpoint only moves past records known to be in the ledger or parked.
Writes whose outcome is unknown stay pending and are retried with the same idempotency key.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from ledger_sync.connectors.ledger import ErrorKind, LedgerError, LedgerRef, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType, LedgerRecord
from ledger_sync.core.snapshots import Cursor, SourceInvoice
from ledger_sync.core.transform import (
    TransformProblem,
    customer_record,
    invoice_record,
    item_record,
    payment_record,
)
from ledger_sync.state.models import utcnow
from ledger_sync.state.store import Intent, MappedEntity, Parking, Synced
from ledger_sync.tasks.extract import InvoicePage, PaymentPage
from ledger_sync.tasks.gate import LedgerChart
from ledger_sync.tasks.job import SyncJob

LEDGER_RETRY = timedelta(hours=24)
"""A record the ledger refused is resent unchanged at most this often (changed content goes at once)."""
KEY_NAMESPACE = uuid.UUID("6f1f3c1e-2b0c-4f57-9a43-5d3e2f0b7a11")


@dataclass(frozen=True)
class Candidate:
    """A record to push, or the reason it cannot go (yet). Neither: it waits, unhandled."""

    source_id: int
    record: LedgerRecord | None = None
    parking: Parking | None = None
    cursor: Cursor | None = None


def idempotency_key(job: SyncJob, record: LedgerRecord) -> str:
    """The same record version of the same tenant always gets the same key."""
    name = f"{job.connection.ledger}:{job.connection.tenant_id}:{record.entity_type}:{record.source_id}:"
    return str(uuid.uuid5(KEY_NAMESPACE, name + record.content_hash))


def _refused(job: SyncJob, outcome: WriteOutcome, now: datetime) -> Parking:
    record, error = outcome.op.record, outcome.error
    assert error is not None
    return Parking(
        source_id=record.source_id,
        cause="ledger",
        reason=f"{job.ledger_name} refused this {record.entity_type.value}: {error.message}",
        detail=f"{error.kind.value} {error.code or ''}".strip(),
        fingerprint=record.content_hash,
        retry_after=now + LEDGER_RETRY,
    )


def _recover(job: SyncJob, entity_type: EntityType, ops: list[WriteOp]) -> tuple[list[WriteOp], list[Synced]]:
    """Creates whose earlier attempt has an unknown outcome are looked up by external id before being resent.

    Found as sent: it is in the ledger, record it. Found in an older version: update that one.
    Not found: create it (with the same idempotency key). Lookup failed: leave it pending this run.
    """
    creates = {op.record.source_id: op for op in ops if op.existing is None}
    intents = job.store.intents(job.connection.id, entity_type, creates)
    if not intents:
        return ops, []
    try:
        found = job.ledger.find_by_external_id(entity_type, [creates[source_id].record for source_id in intents])
    except LedgerError as exc:
        if exc.kind is ErrorKind.AUTH:
            raise
        get_run_logger().warning("%d %s records stay pending: lookup failed: %s", len(intents), entity_type, exc)
        job.stats.add("unknown", entity_type.value, len(intents))
        return [op for op in ops if op.record.source_id not in intents], []
    remaining: list[WriteOp] = []
    recovered: list[Synced] = []
    for op in ops:
        record, ref = op.record, found.get(op.record.source_id) if op.record.source_id in intents else None
        if ref is None:
            remaining.append(op)
        elif intents[record.source_id].content_hash == record.content_hash:
            recovered.append(Synced(record.source_id, ref.id, ref.sync_token, record.content_hash))
        else:
            remaining.append(WriteOp(record, op.idempotency_key, existing=ref))
    job.stats.add("recovered", entity_type.value, len(recovered))
    return remaining, recovered


@dataclass
class _Progress:
    """What one push has settled so far, and where its checkpoint may move (None: it must not)."""

    handled: set[int]
    checkpointed: Sequence[Candidate] | None

    def checkpoint(self) -> Cursor | None:
        """The last cursor up to which every checkpointed candidate is handled (ranged runs: None, never moves)."""
        mark = None
        for candidate in self.checkpointed or ():
            if candidate.cursor is None:
                continue
            if candidate.source_id not in self.handled:
                break
            mark = candidate.cursor
        return mark

    def unsettled(self) -> bool:
        """Whether a checkpointed candidate is left unhandled (its outcome unknown, or waiting on one)."""
        return any(c.cursor is not None and c.source_id not in self.handled for c in self.checkpointed or ())


def _plan(
    job: SyncJob, entity_type: EntityType, candidates: Sequence[Candidate]
) -> tuple[set[int], list[Parking], list[WriteOp]]:
    """Split candidates into parked, unchanged (settled without a write) and the writes to make."""
    kind, now = entity_type.value, utcnow()
    mapped = job.store.mapped(job.connection.id, entity_type, [c.source_id for c in candidates])
    parked_before = job.store.parked(job.connection.id, entity_type)
    handled: set[int] = set()
    parks: list[Parking] = []
    ops: list[WriteOp] = []
    for candidate in candidates:
        if candidate.parking is not None:
            parks.append(candidate.parking)
            handled.add(candidate.source_id)
            continue
        if candidate.record is None:
            continue
        known = mapped.get(candidate.source_id)
        if known is not None and known.content_hash == candidate.record.content_hash:
            handled.add(candidate.source_id)
            job.stats.add("unchanged", kind)
            continue
        prior = parked_before.get(candidate.source_id)
        if (
            prior is not None
            and prior.cause == "ledger"
            and prior.fingerprint == candidate.record.content_hash
            and prior.retry_after is not None
            and prior.retry_after > now
        ):
            handled.add(candidate.source_id)
            continue
        existing = LedgerRef(known.ledger_id, known.sync_token) if known else None
        ops.append(WriteOp(candidate.record, idempotency_key(job, candidate.record), existing))
    return handled, parks, ops


def _write(job: SyncJob, entity_type: EntityType, chunk: list[WriteOp], progress: _Progress) -> None:
    """One ledger call; its outcomes, parked refusals and the checkpoint commit together."""
    kind, now = entity_type.value, utcnow()
    creates = [
        Intent(op.record.source_id, op.record.content_hash, op.idempotency_key) for op in chunk if not op.existing
    ]
    job.store.add_intents(job.connection.id, entity_type, creates)
    try:
        outcomes = job.ledger.write(entity_type, chunk)
    except LedgerError as exc:
        if exc.kind is ErrorKind.AUTH:
            raise
        get_run_logger().warning(
            "%d %s writes have an unknown outcome and stay pending: %s", len(chunk), kind, exc.message
        )
        job.stats.add("unknown", kind, len(chunk))
        return
    synced: list[Synced] = []
    refused: list[Parking] = []
    for outcome in outcomes:
        record = outcome.op.record
        if outcome.ref is not None:
            synced.append(Synced(record.source_id, outcome.ref.id, outcome.ref.sync_token, record.content_hash))
            progress.handled.add(record.source_id)
            job.stats.add("updated" if outcome.op.existing else "created", kind)
        elif outcome.error is not None and outcome.error.kind in (ErrorKind.VALIDATION, ErrorKind.DUPLICATE):
            refused.append(_refused(job, outcome, now))
            progress.handled.add(record.source_id)
        else:
            job.stats.add("unknown", kind)
    job.stats.add("parked", kind, len(refused))
    job.store.record_batch(
        job.connection.id, entity_type, synced=synced, parked=refused, checkpoint=progress.checkpoint()
    )


def push(job: SyncJob, entity_type: EntityType, candidates: Sequence[Candidate]) -> None:
    """Settle every candidate: parked, unchanged, recovered from an earlier attempt, or written now."""
    handled, parks, ops = _plan(job, entity_type, candidates)
    job.stats.add("parked", entity_type.value, len(parks))
    if job.scope.dry_run:
        job.stats.add("would_write", entity_type.value, len(ops))
        return
    ops, recovered = _recover(job, entity_type, ops)
    handled.update(r.source_id for r in recovered)
    held = job.scope.ranged or entity_type in job.checkpoint_held
    progress = _Progress(handled, None if held else candidates)
    job.store.record_batch(
        job.connection.id, entity_type, synced=recovered, parked=parks, checkpoint=progress.checkpoint()
    )
    for start in range(0, len(ops), job.ledger.max_batch_size):
        _write(job, entity_type, ops[start : start + job.ledger.max_batch_size], progress)
    if progress.unsettled():
        job.checkpoint_held.add(entity_type)


def _blocked(job: SyncJob, page: InvoicePage | PaymentPage, entity_type: EntityType) -> dict[int, Parking]:
    """Parked records of a dependency type, read once per page: earlier runs', then this page's checks."""
    this_page = {source_id: p for (kind, source_id), p in page.parked.items() if kind is entity_type}
    return job.store.parked(job.connection.id, entity_type) | this_page


def _waiting(blocked: dict[int, Parking], dependency_id: int, waiter_id: int, what: str) -> Parking | None:
    """Parked-behind reason when the dependency is parked; None when it is merely not synced yet."""
    reason = blocked.get(dependency_id)
    if reason is None:
        return None
    return Parking(waiter_id, "dependency", f"Waiting for {what}, which cannot sync: {reason.reason}")


@task(name="load-customers", cache_policy=NO_CACHE)
def load_customers(job: SyncJob, page: InvoicePage) -> None:
    candidates = [
        Candidate(c.id, parking=page.parked.get((EntityType.CUSTOMER, c.id)))
        if (EntityType.CUSTOMER, c.id) in page.parked
        else Candidate(c.id, record=customer_record(c))
        for c in page.customers.values()
    ]
    push(job, EntityType.CUSTOMER, candidates)


@task(name="load-items", cache_policy=NO_CACHE)
def load_items(job: SyncJob, page: InvoicePage) -> None:
    candidates = []
    for product in page.products.values():
        try:
            candidates.append(Candidate(product.id, record=item_record(product, job.mapping)))
        except TransformProblem as problem:
            candidates.append(Candidate(product.id, parking=Parking(product.id, "check", str(problem))))
    push(job, EntityType.ITEM, candidates)


@task(name="load-invoices", cache_policy=NO_CACHE)
def load_invoices(job: SyncJob, chart: LedgerChart, page: InvoicePage) -> None:
    fresh = {i.id for i in page.fresh}
    gone = [i.id for i in page.retries if i.status != "locked"]
    if not job.scope.dry_run:
        job.store.release(job.connection.id, EntityType.INVOICE, gone)
    job.stats.add("skipped", "invoice", len(gone))
    needs = _InvoiceNeeds(
        customers=job.store.mapped(job.connection.id, EntityType.CUSTOMER, page.customers),
        items=job.store.mapped(job.connection.id, EntityType.ITEM, page.products),
        blocked_customers=_blocked(job, page, EntityType.CUSTOMER),
        blocked_items=_blocked(job, page, EntityType.ITEM),
    )
    candidates = []
    for invoice in page.invoices:
        if invoice.status != "locked":
            continue
        cursor = invoice.cursor if invoice.id in fresh else None
        candidates.append(Candidate(invoice.id, cursor=cursor, **_invoice_fields(job, chart, page, invoice, needs)))
    push(job, EntityType.INVOICE, candidates)


@dataclass(frozen=True)
class _InvoiceNeeds:
    """What a page's invoices depend on, read once: ledger ids of what is synced, reasons of what is parked."""

    customers: dict[int, MappedEntity]
    items: dict[int, MappedEntity]
    blocked_customers: dict[int, Parking]
    blocked_items: dict[int, Parking]


def _invoice_fields(
    job: SyncJob, chart: LedgerChart, page: InvoicePage, invoice: SourceInvoice, needs: _InvoiceNeeds
) -> dict[str, Any]:
    """record= or parking= for one invoice (or nothing while a dependency's outcome is unknown)."""
    if (parking := page.parked.get((EntityType.INVOICE, invoice.id))) is not None:
        return {"parking": parking}
    customer = page.customers.get(invoice.customer_id) if invoice.customer_id is not None else None
    if customer is not None and customer.id not in needs.customers:
        wait = _waiting(needs.blocked_customers, customer.id, invoice.id, f"customer '{customer.display_name}'")
        return {"parking": wait} if wait else {}
    for line in invoice.lines:
        if line.product_id not in needs.items:
            product = page.products.get(line.product_id)
            label = f"product '{product.name}'" if product else f"product {line.product_id}"
            wait = _waiting(needs.blocked_items, line.product_id, invoice.id, label)
            return {"parking": wait} if wait else {}
    assert customer is not None  # a missing customer was parked by the record-level check
    try:
        record = invoice_record(
            invoice,
            customer_ref=needs.customers[customer.id].ledger_id,
            item_refs={pid: m.ledger_id for pid, m in needs.items.items()},
            tax_rates=job.tax_rates,
            mapping=job.mapping,
            ledger_tax_rates=chart.tax_rates,
        )
    except TransformProblem as problem:
        return {"parking": Parking(invoice.id, "check", str(problem))}
    return {"record": record}


@task(name="load-payments", cache_policy=NO_CACHE)
def load_payments(job: SyncJob, page: PaymentPage) -> None:
    fresh = {p.id for p in page.fresh}
    gone = [p.id for p in page.retries if p.status != "collected"]
    if not job.scope.dry_run:
        job.store.release(job.connection.id, EntityType.PAYMENT, gone)
    job.stats.add("skipped", "payment", len(gone))
    invoices = job.store.mapped(job.connection.id, EntityType.INVOICE, page.invoices)
    customer_ids = {i.customer_id for i in page.invoices.values() if i.customer_id is not None}
    customers = job.store.mapped(job.connection.id, EntityType.CUSTOMER, customer_ids)
    blocked_invoices = _blocked(job, page, EntityType.INVOICE)
    candidates = []
    for payment in page.payments:
        if payment.status != "collected":
            continue
        cursor = payment.cursor if payment.id in fresh else None
        invoice = page.invoices.get(payment.invoice_id)
        if invoice is None:  # the record-level check parked it: its invoice is missing
            candidates.append(
                Candidate(payment.id, parking=page.parked.get((EntityType.PAYMENT, payment.id)), cursor=cursor)
            )
            continue
        unsynced = invoice.id not in invoices or invoice.customer_id not in customers
        # Waiting for a parked invoice says more than any check of the payment against it.
        wait = _waiting(blocked_invoices, invoice.id, payment.id, f"invoice {invoice.number}") if unsynced else None
        parking = wait or page.parked.get((EntityType.PAYMENT, payment.id))
        if parking is not None or unsynced:
            candidates.append(Candidate(payment.id, parking=parking, cursor=cursor))
            continue
        try:
            record = payment_record(
                payment,
                invoice_ref=invoices[invoice.id].ledger_id,
                customer_ref=customers[invoice.customer_id].ledger_id,
                mapping=job.mapping,
            )
        except TransformProblem as problem:
            candidates.append(Candidate(payment.id, parking=Parking(payment.id, "check", str(problem)), cursor=cursor))
            continue
        candidates.append(Candidate(payment.id, record=record, cursor=cursor))
    push(job, EntityType.PAYMENT, candidates)
