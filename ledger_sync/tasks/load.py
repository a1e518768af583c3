"""Loading, in dependency order: customers, items, invoices, credit notes and their applications, payments and their
tips, refunds, card payouts (and customer edits on their own).

Each load builds its type's candidates from a checked page and hands them to the write engine
(`ledger_sync.engine`), which holds every exactly-once rule. The loads of a checked page run in that page's task
(`tasks.page`); the others are tasks of their own.
"""

from collections.abc import Iterator, Mapping, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE

from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.linking import customer_party, product_party
from ledger_sync.core.matching import SourceParty
from ledger_sync.core.pages import CreditNotePage, CustomerPage, DocumentPage, InvoicePage, PaymentPage, RefundPage
from ledger_sync.core.payouts import SourcePayout
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Extracted
from ledger_sync.engine.candidates import (
    credit_application_candidates,
    credit_note_candidates,
    customer_candidates,
    customer_edit_candidates,
    invoice_candidates,
    item_candidates,
    payment_candidates,
    payout_candidates,
    tip_candidates,
)
from ledger_sync.engine.ports import ConnectionState
from ledger_sync.engine.push import Tenant, WriteEngine
from ledger_sync.engine.refund_candidates import refund_candidates
from ledger_sync.state.connection_state import StoredConnectionState, VoidRemovals
from ledger_sync.state.links import LinkStore
from ledger_sync.tasks.job import SyncJob
from ledger_sync.tasks.voids import with_void_removals

PAYMENTS_PER_PART = 5_000
"""Payments read at once for the payouts they settle (all were, before): a payout settles some days of a company's card
payments, about 250 of them at 100,000 seeded invoices and ten times as many at a million."""


def connection_state(job: SyncJob, voids: Mapping[int, VoidRemovals] | None = None) -> ConnectionState:
    """The job's connection state; in a dry run, seen through the run's rehearsal (what it would write)."""
    state = StoredConnectionState(job.store, job.connection.id, voids or {})
    return job.rehearsal.over(state) if job.scope.dry_run else state


def write_engine(job: SyncJob, voids: Mapping[int, VoidRemovals] | None = None) -> WriteEngine:
    """The engine for the job's connection, counting into the job's stats (`voids`: see `tasks.voids`)."""
    return WriteEngine(
        state=connection_state(job, voids),
        ledger=job.ledger,
        tenant=Tenant(job.connection.ledger, job.connection.tenant_id, job.ledger_name),
        stats=job.stats,
        dry_run=job.scope.dry_run,
        rehearsal=job.rehearsal if job.scope.dry_run else None,
        moves_checkpoints=not job.scope.ranged,
        held=job.checkpoint_held,
        numbers=job.invoice_numbers,
        carried=job.carried_writes,
    )


def load_customers(job: SyncJob, page: DocumentPage | PaymentPage) -> None:
    """The customers a page's invoices, credit notes or deposits need, before them. An invoice page also brings the
    next page's: those fill its batches, and the last one, if none of its customers is needed yet, waits for the
    next page's (one call fewer a page)."""
    candidates = customer_candidates(page)
    if isinstance(page, InvoicePage):
        needed = frozenset(i.customer_id for i in page.invoices if i.customer_id is not None)
        write_engine(job).push(EntityType.CUSTOMER, candidates, fill=not page.last, needed=needed)
    else:
        write_engine(job).push(EntityType.CUSTOMER, candidates)
    _propose_for_collisions(job, EntityType.CUSTOMER, {c.id: customer_party(c) for c in page.customers.values()})


@task(name="load-customer-edits", cache_policy=NO_CACHE)
def load_customer_edits(job: SyncJob, page: CustomerPage) -> None:
    engine = write_engine(job)
    engine.push(EntityType.CUSTOMER, customer_edit_candidates(engine.state, page))


def load_items(job: SyncJob, page: DocumentPage) -> None:
    write_engine(job).push(EntityType.ITEM, item_candidates(page, job.mapping))
    _propose_for_collisions(job, EntityType.ITEM, {p.id: product_party(p) for p in page.products.values()})


def _propose_for_collisions(job: SyncJob, entity_type: EntityType, parties: Mapping[int, SourceParty]) -> None:
    """A name the ledger says is taken waits for review with a proposal (`core.linking`); a dry run writes none."""
    if not job.scope.dry_run:
        LinkStore(job.store).propose_for_collisions(
            job.connection.id, entity_type, job.ledger, parties, job.ledger_name
        )


