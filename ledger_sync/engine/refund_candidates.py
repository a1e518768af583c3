"""What each refund is given: pushed once the payment it pays back is in the ledger, waiting or parked behind it,
or parked when it can never be written (see `core.refunds` for how it is built)."""

from collections.abc import Mapping

from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.mapping import LedgerMapping, SourceTaxRate
from ledger_sync.core.pages import RefundPage
from ledger_sync.core.records import EntityType, InvoiceRecord, RefundRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import Cursor, SourceRefund
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.transform import TransformProblem, deposit_account, invoice_record
from ledger_sync.engine.candidates import Candidate, Park, Push, Wait, _in_checkpoint_order, _unreadable
from ledger_sync.engine.ports import ConnectionState


def refund_candidates(
    state: ConnectionState,
    page: RefundPage,
    *,
    mapping: LedgerMapping,
    tax_rates: Mapping[int, SourceTaxRate],
    chart: LedgerChart,
) -> list[Candidate]:
    """The page's refunds. Each needs the payment it pays back in the ledger (it waits for it, or is parked
    behind it when that payment is parked), and is parked when that payment was reversed or removed with its
    voided invoice: there is no money in the ledger to pay back."""
    fresh = {r.id for r in page.fresh}
    payments = state.mapped(EntityType.PAYMENT, page.payments)
    parked_payments = state.parked(EntityType.PAYMENT)
    candidates = _unreadable(page)
    for refund in page.refunds:
        cursor = refund.cursor if refund.id in fresh else None
        try:
            _check_payment(page, refund)
            if refund.payment_id not in payments:
                candidates.append(_behind_payment(refund, parked_payments.get(refund.payment_id), cursor))
                continue
            candidates.append(Push(_record(state, page, refund, mapping, tax_rates, chart), cursor))
        except TransformProblem as problem:
            candidates.append(Park(Parking(refund.id, ParkingCause.CHECK, str(problem)), cursor))
    return _in_checkpoint_order(candidates)


def _check_payment(page: RefundPage, refund: SourceRefund) -> None:
    """Refuses (parks) a refund of a payment that is no money in the ledger, nor ever will be."""
    payment = page.payments.get(refund.payment_id)
    if payment is None:
        raise TransformProblem(f"Refund {refund.id} pays back payment {refund.payment_id}, which Service Opus lacks")
    if payment.reversed:
        raise TransformProblem(
            f"Refund {refund.id} pays back payment {payment.id}, which {payment.status.replace('_', ' ')} since: "
            "that money was taken back already; cancel the refund in Service Opus"
        )
    if payment.invoice_id is None:
        raise TransformProblem(
            f"Refund {refund.id} pays back deposit {payment.id}, which is not applied to an invoice: a refund gives "
            "back an invoice's revenue and tax, so apply the deposit in Service Opus first"
        )
    invoice = page.invoices.get(payment.invoice_id)
    if invoice is None or invoice.status != "locked":
        state = "missing" if invoice is None else invoice.status
        raise TransformProblem(f"Refund {refund.id} pays back a payment of an invoice that is {state}")


def _behind_payment(refund: SourceRefund, parking: Parking | None, cursor: Cursor | None) -> Candidate:
    """A refund of a payment the ledger does not hold (yet)."""
    payment_id = refund.payment_id
    if parking is not None and parking.cause is ParkingCause.REMOVED:
        raise TransformProblem(f"Refund {refund.id} pays back payment {payment_id}: {parking.reason}")
    if parking is not None:
        reason = f"Waiting for payment {payment_id}, which cannot sync: {parking.reason}"
        return Park(Parking(refund.id, ParkingCause.DEPENDENCY, reason), cursor)
    return Wait(refund.id, cursor)


def _record(
    state: ConnectionState,
    page: RefundPage,
    refund: SourceRefund,
    mapping: LedgerMapping,
    tax_rates: Mapping[int, SourceTaxRate],
    chart: LedgerChart,
) -> RefundRecord:
    """The refund of a payment in the ledger: the invoice it paid rebuilt as synced, its share given back."""
    payment = page.payments[refund.payment_id]
    assert payment.invoice_id is not None  # `_check_payment` refused a deposit not applied
    invoice = page.invoices[payment.invoice_id]
    customers = state.mapped(EntityType.CUSTOMER, [invoice.customer_id] if invoice.customer_id is not None else [])
    items = state.mapped(EntityType.ITEM, {line.product_id for line in invoice.lines})
    if invoice.customer_id is None or invoice.customer_id not in customers:
        raise TransformProblem(f"Refund {refund.id} pays back payment {payment.id}, whose invoice has no customer")
    synced = invoice_record(
        invoice,
        customer_ref=customers[invoice.customer_id].ledger_id,
        item_refs={product_id: item.ledger_id for product_id, item in items.items()},
        tax_rates=tax_rates,
        mapping=mapping,
        ledger_tax_rates=chart.tax_rates,
        ledger_tracking=chart.tracking,
    )
    if not isinstance(synced, InvoiceRecord):
        raise TransformProblem(f"Refund {refund.id} pays back a payment of invoice {invoice.number}, a credit")
    return refund_record(
        refund, synced, payment_number=payment.id, deposit_account_ref=deposit_account(payment, mapping)
    )
