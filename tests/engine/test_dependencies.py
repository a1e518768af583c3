"""Rule (c): a record behind a parked dependency is parked saying so; behind a merely unsynced one it waits."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from ledger_sync.core.ledger import LedgerChart, LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.pages import InvoicePage, PaymentPage
from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.snapshots import (
    SourceCustomer,
    SourceInvoice,
    SourceLine,
    SourcePayment,
    SourceProduct,
    Unreadable,
)
from ledger_sync.core.sync_state import MappedEntity, Parking, ParkingCause
from ledger_sync.engine.candidates import Candidate, Park, Push, Wait, invoice_candidates, payment_candidates
from tests.engine.fakes import T0, MemoryState, ScriptedLedger, engine_for

MAPPING = LedgerMapping(
    accounts={AccountRole.SALES_INCOME: "79", AccountRole.UNDEPOSITED_FUNDS: "4"}, tax_rates={1: "TAX"}
)
TAX_RATES = {1: SourceTaxRate(1, "GST", Decimal("10"), True)}
CHART = LedgerChart({}, {"TAX": LedgerTaxRate("TAX", "GST 10%", Decimal("10"), True, "TR1")})
CUSTOMER = SourceCustomer(7, "Harbour Dental", None, None, None, None, None, None, None)
PRODUCT = SourceProduct(5, 1, "Filter", "Water filter", Decimal("25.00"))


def _invoice(invoice_id: int = 100) -> SourceInvoice:
    line = SourceLine(PRODUCT.id, 1, "Filter", Decimal("2"), Decimal("25.00"), 1, False)
    issued = date(2026, 3, 1)
    return SourceInvoice(
        invoice_id,
        f"INV-{invoice_id}",
        CUSTOMER.id,
        issued,
        issued + timedelta(days=30),
        "AUD",
        "locked",
        T0,
        (line,),
        invoice_id,
    )


def _invoice_page(parked: dict[tuple[EntityType, int], Parking] | None = None) -> InvoicePage:
    return InvoicePage(
        fresh=[_invoice()],
        retries=[],
        customers={CUSTOMER.id: CUSTOMER},
        products={PRODUCT.id: PRODUCT},
        next_after=None,
        parked=parked or {},
    )


def _invoices(state: MemoryState, page: InvoicePage) -> list[Candidate]:
    return invoice_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)


def _synced(state: MemoryState, entity_type: EntityType, source_id: int, ledger_id: str) -> None:
    state.entity_map[entity_type][source_id] = MappedEntity(ledger_id, "0", "hash")


def _the_one_parking(candidates: list[Candidate]) -> Parking:
    [candidate] = candidates
    assert isinstance(candidate, Park), candidate
    return candidate.parking


def test_an_invoice_behind_a_customer_parked_in_an_earlier_run_is_parked_waiting_for_it() -> None:
    state = MemoryState()
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    state.parkings[EntityType.CUSTOMER][CUSTOMER.id] = Parking(CUSTOMER.id, ParkingCause.LEDGER, "name clash")
    parking = _the_one_parking(_invoices(state, _invoice_page()))
    assert parking.cause is ParkingCause.DEPENDENCY
    assert parking.reason == "Waiting for customer 'Harbour Dental', which cannot sync: name clash"


def test_an_invoice_behind_a_customer_parked_by_this_pages_checks_is_parked_waiting_for_it() -> None:
    state = MemoryState()
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    checked = {(EntityType.CUSTOMER, CUSTOMER.id): Parking(CUSTOMER.id, ParkingCause.CHECK, "name has a colon")}
    parking = _the_one_parking(_invoices(state, _invoice_page(checked)))
    assert parking.reason == "Waiting for customer 'Harbour Dental', which cannot sync: name has a colon"


def test_an_invoice_behind_a_parked_item_is_parked_waiting_for_it() -> None:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    state.parkings[EntityType.ITEM][PRODUCT.id] = Parking(PRODUCT.id, ParkingCause.CHECK, "no income account")
    parking = _the_one_parking(_invoices(state, _invoice_page()))
    assert parking.cause is ParkingCause.DEPENDENCY
    assert parking.reason == "Waiting for product 'Filter', which cannot sync: no income account"


def test_an_invoice_behind_a_customer_not_synced_yet_waits_pending() -> None:
    state = MemoryState()
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    assert _invoices(state, _invoice_page()) == [Wait(100, 100)]


def test_an_invoice_behind_an_item_not_synced_yet_waits_pending() -> None:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    assert _invoices(state, _invoice_page()) == [Wait(100, 100)]


def test_an_invoice_whose_dependencies_are_synced_is_pushed_with_their_ledger_ids() -> None:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    [candidate] = _invoices(state, _invoice_page())
    assert isinstance(candidate, Push) and candidate.cursor == 100
    assert isinstance(candidate.record, InvoiceRecord)
    assert candidate.record.customer_ref == "C7"
    assert [line.item_ref for line in candidate.record.lines] == ["I5"]


def _payment_page() -> PaymentPage:
    payment = SourcePayment(900, 100, Decimal("55.00"), "card", "collected", T0, 900)
    return PaymentPage(
        fresh=[payment], retries=[], invoices={100: _invoice()}, paid_before={}, next_after=None, parked={}
    )


def test_a_payment_behind_a_parked_invoice_is_parked_waiting_for_it() -> None:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    state.parkings[EntityType.INVOICE][100] = Parking(100, ParkingCause.CHECK, "Line 1 has no tax rate")
    parking = _the_one_parking(payment_candidates(state, _payment_page(), mapping=MAPPING, tax_rates=TAX_RATES))
    assert parking.cause is ParkingCause.DEPENDENCY
    assert parking.reason == "Waiting for invoice INV-100, which cannot sync: Line 1 has no tax rate"


def test_a_payment_behind_an_invoice_not_synced_yet_waits_and_holds_the_checkpoint() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    candidates = payment_candidates(state, _payment_page(), mapping=MAPPING, tax_rates=TAX_RATES)
    assert candidates == [Wait(900, 900)]
    engine_for(state, ledger).push(EntityType.PAYMENT, candidates)
    assert ledger.calls == [] and state.parkings[EntityType.PAYMENT] == {}
    assert EntityType.PAYMENT not in state.checkpoints


def test_a_payment_on_a_draft_invoice_waits_for_the_lock_with_a_reason_and_lets_the_checkpoint_move() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    page = _payment_page()
    page.invoices[100] = replace(page.invoices[100], status="draft")
    candidates = payment_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES)
    parking = _the_one_parking(candidates)
    assert (parking.cause, parking.reason) == (ParkingCause.WAITING, "Waiting for invoice INV-100 to be locked")
    engine_for(state, ledger).push(EntityType.PAYMENT, candidates)
    assert ledger.calls == [] and state.checkpoints[EntityType.PAYMENT] == 900


def test_unreadable_records_are_parked_naming_the_value_in_checkpoint_order_with_the_rest() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.ITEM, PRODUCT.id, "I5")
    page = _invoice_page()
    page.unreadable = [Unreadable(101, "quantity of line 1 'abc' is not a number", 101)]
    candidates = _invoices(state, page)
    assert [c.source_id for c in candidates] == [100, 101]
    engine_for(state, ledger).push(EntityType.INVOICE, candidates)
    assert state.parkings[EntityType.INVOICE][101].reason == "quantity of line 1 'abc' is not a number"
    assert state.checkpoints[EntityType.INVOICE] == 101
