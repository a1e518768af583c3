"""Voids: a synced invoice voided in Service Opus goes as an update of its voided version; one the ledger never
held is skipped without a call, even when its create's outcome was unknown and the look-up finds nothing."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.records import EntityType, InvoiceCreditRecord, InvoiceRecord
from ledger_sync.core.sync_state import Intent, Parking, ParkingCause
from ledger_sync.engine.candidates import Push, Skip, sent_to_ledger
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import Call, MemoryState, ScriptedLedger, cursor, engine_for

INV = EntityType.INVOICE


def invoice(source_id: int) -> InvoiceRecord:
    return InvoiceRecord(
        source_id, f"INV-{source_id}", "C1", date(2026, 3, 2), date(2026, 4, 1), "CAD", (), (),
        Decimal("100.00"), Decimal("5.00"), Decimal("105.00"),
    )  # fmt: skip


def test_a_voided_invoice_keeps_the_hash_it_was_synced_with_until_it_is_voided() -> None:
    record = invoice(1)
    assert replace(record, voided=False).content_hash == record.content_hash
    assert replace(record, voided=True).content_hash != record.content_hash


def test_a_synced_invoice_voided_since_is_sent_once_as_an_update_of_its_ledger_record() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(INV, [Push(invoice(1), cursor(1))])
    ledger_id = state.entity_map[INV][1].ledger_id
    voided = replace(invoice(1), voided=True)
    engine = engine_for(state, ledger)
    engine.push(INV, [Push(voided, cursor(2))])
    (op,) = ledger.calls[-1]
    assert op.existing is not None and op.existing.id == ledger_id and op.voids
    assert state.entity_map[INV][1].content_hash == voided.content_hash and state.checkpoints[INV] == cursor(2)
    assert engine.stats.count(Tally.UPDATED, INV) == 1
    engine_for(state, ledger).push(INV, [Push(voided, cursor(2))])
    assert len(ledger.calls) == 2, "a void already recorded is not sent again"


def test_a_void_whose_answer_was_lost_is_sent_again_as_the_same_op_and_holds_the_checkpoint() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(INV, [Push(invoice(1), cursor(1))])
    synced_hash = state.entity_map[INV][1].content_hash
    ledger.script = [Call.LOST_ANSWER]
    voided = replace(invoice(1), voided=True)
    engine_for(state, ledger).push(INV, [Push(voided, cursor(2))])
    assert state.entity_map[INV][1].content_hash == synced_hash and state.checkpoints[INV] == cursor(1)
    engine_for(state, ledger).push(INV, [Push(voided, cursor(2))])
    assert ledger.calls[-1][0].idempotency_key == ledger.calls[-2][0].idempotency_key
    assert state.entity_map[INV][1].content_hash == voided.content_hash and state.checkpoints[INV] == cursor(2)


def test_a_void_never_sent_is_skipped_releasing_its_parking_and_moving_the_checkpoint() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    state.parkings[INV][1] = Parking(1, ParkingCause.CHECK, "Tax rate 'PST' has no active mapping in the ledger")
    assert sent_to_ledger(state, [1]) == set()
    engine = engine_for(state, ledger)
    engine.push(INV, [Skip(1, cursor(1))])
    assert ledger.calls == [] and state.parkings[INV] == {} and state.checkpoints[INV] == cursor(1)
    assert engine.stats.count(Tally.SKIPPED, INV) == 1


def test_a_void_of_a_create_with_an_unknown_outcome_is_looked_up_and_sent_nothing_when_absent() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    state.pending[INV][1] = Intent(1, invoice(1).content_hash, "key-of-the-lost-create")
    assert sent_to_ledger(state, [1]) == {1}
    engine = engine_for(state, ledger)
    engine.push(INV, [Push(replace(invoice(1), voided=True), cursor(1))])
    assert ledger.lookups == 1 and ledger.calls == []
    assert state.pending[INV] == {} and state.entity_map[INV] == {} and state.checkpoints[INV] == cursor(1)
    assert engine.stats.count(Tally.SKIPPED, INV) == 1


def test_a_void_of_a_create_that_did_land_voids_what_the_ledger_holds() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10, script=[Call.LOST_ANSWER])
    engine_for(state, ledger).push(INV, [Push(invoice(1), cursor(1))])
    assert 1 in state.pending[INV] and INV not in state.checkpoints
    engine_for(state, ledger).push(INV, [Push(replace(invoice(1), voided=True), cursor(2))])
    (op,) = ledger.calls[-1]
    assert op.existing is not None and op.voids and len(ledger.records_for(INV, 1)) == 1
    assert state.checkpoints[INV] == cursor(2) and state.pending[INV] == {}


def test_voids_of_synced_invoices_are_sent_beside_the_look_up_of_an_unknown_create() -> None:
    """Only the record looked up and not found is settled without a write; the other voids still go."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(INV, [Push(invoice(1), cursor(1)), Push(invoice(2), cursor(2))])
    state.pending[INV][3] = Intent(3, invoice(3).content_hash, "key-of-the-lost-create")
    voids = [Push(replace(invoice(i), voided=True), cursor(10 + i)) for i in (1, 2, 3)]
    engine = engine_for(state, ledger)
    engine.push(INV, voids)
    assert ledger.lookups == 1 and [op.record.source_id for op in ledger.calls[-1]] == [1, 2]
    assert all(op.voids for op in ledger.calls[-1])
    assert engine.stats.count(Tally.UPDATED, INV) == 2 and engine.stats.count(Tally.SKIPPED, INV) == 1
    assert state.checkpoints[INV] == cursor(13) and state.pending[INV] == {}


def test_an_invoice_below_zero_synced_as_a_credit_note_and_voided_since_voids_that_credit_note_once() -> None:
    """Its hash is the one it synced with until it is voided; then one update of its ledger credit note that
    voids it (`WriteOp.voids`), and a re-run sends nothing."""
    credit = InvoiceCreditRecord(
        3, "INV-3", "C1", date(2026, 3, 2), "CAD", (), (), Decimal("10.00"), Decimal("0.50"), Decimal("10.50")
    )
    assert replace(credit, voided=False).content_hash == credit.content_hash
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(INV, [Push(credit, cursor(3))])
    voided = replace(credit, voided=True)
    engine_for(state, ledger).push(INV, [Push(voided, cursor(4))])
    (op,) = ledger.calls[-1]
    assert op.voids and op.existing is not None and op.existing.id == state.entity_map[INV][3].ledger_id
    engine_for(state, ledger).push(INV, [Push(voided, cursor(4))])
    assert len(ledger.calls) == 2 and state.checkpoints[INV] == cursor(4)
