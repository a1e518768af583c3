"""The steps of a reconciliation: Service Opus's figures for what we synced, the ledger's, the comparison,
the re-queue of what went missing, and the result for finance (a Prefect table and a JSON file).

What we synced is the entity map; its records are rebuilt from Service Opus with the same transform the
sync uses, so the figures compared are the ones the sync would send today.
"""

from collections import defaultdict
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.applications import applied_part
from ledger_sync.core.bank_balances import bank_balances, routed
from ledger_sync.core.ledger import LedgerChart, LedgerConnector, LedgerSnapshot
from ledger_sync.core.payouts import Settled, payout_record
from ledger_sync.core.reconciliation import (
    ExpectedAmount,
    ExpectedInvoice,
    ExpectedPayment,
    Reconciliation,
    compare,
    tracked_revenue,
)
from ledger_sync.core.records import (
    EntityType,
    InvoiceCreditRecord,
    InvoiceRecord,
    PaymentRecord,
    PayoutRecord,
    RefundRecord,
    TipRecord,
)
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.reissue import as_written
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.tips import tip_record
from ledger_sync.core.transform import TransformProblem, credit_total, foreign_currency, invoice_record, payment_record
from ledger_sync.settings import Settings
from ledger_sync.state.reconciliations import save_reconciliation
from ledger_sync.state.store import ConnectionInfo, StateStore


@dataclass(frozen=True)
class SyncedBooks:
    """The invoices, payments, tips and payouts the entity map says are in the ledger, as Service Opus has them now."""

    invoices: list[InvoiceRecord | InvoiceCreditRecord]
    payments: list[PaymentRecord]
    payment_invoices: dict[int, int | None]
    """Payment source id -> its invoice's source id (None: a deposit not applied yet)."""
    credited: dict[int, Decimal]
    """Invoice source id -> the credit applied to it from credit notes (their applications are synced)."""
    tips: list[TipRecord]
    """The synced tips of those payments."""
    payouts: list[PayoutRecord]
    """The synced card payouts of those payments."""
    refunds: list[RefundRecord]
    """The synced refunds of those payments."""
    bank_accounts: dict[str, str]
    """The mapped bank and clearing accounts and any other account our money landed in: ledger id -> name."""


@dataclass(frozen=True)
class LedgerBooks:
    invoices: dict[int, list[LedgerSnapshot]]
    payments: dict[int, list[LedgerSnapshot]]
    tips: dict[int, list[LedgerSnapshot]]
    payouts: dict[int, list[LedgerSnapshot]]
    balances: dict[str, Decimal]
    """Each of the synced books' bank accounts' balance as the ledger reports it."""


