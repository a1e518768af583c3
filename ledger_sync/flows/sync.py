"""Sync one company: gate, then customer edits, invoices and credit notes (with their customers and items), then
payments, refunds and the card payouts that settle payments.

Entrypoint of the hourly deployment and of `ledger-sync sync`. Reads top to bottom as the sync it is.
"""

from collections.abc import Callable, Iterator
from typing import TypeVar, cast

from prefect import flow
from prefect.context import FlowRunContext
from prefect.utilities.annotations import quote
from prefect.utilities.collections import visit_collection

from ledger_sync.connectors.registry import LedgerName
from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.pages import CreditNotePage, CustomerPage, InvoicePage, PaymentPage, RefundPage
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunSummary
from ledger_sync.core.scope import SyncScope
from ledger_sync.core.snapshots import Cursor
from ledger_sync.expectations.context import publish_docs
from ledger_sync.expectations.last_checks import gx_dir
from ledger_sync.long_lived import set_aside_imports
from ledger_sync.settings import Settings
from ledger_sync.state.activity import set_progress
from ledger_sync.state.slots import company_lock
from ledger_sync.tasks.extract import (
    extract_credit_notes,
    extract_customers,
    extract_invoices,
    extract_payments,
    extract_refunds,
)
from ledger_sync.tasks.gate import check_run_gates, read_ledger_chart
from ledger_sync.tasks.job import SyncJob, open_job
from ledger_sync.tasks.load import flush_writes, load_customer_edits, load_payouts, load_refunds
from ledger_sync.tasks.page import sync_credit_note_page, sync_invoice_page, sync_payment_page
from ledger_sync.tasks.report import report_run

Page = TypeVar("Page", InvoicePage, CreditNotePage, PaymentPage, CustomerPage, RefundPage)
T = TypeVar("T")


def whole(value: T) -> T:
    """`value` handed to a task as it is: Prefect neither walks it for futures nor records its contents as the
    task's inputs. A page holds hundreds of records and the job the run's state: walking them on every task call
    cost about a third of the sync's CPU."""
    return cast(T, quote(value))


def pages(extract: Callable[[SyncJob, Cursor | None, int], Page], job: SyncJob, size: int) -> Iterator[Page]:
    """Pages until the source has nothing newer; the first page also carries the parked records to retry."""
    page = extract(whole(job), None, size)
    while page:
        yield page
        _unlink(page)
        if not page.has_fresh:
            return
        page = extract(whole(job), page.next_after, size)


def _unlink(page: object) -> None:
    """Drop the links Prefect keeps, for the rest of the flow run, from a task's result and each of its fields to
    the task run's state (to draw the dependencies of tasks it is handed to): about eight a page, some KB each, so
    a million-invoice run held thousands. Pages reach their tasks quoted (`whole`), so nothing looks those links up."""
    context = FlowRunContext.get()
    if context is not None:
        visit_collection(page, lambda part: context.run_results.pop(id(part), None), max_depth=1)


class SyncHooks:
    """What a deployment adds around the sync: wrap the job's ledger (rate limits), keep the ledger chart (the
    live process), follow pages (progress)."""

    def opened(self, job: SyncJob) -> None:
        """The job is open; nothing was read from the ledger yet."""

    def chart(self, job: SyncJob) -> LedgerChart:
        """The ledger chart the run's gates and writes go by: read at the start of the run."""
        return read_ledger_chart(whole(job))

    def gate_failed(self, job: SyncJob) -> bool:
        """The run's gates failed on `chart`'s chart: True to read it again and check once more (it was kept from
        an earlier run, and the bookkeeper may have fixed the ledger since)."""
        return False

    def page_done(self, job: SyncJob, entity_type: EntityType, records: int) -> None:
        """A page of `records` source records was checked and loaded."""


NO_HOOKS = SyncHooks()