def load_invoices(job: SyncJob, chart: LedgerChart, page: InvoicePage) -> None:
    state = connection_state(job)
    prefix = job.settings.invoice_number_prefix
    candidates = invoice_candidates(
        state, page, mapping=job.mapping, tax_rates=job.tax_rates, chart=chart, number_prefix=prefix
    )
    candidates, removals = with_void_removals(job, candidates)
    engine = write_engine(job, removals)
    engine.release(EntityType.INVOICE, [i.id for i in page.retries if i.status not in ("locked", "void")])
    # Nothing needs them before the invoices are flushed; a last page has nothing to share its batch with.
    engine.push(EntityType.INVOICE, candidates, fill=not page.last)


@task(name="flush-writes", cache_policy=NO_CACHE)
def flush_writes(job: SyncJob, entity_types: Sequence[EntityType]) -> None:
    """The last, partly full batch of each type, in order, held back to be filled by its next page
    (`engine.push.Carried`)."""
    engine = write_engine(job)
    for entity_type in entity_types:
        engine.flush(entity_type)


def load_credit_notes(job: SyncJob, chart: LedgerChart, page: CreditNotePage) -> None:
    """The credit notes, then the application of each one's credit to the invoice it credits."""
    engine = write_engine(job)
    gone = [n.id for n in page.retries if n.status != "issued"]
    engine.release(EntityType.CREDIT_NOTE, gone)
    engine.release(EntityType.CREDIT_APPLICATION, gone)
    notes = credit_note_candidates(engine.state, page, mapping=job.mapping, tax_rates=job.tax_rates, chart=chart)
    engine.push(EntityType.CREDIT_NOTE, notes)
    engine.push(EntityType.CREDIT_APPLICATION, credit_application_candidates(engine.state, page, notes))


@task(name="load-refunds", cache_policy=NO_CACHE)
def load_refunds(job: SyncJob, chart: LedgerChart, page: RefundPage) -> None:
    engine = write_engine(job)
    candidates = refund_candidates(engine.state, page, mapping=job.mapping, tax_rates=job.tax_rates, chart=chart)
    engine.push(EntityType.REFUND, candidates)


def load_payments(job: SyncJob, page: PaymentPage) -> None:
    """The payments, then the tip of each tipped one (its own document: see `core.tips`); the last, partly full batch
    of each waits for the next page's (`flush_writes`)."""
    engine = write_engine(job)
    engine.release(EntityType.PAYMENT, [p.id for p in page.retries if p.status != "collected"])
    tips = engine.state.parked(EntityType.TIP)
    untipped = [p.id for p in page.retries if p.id in tips and (p.status != "collected" or not p.tip)]
    engine.release(EntityType.TIP, untipped)
    payments = payment_candidates(engine.state, page, mapping=job.mapping, tax_rates=job.tax_rates)
    tipped = frozenset(payment.id for payment in page.payments if payment.tip)  # each tip goes once its payment is in
    engine.push(EntityType.PAYMENT, payments, fill=True, needed=tipped)  # refunds and payouts need them: flushed
    engine.push(EntityType.TIP, tip_candidates(engine.state, page, payments, mapping=job.mapping), fill=True)


@task(name="load-payouts", cache_policy=NO_CACHE)
def load_payouts(job: SyncJob, chart: LedgerChart) -> None:
    """The card payouts not in the ledger yet, each once its payments are (see `core.payouts`); read whole each run
    (no checkpoint: a waiting payout is simply read again next time). Their payments are read a part at a time
    (`payout_parts`), and each part's last, partly full batch waits for the next part's, as one push's would."""
    engine = write_engine(job)
    payouts = job.source.payouts(job.company_id, skip=job.store.synced_ids(job.connection.id, EntityType.PAYOUT))
    for index, part in enumerate(payout_parts(payouts.records)):
        ids = sorted({payment_id for payout in part for payment_id in payout.payment_ids})
        read = job.source.payments(job.company_id, after=None, limit=0, ids=ids).records if ids else []
        payments = {payment.id: payment for payment in read}
        settling = Extracted(part, payouts.unreadable if index == 0 else [])  # the unreadable ones parked once
        candidates = payout_candidates(engine.state, settling, payments, mapping=job.mapping, chart=chart)
        engine.push(EntityType.PAYOUT, candidates, fill=True)
    engine.flush(EntityType.PAYOUT)


def payout_parts(payouts: Sequence[SourcePayout]) -> Iterator[list[SourcePayout]]:
    """The payouts in order, in parts settling at most `PAYMENTS_PER_PART` payments (a payout settling more is a
    part of its own); at least one part, maybe empty."""
    part: list[SourcePayout] = []
    settled = 0
    for payout in payouts:
        if part and settled + len(payout.payment_ids) > PAYMENTS_PER_PART:
            yield part
            part, settled = [], 0
        part.append(payout)
        settled += len(payout.payment_ids)
    yield part
