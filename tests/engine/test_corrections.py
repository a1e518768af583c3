"""Corrections: a record already in the ledger that changed is updated in place, exactly once; one the ledger
will not edit and that cannot be reissued is parked with the rule; customer edits sync on their own."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.pages import CustomerPage
from ledger_sync.core.records import EntityType, InvoiceLineRecord, InvoiceRecord, TaxLineRecord
from ledger_sync.core.snapshots import SourceCustomer, Unreadable
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Park, Push, Unneeded, customer_edit_candidates
from ledger_sync.engine.corrections import CORRECTION_REFUSED
from ledger_sync.engine.push import LEDGER_RETRY
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import T0, Call, MemoryState, ScriptedLedger, cursor, customer, engine_for

C, INV = EntityType.CUSTOMER, EntityType.INVOICE


def invoice(source_id: int, price: str) -> InvoiceRecord:
    net = Decimal(price)
    tax = (net * Decimal("0.05")).quantize(Decimal("0.01"))
    line = InvoiceLineRecord("L1", "Work", Decimal(1), net, net, "T-GST", tax)
    return InvoiceRecord(
        source_id, f"INV-{source_id}", "C1", date(2026, 3, 2), date(2026, 4, 1), "CAD", (line,),
        (TaxLineRecord("T-GST", "R-GST", Decimal(5), net, tax),), net, tax, net + tax,
    )  # fmt: skip


def test_an_edited_record_is_updated_in_place_and_a_rerun_writes_nothing() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    engine_for(state, ledger).push(INV, [Push(invoice(1, "100.00"), cursor(1))])
    (created,) = ledger.records_for(INV, 1)
    relocked = invoice(1, "120.00")
    engine = engine_for(state, ledger)
    engine.push(INV, [Push(relocked, cursor(1) + 10)])
    assert engine.stats.count(Tally.UPDATED, INV) == 1 and engine.stats.count(Tally.CREATED, INV) == 0
    assert ledger.records_for(INV, 1) == [created] and created.content_hash == relocked.content_hash
    assert ledger.calls[-1][0].existing is not None and ledger.calls[-1][0].existing.id == created.ledger_id
    assert state.entity_map[INV][1].content_hash == relocked.content_hash and state.checkpoints[INV] == cursor(1) + 10
    calls = len(ledger.calls)
    engine_for(state, ledger).push(INV, [Push(relocked, cursor(1) + 10)])
    assert len(ledger.calls) == calls


def test_an_update_whose_answer_was_lost_is_resent_to_the_same_record_next_run() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    engine_for(state, ledger).push(INV, [Push(invoice(1, "100.00"), cursor(1))])
    ledger.script = [Call.LOST_ANSWER]
    relocked = invoice(1, "120.00")
    engine = engine_for(state, ledger)
    engine.push(INV, [Push(relocked, cursor(11))])
    assert engine.stats.count(Tally.UNKNOWN, INV) == 1 and state.checkpoints[INV] == cursor(1)
    engine_for(state, ledger).push(INV, [Push(relocked, cursor(11))])
    (entry,) = ledger.records_for(INV, 1)
    assert entry.content_hash == relocked.content_hash and entry.version == 2  # the resend landed on the same one
    assert state.entity_map[INV][1].content_hash == relocked.content_hash and state.checkpoints[INV] == cursor(11)


def test_an_edit_the_ledger_refuses_that_cannot_be_reissued_is_parked_with_what_changed_why_and_what_to_do() -> None:
    """Synced before the sync kept the invoices it writes: no credit note can reverse it exactly (the reissue
    itself: `test_reissue.py`)."""
    state, ledger = MemoryState(), ScriptedLedger()
    engine_for(state, ledger).push(INV, [Push(invoice(1, "100.00"), cursor(1))])
    state.entity_map[INV][1] = replace(state.entity_map[INV][1], document=None)
    (before,) = ledger.records_for(INV, 1)
    held_hash = before.content_hash
    ledger.refuse = {1: ErrorKind.LOCKED}
    relocked = invoice(1, "120.00")
    engine = engine_for(state, ledger)
    engine.push(INV, [Push(relocked, cursor(11)), Push(invoice(2, "10.00"), cursor(12))])
    parking = state.parkings[INV][1]
    assert parking.cause is ParkingCause.LEDGER and parking.detail and parking.detail.startswith(CORRECTION_REFUSED)
    assert "Invoice INV-1 changed in Service Opus after it was synced (it now totals 126.00)" in parking.reason
    assert "QuickBooks Online refuses to edit it: Name is invalid" in parking.reason
    assert "credit note" in parking.reason and "new invoice" in parking.reason
    assert (parking.fingerprint, parking.retry_after) == (relocked.content_hash, T0 + LEDGER_RETRY)
    assert before.content_hash == held_hash and state.entity_map[INV][1].content_hash == held_hash
    assert state.checkpoints[INV] == cursor(12), "a parked correction does not hold the checkpoint"


def test_a_refused_create_is_not_a_correction() -> None:
    state, ledger = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.LOCKED})
    engine_for(state, ledger).push(INV, [Push(invoice(1, "100.00"), cursor(1))])
    assert state.parkings[INV][1].reason.startswith("QuickBooks Online refused this invoice")


def source_customer(source_id: int, name: str) -> SourceCustomer:
    return SourceCustomer(source_id, name, None, None, None, None, None, None, None, None, cursor(source_id))


def test_customer_edits_push_only_customers_already_in_the_ledger_and_move_the_checkpoint_past_the_rest() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    engine_for(state, ledger).push(C, [Push(customer(1), None)])
    page = CustomerPage(
        fresh=[source_customer(1, "Renamed Ltd"), source_customer(3, "Not Invoiced Yet")],
        next_after=cursor(4),
        unreadable=[Unreadable(2, "bad name", cursor(2)), Unreadable(4, "bad name", cursor(4))],
    )
    state.entity_map[C][2] = state.entity_map[C][1]
    candidates = customer_edit_candidates(state, page)
    assert [type(c).__name__ for c in candidates] == ["Push", "Park", "Unneeded", "Unneeded"]
    assert [c.cursor for c in candidates] == [cursor(1), cursor(2), cursor(3), cursor(4)]
    engine = engine_for(state, ledger)
    engine.push(C, candidates)
    (renamed,) = ledger.records_for(C, 1)
    assert renamed.version == 1 and engine.stats.count(Tally.UPDATED, C) == 1
    assert ledger.records_for(C, 3) == [] and state.checkpoints[C] == cursor(4)
    assert isinstance(candidates[2], Unneeded) and 3 not in state.parkings[C]
    assert state.parkings[C][2].reason == "bad name"


def test_an_edit_of_a_customer_parked_before_it_synced_leaves_its_parking() -> None:
    """Its invoice waits behind that parking and retries it every run (with the edit); the edit pass must not
    forget it."""
    state, ledger = MemoryState(), ScriptedLedger()
    refused = Parking(3, ParkingCause.LEDGER, "QuickBooks Online refused this customer: Duplicate Name Exists")
    engine_for(state, ledger).push(C, [Park(refused)])
    page = CustomerPage(fresh=[source_customer(3, "Harbour Dental (Main St)")], next_after=cursor(3))
    engine = engine_for(state, ledger)
    engine.push(C, customer_edit_candidates(state, page))
    assert state.parkings[C][3] == refused and state.checkpoints[C] == cursor(3)
    assert ledger.records_for(C, 3) == [] and engine.stats.count(Tally.SKIPPED, C) == 0