@task(name="read-synced-books", cache_policy=NO_CACHE)
def read_synced_books(
    store: StateStore, source: ServiceOpusSource, ledger: LedgerConnector, connection: ConnectionInfo
) -> SyncedBooks:
    """Records that no longer transform (a mapping changed since) are left out: the sync parks them itself."""
    company_id, connection_id = connection.company_id, connection.id
    mapping = store.load_mapping(connection_id)
    tax_rates = {r.id: r for r in source.read_tax_rates(company_id).records}
    ledger_tax_rates = {r.id: r for r in ledger.list_tax_rates()}
    ledger_tracking = {o.id: o for o in ledger.list_tracking_options()} if mapping.tracked else {}
    invoice_ids = store.synced_ids(connection_id, EntityType.INVOICE)
    invoices = source.invoices(company_id, after=None, limit=0, ids=invoice_ids).records
    mapped_invoices = store.mapped(connection_id, EntityType.INVOICE, invoice_ids)
    customers = store.mapped(connection_id, EntityType.CUSTOMER, {i.customer_id for i in invoices if i.customer_id})
    items = store.mapped(connection_id, EntityType.ITEM, {line.product_id for i in invoices for line in i.lines})
    records: list[InvoiceRecord | InvoiceCreditRecord] = []
    for invoice in invoices:
        customer = customers.get(invoice.customer_id) if invoice.customer_id is not None else None
        if (
            invoice.status != "locked"
            or customer is None
            or any(line.product_id not in items for line in invoice.lines)
        ):
            continue
        try:
            record = invoice_record(
                invoice,
                customer_ref=customer.ledger_id,
                item_refs={pid: m.ledger_id for pid, m in items.items()},
                tax_rates=tax_rates,
                mapping=mapping,
                ledger_tax_rates=ledger_tax_rates,
                ledger_tracking=ledger_tracking,
            )
        except TransformProblem:
            continue
        records.append(as_written(record, mapped_invoices.get(invoice.id)))  # a reissued one: its "-R<n>" stamp
    by_id = {r.source_id: r for r in records}
    payments: list[PaymentRecord] = []
    tips: list[TipRecord] = []
    tipped = store.synced_ids(connection_id, EntityType.TIP)
    payment_invoices: dict[int, int | None] = {}
    settled: dict[int, Settled] = {}
    synced_payments = store.synced_ids(connection_id, EntityType.PAYMENT)
    mapped_payments = store.mapped(connection_id, EntityType.PAYMENT, synced_payments)
    read_payments = source.payments(company_id, after=None, limit=0, ids=synced_payments).records
    depositors = store.mapped(
        connection_id,
        EntityType.CUSTOMER,
        {p.customer_id for p in read_payments if p.invoice_id is None and p.customer_id is not None},
    )
    applied_before = source.collected_before(sorted({p.invoice_id for p in read_payments if p.invoice_id is not None}))
    for payment in read_payments:
        if payment.status != "collected":
            continue
        try:
            if payment.invoice_id is None:  # a deposit not applied yet: all of it the customer's credit
                depositor = depositors.get(payment.customer_id) if payment.customer_id is not None else None
                if depositor is None:
                    continue
                payment_entry = payment_record(
                    payment, invoice_ref="", customer_ref=depositor.ledger_id, mapping=mapping
                )
            else:
                paid = by_id.get(payment.invoice_id)
                if paid is None:
                    continue
                payment_entry = payment_record(
                    payment,
                    invoice_ref=mapped_invoices[paid.source_id].ledger_id,
                    customer_ref=paid.customer_ref,
                    mapping=mapping,
                    invoice_currency=foreign_currency(paid),
                    applied=applied_part(payment, paid.total, applied_before.get(payment.invoice_id, [])),
                )
        except TransformProblem:
            continue
        payments.append(payment_entry)
        payment_invoices[payment.id] = payment.invoice_id
        settled[payment.id] = Settled(
            mapped_payments[payment.id].ledger_id, payment_entry.amount, payment.tip, payment_entry.deposit_account_ref
        )
        if payment.id in tipped and payment.tip:
            with suppress(TransformProblem):
                tips.append(tip_record(payment, payment_entry, mapping))
    credited: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    applied = store.synced_ids(connection_id, EntityType.CREDIT_APPLICATION)
    for note in source.credit_notes(company_id, after=None, limit=0, ids=applied).records if applied else []:
        if note.status == "issued" and note.invoice_id is not None:
            credited[note.invoice_id] += credit_total(note, tax_rates)
    synced_payouts = store.synced_ids(connection_id, EntityType.PAYOUT)
    payouts: list[PayoutRecord] = []
    chart = LedgerChart({account.id: account for account in ledger.list_accounts()}, {})
    for payout in source.payouts(company_id).records if synced_payouts else []:
        if payout.id in synced_payouts and all(i in settled for i in payout.payment_ids):
            with suppress(TransformProblem):
                payouts.append(payout_record(payout, settled, mapping, chart))
    refunds = _synced_refunds(store, source, connection, by_id, {p.source_id: p for p in payments}, payment_invoices)
    landed = {*mapping.bank_accounts.values(), *routed([*payments, *tips, *refunds, *payouts])}
    names = {ref: chart.accounts[ref].name if ref in chart.accounts else ref for ref in landed}
    return SyncedBooks(records, payments, payment_invoices, dict(credited), tips, payouts, refunds, names)


def _synced_refunds(
    store: StateStore,
    source: ServiceOpusSource,
    connection: ConnectionInfo,
    invoices: dict[int, InvoiceRecord | InvoiceCreditRecord],
    payments: dict[int, PaymentRecord],
    payment_invoices: dict[int, int | None],
) -> list[RefundRecord]:
    """The synced refunds of these payments, rebuilt as the sync sends them (only their totals and accounts count
    here); one that no longer transforms is left out, as the sync parks it."""
    synced = store.synced_ids(connection.id, EntityType.REFUND)
    refunds = source.refunds(connection.company_id, after=None, limit=0, ids=synced).records if synced else []
    records = []
    for refund in refunds:
        payment = payments.get(refund.payment_id)
        paid = payment_invoices.get(refund.payment_id)
        invoice = invoices.get(paid) if payment and paid is not None else None
        if payment is None or not isinstance(invoice, InvoiceRecord):
            continue
        with suppress(TransformProblem):
            records.append(
                refund_record(
                    refund, invoice, payment_number=payment.source_id, deposit_account_ref=payment.deposit_account_ref
                )
            )
    return records


@task(name="read-ledger-books", cache_policy=NO_CACHE)
def read_ledger_books(ledger: LedgerConnector, books: SyncedBooks) -> LedgerBooks:
    """The ledger's records stamped with our external ids (the connector pages within the vendor's limits)."""
    return LedgerBooks(
        ledger.read_back(EntityType.INVOICE, books.invoices),
        ledger.read_back(EntityType.PAYMENT, books.payments),
        ledger.read_back(EntityType.TIP, books.tips),
        ledger.read_back(EntityType.PAYOUT, books.payouts),
        ledger.account_balances(sorted(books.bank_accounts)),
    )


