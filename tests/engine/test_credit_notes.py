"""Credit notes through the write engine: a note waits for the invoice it credits, its credit is applied once
both are in the ledger, an unknown outcome is recovered by lookup, and a re-run writes nothing."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from ledger_sync.core.ledger import LedgerChart, LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.pages import CreditNotePage
from ledger_sync.core.records import CreditApplicationRecord, CreditNoteRecord, EntityType
from ledger_sync.core.snapshots import SourceCreditNote, SourceCustomer, SourceInvoice, SourceLine, SourceProduct
from ledger_sync.core.sync_state import MappedEntity, Parking, ParkingCause
from ledger_sync.engine.candidates import Park, Push, Wait, credit_application_candidates, credit_note_candidates
from ledger_sync.engine.push import WriteEngine
from tests.engine.fakes import T0, Call, MemoryState, ScriptedLedger, engine_for

MAPPING = LedgerMapping(accounts={AccountRole.SALES_INCOME: "79"}, tax_rates={1: "TAX"})
TAX_RATES = {1: SourceTaxRate(1, "GST", Decimal("10"), True)}
CHART = LedgerChart({}, {"TAX": LedgerTaxRate("TAX", "GST 10%", Decimal("10"), True, "TR1")})
CUSTOMER = SourceCustomer(7, "Harbour Dental", None, None, None, None, None, None, None)
PRODUCT = SourceProduct(5, 1, "Filter", "Water filter", Decimal("25.00"))
LINE = SourceLine(PRODUCT.id, 1, "Filter returned", Decimal("1"), Decimal("25.00"), 1, False)


def _invoice(status: str = "locked") -> SourceInvoice:
    issued = date(2026, 3, 1)
    return SourceInvoice(100, "INV-100", CUSTOMER.id, issued, issued + timedelta(days=30), "AUD", status, T0, (LINE,))


def _page(invoice: SourceInvoice | None = None, invoice_id: int | None = 100) -> CreditNotePage:
    note = SourceCreditNote(40, "CN-40", CUSTOMER.id, invoice_id, date(2026, 3, 5), "AUD", "issued", (LINE,), 2001)
    return CreditNotePage(
        fresh=[note],
        retries=[],
        customers={CUSTOMER.id: CUSTOMER},
        products={PRODUCT.id: PRODUCT},
        invoices={100: invoice or _invoice()},
        next_after=2001,
    )


def _synced_dependencies(state: MemoryState, invoice: bool = True) -> None:
    state.entity_map[EntityType.CUSTOMER][CUSTOMER.id] = MappedEntity("C1", "0", "h")
    state.entity_map[EntityType.ITEM][PRODUCT.id] = MappedEntity("I1", "0", "h")
    if invoice:
        state.entity_map[EntityType.INVOICE][100] = MappedEntity("INV1", "0", "h")


def _load(engine: WriteEngine, page: CreditNotePage) -> None:
    """What `tasks.load.load_credit_notes` does."""
    notes = credit_note_candidates(engine.state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    engine.push(EntityType.CREDIT_NOTE, notes)
    engine.push(EntityType.CREDIT_APPLICATION, credit_application_candidates(engine.state, page, notes))


def test_a_credit_note_and_its_application_are_written_once_and_a_rerun_writes_nothing() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced_dependencies(state)
    _load(engine_for(state, ledger), _page())
    note = ledger.calls[0][0].record
    applied = ledger.calls[1][0].record
    assert isinstance(note, CreditNoteRecord) and (note.total, note.total_tax) == (Decimal("27.50"), Decimal("2.50"))
    assert isinstance(applied, CreditApplicationRecord)
    assert (applied.credit_note_ref, applied.invoice_ref, applied.amount) == ("L1", "INV1", Decimal("27.50"))
    assert (note.external_id, applied.external_id) == ("SO-N40", "SO-A40")
    assert state.checkpoints[EntityType.CREDIT_NOTE] == state.checkpoints[EntityType.CREDIT_APPLICATION] == 2001
    calls = len(ledger.calls)
    _load(engine_for(state, ledger), _page())
    assert len(ledger.calls) == calls, "a re-run writes nothing"


def test_an_application_whose_answer_was_lost_is_found_not_applied_twice() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.OK, Call.LOST_ANSWER])
    _synced_dependencies(state)
    _load(engine_for(state, ledger), _page())
    assert EntityType.CREDIT_APPLICATION not in state.checkpoints and state.pending[EntityType.CREDIT_APPLICATION]
    _load(engine_for(state, ledger), _page())
    assert len(ledger.records_for(EntityType.CREDIT_APPLICATION, 40)) == 1
    assert 40 in state.entity_map[EntityType.CREDIT_APPLICATION] and ledger.lookups == 1
    assert state.checkpoints[EntityType.CREDIT_APPLICATION] == 2001


def test_a_credit_note_waits_for_an_unsynced_invoice_and_is_parked_behind_a_parked_one() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced_dependencies(state, invoice=False)
    notes = credit_note_candidates(state, _page(), mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert notes == [Wait(40, 2001)]
    assert credit_application_candidates(state, _page(), notes) == [Wait(40, 2001)]
    state.parkings[EntityType.INVOICE][100] = Parking(100, ParkingCause.CHECK, "Invoice total is -3.00")
    (parked,) = credit_note_candidates(state, _page(), mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(parked, Park) and parked.parking.reason == (
        "Waiting for invoice INV-100, which cannot sync: Invoice total is -3.00"
    )
    (behind,) = credit_application_candidates(state, _page(), [parked])
    assert isinstance(behind, Park) and behind.parking.reason.startswith("Waiting for credit note CN-40")
    assert ledger.calls == []


def test_a_credit_note_for_a_void_invoice_is_parked_saying_so_and_one_without_invoice_needs_no_application() -> None:
    state = MemoryState()
    _synced_dependencies(state)
    (void,) = credit_note_candidates(state, _page(_invoice("void")), mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(void, Park) and "which is void in Service Opus" in void.parking.reason
    loose = _page(invoice_id=None)
    notes = credit_note_candidates(state, loose, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(notes[0], Push) and credit_application_candidates(state, loose, notes) == []


def test_a_credit_note_for_an_invoice_below_zero_is_parked_it_is_a_credit_itself() -> None:
    state = MemoryState()
    _synced_dependencies(state)
    returned = SourceLine(PRODUCT.id, 1, "Filter returned", Decimal("-2"), Decimal("25.00"), 1, False)
    credit = SourceInvoice(
        100, "INV-100", CUSTOMER.id, date(2026, 3, 1), date(2026, 3, 31), "AUD", "locked", T0, (returned,)
    )
    (parked,) = credit_note_candidates(state, _page(credit), mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(parked, Park) and "which totals below zero: it is a credit itself" in parked.parking.reason


def test_a_foreign_customers_credit_note_goes_at_its_rate_and_one_in_another_currency_than_its_invoice_is_parked() -> (
    None
):
    """The note's credit can only pay down an invoice in its own currency (both ledgers refuse otherwise), and a
    foreign customer's note carries the rate Service Opus recorded on it to the ledger and to its application."""
    state = MemoryState()
    _synced_dependencies(state)
    abroad = replace(CUSTOMER, currency="NZD")
    foreign_invoice = replace(_invoice(), currency="NZD", exchange_rate=Decimal("0.92"))
    page = _page(foreign_invoice)
    note = replace(page.credit_notes[0], currency="NZD", exchange_rate=Decimal("0.93"))
    page = replace(page, fresh=[note], customers={CUSTOMER.id: abroad})
    notes = credit_note_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    (pushed,) = notes
    assert isinstance(pushed, Push) and isinstance(pushed.record, CreditNoteRecord)
    assert (pushed.record.currency, pushed.record.exchange_rate) == ("NZD", Decimal("0.93"))
    state.entity_map[EntityType.CREDIT_NOTE][40] = MappedEntity("N1", "0", "h")
    (applied,) = credit_application_candidates(state, page, notes)
    assert isinstance(applied, Push) and isinstance(applied.record, CreditApplicationRecord)
    assert (applied.record.currency, applied.record.exchange_rate) == ("NZD", Decimal("0.93"))

    stray = replace(page, invoices={100: _invoice()})
    (parked,) = credit_note_candidates(state, stray, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(parked, Park) and parked.parking.reason == (
        "Credit note CN-40 is in NZD but invoice INV-100, which it credits, is in AUD: a credit applies only to an "
        "invoice in its own currency"
    )
    rateless = replace(page, fresh=[replace(note, exchange_rate=None)])
    (parked,) = credit_note_candidates(state, rateless, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert isinstance(parked, Park) and "has no exchange rate recorded" in parked.parking.reason


def _void_page() -> CreditNotePage:
    note = SourceCreditNote(40, "CN-40", CUSTOMER.id, 100, date(2026, 3, 5), "AUD", "void", (LINE,), 2002)
    page = _page()
    return CreditNotePage(
        fresh=[note],
        retries=[],
        customers=page.customers,
        products=page.products,
        invoices=page.invoices,
        next_after=2002,
    )


def test_a_credit_note_voided_after_it_synced_is_voided_once_and_its_application_is_left_alone() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced_dependencies(state)
    _load(engine_for(state, ledger), _page())
    calls = len(ledger.calls)
    _load(engine_for(state, ledger), _void_page())
    (voided,) = ledger.calls[calls]
    assert isinstance(voided.record, CreditNoteRecord) and voided.record.voided and voided.voids
    assert voided.existing is not None and voided.existing.id == "L1"
    assert len(ledger.calls) == calls + 1, "no application is sent for a void note"
    assert state.checkpoints[EntityType.CREDIT_NOTE] == 2002
    _load(engine_for(state, ledger), _void_page())
    assert len(ledger.calls) == calls + 1, "a re-run writes nothing"


def test_a_credit_note_voided_before_it_synced_is_skipped_and_nothing_is_sent() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced_dependencies(state)
    engine = engine_for(state, ledger)
    _load(engine, _void_page())
    assert ledger.calls == [] and state.checkpoints[EntityType.CREDIT_NOTE] == 2002
