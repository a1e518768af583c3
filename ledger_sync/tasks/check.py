"""Record-level expectations: park just the records the ledger cannot take, with the reason why.

Plain functions: each runs in its page's task (`tasks.page`), before the page's loads."""

from collections.abc import Callable, Mapping
from decimal import Decimal

from ledger_sync.connectors.registry import get
from ledger_sync.core.currency import invoice_currency_problem
from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.mapping import SourceTaxRate
from ledger_sync.core.money import MoneyError
from ledger_sync.core.pages import CreditNotePage, DocumentPage, InvoicePage, PaymentPage
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import SourceCustomer, SourceInvoice
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.transform import total_due
from ledger_sync.expectations.inputs import CustomerRow, InvoiceRow, PaymentRow
from ledger_sync.expectations.last_checks import gx_dir
from ledger_sync.tasks.job import SyncJob

TaxRates = Mapping[int, SourceTaxRate]


def _invoice_row(
    job: SyncJob, chart: LedgerChart, invoice: SourceInvoice, customer: SourceCustomer | None
) -> InvoiceRow:
    amounts = [
        line.quantity * line.unit_price
        for line in invoice.lines
        if line.quantity.is_finite() and line.unit_price.is_finite()
    ]
    unmapped = []
    for line in invoice.lines:
        rate = job.tax_rates.get(line.tax_rate_id) if line.tax_rate_id is not None else None
        ledger_id = job.mapping.tax_rates.get(rate.id) if rate else None
        target = chart.tax_rates.get(ledger_id) if ledger_id else None
        if rate is not None and (target is None or not target.active) and rate.name not in unmapped:
            unmapped.append(rate.name)
    return InvoiceRow(
        source_id=invoice.id,
        number=invoice.number,
        customer_id=invoice.customer_id if customer is not None else None,
        line_count=len(invoice.lines),
        total=_total_or_none(job, invoice),
        max_abs_amount=max((abs(a) for a in amounts), default=None),
        has_non_finite=not invoice.discount_percent.is_finite()
        or any(not v.is_finite() for line in invoice.lines for v in (line.quantity, line.unit_price)),
        issue_date=invoice.issue_date,
        unmapped_tax_rates=tuple(unmapped),
        currency=invoice.currency,
        customer_currency=(customer.currency or job.home_currency) if customer is not None else None,
        discount_percent=invoice.discount_percent,
        currency_problem=invoice_currency_problem(
            invoice.currency, invoice.exchange_rate, job.home_currency, chart.currencies, job.ledger_name
        ),
    )


def _total_or_none(
    job: SyncJob, invoice: SourceInvoice | None, total_of: Callable[[SourceInvoice, TaxRates], Decimal] = total_due
) -> Decimal | None:
    """The invoice's total (by `total_of`), or None when it has none (missing invoice, or non-finite amounts, parked
    itself)."""
    if invoice is None:
        return None
    try:
        return total_of(invoice, job.tax_rates)
    except MoneyError:
        return None


def _park_all(
    page: InvoicePage | CreditNotePage | PaymentPage, entity_type: EntityType, reasons: dict[int, str]
) -> None:
    for source_id, reason in reasons.items():
        page.parked[(entity_type, source_id)] = Parking(source_id, ParkingCause.CHECK, reason)


def check_invoices(job: SyncJob, chart: LedgerChart, page: InvoicePage) -> InvoicePage:
    from ledger_sync.expectations.records import check_invoices as expect_invoices

    limits = get(job.connection.ledger).limits
    context_dir, run_name = gx_dir(job.settings.home), f"run-{job.run_id}"
    _check_customers(job, page)
    _park_all(page, EntityType.CUSTOMER, _customers_in_missing_currencies(job, chart, page))
    invoices = [
        _invoice_row(job, chart, i, page.customers.get(i.customer_id) if i.customer_id is not None else None)
        for i in page.invoices
        if i.status == "locked"
    ]
    _park_all(page, EntityType.INVOICE, expect_invoices(invoices, limits, context_dir=context_dir, run_name=run_name))
    _park_all(page, EntityType.INVOICE, _unreadable_tax_rates(job, page))
    return page


def _customers_in_missing_currencies(job: SyncJob, chart: LedgerChart, page: DocumentPage) -> dict[int, str]:
    """Customers billed in a currency the ledger does not take yet, parked before any write: a refused write would
    be answered again from the ledger's idempotency cache once a bookkeeper enables the currency."""
    if chart.currencies is None:
        return {}
    reasons = {}
    for customer in page.customers.values():
        missing = chart.currencies.missing(customer.currency, job.ledger_name) if customer.currency else None
        if missing is not None and (EntityType.CUSTOMER, customer.id) not in page.parked:
            reasons[customer.id] = f"Customer is billed in {customer.currency}: {missing}"
    return reasons


def _check_customers(job: SyncJob, page: DocumentPage | PaymentPage) -> None:
    from ledger_sync.expectations.records import check_customers

    limits = get(job.connection.ledger).limits
    context_dir, run_name = gx_dir(job.settings.home), f"run-{job.run_id}"
    customers = [CustomerRow(c.id, c.display_name, c.email) for c in page.customers.values()]
    _park_all(page, EntityType.CUSTOMER, check_customers(customers, limits, context_dir=context_dir, run_name=run_name))


def check_credit_notes(job: SyncJob, page: CreditNotePage) -> CreditNotePage:
    """The customers the credit notes bring are checked as the invoices' are; a note whose line uses a tax rate
    the sync cannot read is parked. Everything else a credit note needs is decided with its record (lines and
    tax by the invoice money code, see `engine.candidates`)."""
    _check_customers(job, page)
    _park_all(page, EntityType.CREDIT_NOTE, _unreadable_tax_rates(job, page))
    return page


def _unreadable_tax_rates(job: SyncJob, page: DocumentPage) -> dict[int, str]:
    """Documents not parked yet whose lines use a tax rate the sync cannot read, and which one."""
    kind, what = (
        (EntityType.INVOICE, "invoice") if isinstance(page, InvoicePage) else (EntityType.CREDIT_NOTE, "credit note")
    )
    documents = page.invoices if isinstance(page, InvoicePage) else page.credit_notes
    reasons: dict[int, str] = {}
    for document in documents:
        if (kind, document.id) in page.parked:
            continue
        for position, line in enumerate(document.lines, start=1):
            problem = job.unreadable_tax_rates.get(line.tax_rate_id) if line.tax_rate_id is not None else None
            if problem is not None:
                reasons[document.id] = f"Line {position} of {what} {document.number} uses a tax rate: {problem}"
                break
    return reasons


def check_payments(job: SyncJob, page: PaymentPage) -> PaymentPage:
    """The customers the deposits bring are checked as the invoices' are; then each collected payment."""
    from ledger_sync.expectations.records import check_payments as expect_payments

    _check_customers(job, page)
    rows = []
    for payment in page.payments:
        if payment.status != "collected":
            continue
        invoice = page.invoices.get(payment.invoice_id) if payment.invoice_id is not None else None
        rows.append(
            PaymentRow(
                source_id=payment.id,
                invoice_id=payment.invoice_id,
                amount=payment.amount,
                invoice_total=_total_or_none(job, invoice, page.invoice_total),
                invoice_status=invoice.status if invoice else None,
                customer_id=payment.customer_id,
                invoice_customer_id=invoice.customer_id if invoice else None,
            )
        )
    reasons = expect_payments(rows, context_dir=gx_dir(job.settings.home), run_name=f"run-{job.run_id}")
    _park_all(page, EntityType.PAYMENT, reasons)
    return page