@task(name="compare-books", cache_policy=NO_CACHE)
def compare_books(connection: ConnectionInfo, books: SyncedBooks, found: LedgerBooks, api_calls: int) -> Reconciliation:
    paid: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for payment in books.payments:
        if (invoice_id := books.payment_invoices[payment.source_id]) is not None:
            paid[invoice_id] += payment.applied_amount  # the rest is the customer's credit, not the invoice's
    invoices = []
    for r in books.invoices:
        # An invoice below zero is in the ledger as a credit note, which the connectors read back negated.
        sign = -1 if isinstance(r, InvoiceCreditRecord) else 1
        total, tax = sign * r.total, sign * r.total_tax
        credited = books.credited.get(r.source_id, Decimal("0.00"))
        due = total - paid[r.source_id] - credited
        invoices.append(
            ExpectedInvoice(r.source_id, r.number, r.external_id, r.customer_ref, total, tax, due, credited)
        )
    payments = [
        ExpectedPayment(p.source_id, p.external_id, books.payment_invoices[p.source_id], p.amount, p.credit)
        for p in books.payments
    ]
    tips = [ExpectedAmount(t.source_id, t.external_id, t.amount) for t in books.tips]
    payouts = [ExpectedAmount(o.source_id, o.external_id, o.net) for o in books.payouts]
    differences, receivables = compare(
        ledger_label(connection.ledger),
        invoices,
        payments,
        found.invoices,
        found.payments,
        tips,
        found.tips,
        payouts,
        found.payouts,
    )
    expected = routed([*books.payments, *books.tips, *books.refunds, *books.payouts])
    return Reconciliation(
        company_id=connection.company_id,
        ledger=connection.ledger,
        checked_at=datetime.now(UTC),
        invoices=len(invoices),
        payments=len(payments),
        differences=differences,
        receivables=receivables,
        api_calls=api_calls,
        bank_balances=bank_balances(books.bank_accounts, expected, found.balances),
        tracked_revenue=tracked_revenue([r for r in books.invoices if isinstance(r, InvoiceRecord)], found.invoices),
    )


@task(name="requeue-missing", cache_policy=NO_CACHE)
def requeue_missing(store: StateStore, connection: ConnectionInfo, result: Reconciliation) -> None:
    """Records missing from the ledger are forgotten and parked, so the next sync creates them again."""
    stamp = result.checked_at.isoformat()
    for entity_type in (EntityType.INVOICE, EntityType.PAYMENT, EntityType.TIP, EntityType.PAYOUT):
        reason = f"Missing from {ledger_label(connection.ledger)} at the reconciliation of {stamp}: re-queued"
        parkings = [Parking(i, ParkingCause.MISSING, reason, detail=stamp) for i in result.requeued(entity_type)]
        store.requeue(connection.id, entity_type, parkings)


BANK_BALANCE_ADVICE = (
    "The whole balance is compared: money the sync does not send (an opening balance, bank feed lines, bills) "
    "and the differences listed above explain it; an account only Service Opus's payments use should match."
)


@task(name="report-reconciliation", cache_policy=NO_CACHE)
def report_reconciliation(settings: Settings, result: Reconciliation) -> Path:
    """The JSON file, and a table finance can read: each difference with what to do, then receivables and bank
    balances."""
    path = save_reconciliation(settings, result)
    rows: list[dict[str, object]] = [
        {
            "what": f"{d.entity_type.value} {d.label}",
            "difference": d.kind.value,
            "service_opus": "" if d.expected is None else str(d.expected),
            "ledger": "" if d.found is None else str(d.found),
            "what_to_do": d.what_to_do,
        }
        for d in result.differences
    ]
    rows += [
        {
            "what": f"receivable {r.customer_ref}",
            "difference": "" if r.equal else "differs",
            "service_opus": str(r.expected),
            "ledger": str(r.ledger),
            "what_to_do": "",
        }
        for r in [*result.receivables, result.receivable_total]
    ]
    rows += [
        {
            "what": f"bank account {b.name}",
            "difference": "" if b.equal else "differs",
            "service_opus": str(b.expected),
            "ledger": "not reported" if b.ledger is None else str(b.ledger),
            "what_to_do": "" if b.equal else BANK_BALANCE_ADVICE,
        }
        for b in result.bank_balances
    ]
    create_table_artifact(
        key=f"reconciliation-company-{result.company_id}-{result.ledger}",
        table=rows,
        description=f"{ledger_label(result.ledger)} reconciliation of company {result.company_id}: "
        f"{len(result.differences)} differences over {result.invoices} invoices and {result.payments} payments "
        f"({result.api_calls} API calls); saved as {path}",
    )
    return path
