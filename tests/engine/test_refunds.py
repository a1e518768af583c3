"""Refunds: spread over the paid invoice's tax codes to the cent, pushed once the payment they pay back is in the
ledger, waiting or parked behind it otherwise, parked when that payment was reversed; a re-run writes nothing."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ledger_sync.core.ledger import LedgerChart, LedgerTaxRate
from ledger_sync.core.pages import RefundPage
from ledger_sync.core.records import EntityType, InvoiceLineRecord, InvoiceRecord, RefundRecord, TaxLineRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourcePayment, SourceRefund
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.transform import TransformProblem
from ledger_sync.engine.candidates import Park, Push, Wait
from ledger_sync.engine.refund_candidates import refund_candidates
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import T0, MemoryState, ScriptedLedger, engine_for
from tests.engine.test_dependencies import CHART, CUSTOMER, MAPPING, PRODUCT, TAX_RATES, _invoice, _synced

REF = EntityType.REFUND
PAID = SourcePayment(900, 100, Decimal("55.00"), "card", "collected", T0, 900, reference="4242")
ON = date(2026, 3, 20)


def _two_rate_invoice() -> InvoiceRecord:
    """Net 100.00 at 5 % (tax 5.00) and 33.33 at 13 % (tax 4.33): 142.66."""
    lines = (
        InvoiceLineRecord("I5", "Work", Decimal(1), Decimal("100.00"), Decimal("100.00"), "GST", Decimal("5.00")),
        InvoiceLineRecord("I6", "Parts", Decimal(1), Decimal("33.33"), Decimal("33.33"), "HST", Decimal("4.33")),
    )
    taxes = (
        TaxLineRecord("GST", "R-GST", Decimal(5), Decimal("100.00"), Decimal("5.00")),
        TaxLineRecord("HST", "R-HST", Decimal(13), Decimal("33.33"), Decimal("4.33")),
    )
    return InvoiceRecord(
        100, "INV-100", "C7", ON, ON, "CAD", lines, taxes, Decimal("133.33"), Decimal("9.33"), Decimal("142.66")
    )


def _refund(amount: str, refund_id: int = 70, change_no: int = 990) -> SourceRefund:
    return SourceRefund(refund_id, PAID.id, Decimal(amount), ON, "Part returned unused", change_no)


def test_a_full_refund_gives_back_exactly_the_invoices_net_and_tax_per_code() -> None:
    invoice = _two_rate_invoice()
    record = refund_record(_refund("142.66"), invoice, payment_number=900, deposit_account_ref="A-CLEAR")
    assert [(line.tax_code_ref, line.amount, line.tax_amount) for line in record.lines] == [
        ("GST", Decimal("100.00"), Decimal("5.00")),
        ("HST", Decimal("33.33"), Decimal("4.33")),
    ]
    assert (record.subtotal, record.total_tax, record.total) == (invoice.subtotal, invoice.total_tax, invoice.total)
    assert record.external_id == "SO-R70" and record.deposit_account_ref == "A-CLEAR"
    assert record.lines[0].description == "Refund of payment 900 on invoice INV-100: Part returned unused"


@pytest.mark.parametrize("amount", ["0.01", "0.03", "40.00", "99.99", "142.65"])
def test_a_partial_refund_is_spread_in_proportion_and_totals_the_refund_to_the_cent(amount: str) -> None:
    record = refund_record(_refund(amount), _two_rate_invoice(), payment_number=900, deposit_account_ref="A-CLEAR")
    assert record.total == Decimal(amount) == record.subtotal + record.total_tax
    assert sum(line.amount + line.tax_amount for line in record.lines) == Decimal(amount)
    assert [(t.tax_code_ref, t.net_taxable, t.amount) for t in record.tax_lines] == [
        (line.tax_code_ref, line.amount, line.tax_amount) for line in record.lines
    ]
    assert all(line.amount >= 0 and line.tax_amount >= 0 for line in record.lines)


def test_a_refund_of_40_takes_back_revenue_and_tax_of_each_rate_in_proportion() -> None:
    record = refund_record(_refund("40.00"), _two_rate_invoice(), payment_number=900, deposit_account_ref="A-CLEAR")
    # 40 / 142.66 of each: 28.04 + 1.40 at 5 %, 9.35 + 1.21 at 13 % = 40.00
    assert [(line.amount, line.tax_amount) for line in record.lines] == [
        (Decimal("28.04"), Decimal("1.40")),
        (Decimal("9.35"), Decimal("1.21")),
    ]


@pytest.mark.parametrize("amount", ["0", "-5.00", "10.005", "142.67"])
def test_a_refund_the_ledger_cannot_take_is_refused_with_a_reason(amount: str) -> None:
    with pytest.raises(TransformProblem, match="Refund"):
        refund_record(_refund(amount), _two_rate_invoice(), payment_number=900, deposit_account_ref="A")


def _page(*refunds: SourceRefund, payment: SourcePayment = PAID) -> RefundPage:
    return RefundPage(
        fresh=list(refunds), retries=[], payments={payment.id: payment}, invoices={100: _invoice()}, next_after=None
    )


def _candidates(state: MemoryState, page: RefundPage) -> list:
    chart = LedgerChart({}, CHART.tax_rates | {"TAX": LedgerTaxRate("TAX", "GST 10%", Decimal("10"), True, "TR1")})
    return refund_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=chart)


def _synced_payment() -> MemoryState:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    _synced(state, EntityType.INVOICE, 100, "INV-L100")
    _synced(state, EntityType.PAYMENT, PAID.id, "P900")
    return state


def test_a_refund_of_a_synced_payment_is_written_once_and_a_rerun_writes_nothing() -> None:
    state, ledger = _synced_payment(), ScriptedLedger(max_batch_size=10)
    [candidate] = _candidates(state, _page(_refund("22.00")))
    assert isinstance(candidate, Push) and isinstance(candidate.record, RefundRecord)
    assert candidate.record.total == Decimal("22.00") and candidate.record.deposit_account_ref == "4"
    engine_for(state, ledger).push(REF, [candidate])
    assert len(ledger.records_for(REF, 70)) == 1 and state.checkpoints[REF] == 990
    again = engine_for(state, ledger)
    again.push(REF, _candidates(state, _page(_refund("22.00"))))
    assert len(ledger.calls) == 1 and again.stats.count(Tally.UNCHANGED, REF) == 1


def test_a_refund_waits_for_its_payment_and_is_parked_behind_a_parked_one() -> None:
    state = MemoryState()
    assert _candidates(state, _page(_refund("22.00"))) == [Wait(70, 990)]
    state.parkings[EntityType.PAYMENT][PAID.id] = Parking(PAID.id, ParkingCause.CHECK, "Payment carries a tip")
    [parked] = _candidates(state, _page(_refund("22.00")))
    assert isinstance(parked, Park) and parked.parking.cause is ParkingCause.DEPENDENCY
    assert parked.parking.reason == "Waiting for payment 900, which cannot sync: Payment carries a tip"


def test_a_refund_of_a_charged_back_payment_is_parked_saying_why() -> None:
    charged_back = replace(PAID, status="charged_back", reversed_at=T0 + timedelta(days=3))
    [parked] = _candidates(_synced_payment(), _page(_refund("22.00"), payment=charged_back))
    assert isinstance(parked, Park) and parked.parking.cause is ParkingCause.CHECK
    assert "charged back since" in parked.parking.reason and "cancel the refund" in parked.parking.reason
