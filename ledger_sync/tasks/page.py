"""One task per page of invoices, credit notes or payments: its checks, then its loads in dependency order.

A task per step made four Prefect task runs of every invoice page, and their bookkeeping cost more CPU than some
of the steps themselves; the Prefect UI still shows each page's run, its time and its failure.
"""

from prefect import task
from prefect.cache_policies import NO_CACHE

from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.pages import CreditNotePage, InvoicePage, PaymentPage
from ledger_sync.tasks.check import check_credit_notes, check_invoices, check_payments
from ledger_sync.tasks.job import SyncJob
from ledger_sync.tasks.load import load_credit_notes, load_customers, load_invoices, load_items, load_payments


@task(name="sync-invoice-page", cache_policy=NO_CACHE)
def sync_invoice_page(job: SyncJob, chart: LedgerChart, page: InvoicePage) -> None:
    page = check_invoices(job, chart, page)
    load_customers(job, page)
    load_items(job, page)
    load_invoices(job, chart, page)


@task(name="sync-credit-note-page", cache_policy=NO_CACHE)
def sync_credit_note_page(job: SyncJob, chart: LedgerChart, notes: CreditNotePage) -> None:
    notes = check_credit_notes(job, notes)
    load_customers(job, notes)
    load_items(job, notes)
    load_credit_notes(job, chart, notes)


@task(name="sync-payment-page", cache_policy=NO_CACHE)
def sync_payment_page(job: SyncJob, payments: PaymentPage) -> None:
    payments = check_payments(job, payments)
    load_customers(job, payments)  # a deposit's, before its invoice brings it
    load_payments(job, payments)