class _Progress(SyncHooks):
    """Counts the records the run has read into the state store (the settings page's progress), then hands
    each event on to the deployment's hooks."""

    def __init__(self, inner: SyncHooks) -> None:
        self.inner, self.done = inner, 0

    def opened(self, job: SyncJob) -> None:
        self.inner.opened(job)

    def chart(self, job: SyncJob) -> LedgerChart:
        return self.inner.chart(job)

    def gate_failed(self, job: SyncJob) -> bool:
        return self.inner.gate_failed(job)

    def page_done(self, job: SyncJob, entity_type: EntityType, records: int) -> None:
        self.done += records
        set_progress(job.store, job.run_id, self.done)
        self.inner.page_done(job, entity_type, records)


def run_sync(
    company_id: int, ledger: str, kind: RunKind, scope: SyncScope, page_size: int, hooks: SyncHooks = NO_HOOKS
) -> RunSummary:
    """The sync itself, shared by every flow that syncs (hourly, backfill, live), in the company's slot."""
    set_aside_imports()
    settings = Settings()
    with company_lock(settings.home, company_id, settings.company_lock_wait_seconds):
        return _sync(settings, company_id, ledger, kind, scope, page_size, _Progress(hooks))


def _sync(
    settings: Settings,
    company_id: int,
    ledger: str,
    kind: RunKind,
    scope: SyncScope,
    page_size: int,
    hooks: SyncHooks,
) -> RunSummary:
    job = open_job(settings, company_id, ledger, kind, scope)
    try:
        hooks.opened(job)
        chart = hooks.chart(job)
        gate = check_run_gates(whole(job), chart)
        if not gate.passed and hooks.gate_failed(job):
            chart = hooks.chart(job)
            gate = check_run_gates(whole(job), chart)
        if not gate.passed:
            return report_run(whole(job), gate)

        if scope.covers(EntityType.INVOICE) and not scope.ranged:
            # Customer edits go with invoices (their toggle): a rename reaches the ledger without a new invoice.
            for customers in pages(extract_customers, job, page_size):
                load_customer_edits(whole(job), whole(customers))
                hooks.page_done(job, EntityType.CUSTOMER, len(customers))

        if scope.covers(EntityType.INVOICE):
            for page in pages(extract_invoices, job, page_size):
                sync_invoice_page(whole(job), chart, whole(page))  # checks, customers, items, invoices
                hooks.page_done(job, EntityType.INVOICE, len(page))
            flush_writes(whole(job), [EntityType.CUSTOMER, EntityType.INVOICE])  # last batches held back to be filled
            # Credit notes go with invoices (the same toggle and events): after them, before payments.
            for notes in pages(extract_credit_notes, job, page_size):
                sync_credit_note_page(whole(job), chart, whole(notes))  # checks, customers, items, notes
                hooks.page_done(job, EntityType.CREDIT_NOTE, len(notes))

        if scope.covers(EntityType.PAYMENT):
            for payments in pages(extract_payments, job, page_size):
                sync_payment_page(whole(job), whole(payments))  # checks, deposits' customers, payments, tips
                hooks.page_done(job, EntityType.PAYMENT, len(payments))
            flush_writes(whole(job), [EntityType.PAYMENT, EntityType.TIP])  # held back as invoices are: before refunds
            # Refunds go with payments (their toggle and events), after them: each waits for the payment it pays back.
            for refunds in pages(extract_refunds, job, page_size):
                load_refunds(whole(job), chart, whole(refunds))
                hooks.page_done(job, EntityType.REFUND, len(refunds))
            load_payouts(whole(job), chart)  # after the payments they settle

        return report_run(whole(job), gate)
    except Exception as failure:
        job.record_failure(failure)
        publish_docs(gx_dir(job.settings.home))  # the checks that did run still reach Data Docs
        raise
    finally:
        job.close()


@flow(name="sync-company")
def sync_company(company_id: int, ledger: LedgerName = "qbo", page_size: int = 500) -> RunSummary:
    """Push one company's locked invoices, collected payments (with tips) and card payouts into its ledger, once."""
    return run_sync(company_id, ledger, RunKind.SYNC, SyncScope(), page_size)
