"""Rule (a): the checkpoint never moves past a record whose outcome is unknown (or that waits)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.records import EntityType, PaymentRecord
from ledger_sync.engine.candidates import Candidate, Push, Wait
from ledger_sync.engine.push import Carried, WriteEngine
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import TENANT, Call, MemoryState, ScriptedLedger, cursor, customer, engine_for

C = EntityType.CUSTOMER
P = EntityType.PAYMENT


def _fresh(*ids: int) -> list[Candidate]:
    return [Push(customer(i), cursor(i)) for i in ids]


def test_a_lost_answer_holds_the_checkpoint_before_its_batch_even_when_later_batches_land() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2, script=[Call.OK, Call.LOST_ANSWER, Call.OK])
    engine = engine_for(state, ledger)
    engine.push(C, _fresh(1, 2, 3, 4, 5, 6))
    assert len(ledger.calls) == 3
    assert set(state.entity_map[C]) == {1, 2, 5, 6}
    assert state.checkpoints[C] == cursor(2)
    assert engine.stats.count(Tally.UNKNOWN, C) == 2
    assert engine.stats.pending


def test_a_later_page_that_lands_fully_does_not_carry_the_checkpoint_past_an_earlier_pages_unknown() -> None:
    """One run's pages share the engine's `held` set: page 2 settling fully must not move the checkpoint past
    page 1's lost answer, or no later run would ever read that record again."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2, script=[Call.OK, Call.LOST_ANSWER, Call.OK])
    held: set[EntityType] = set()
    WriteEngine(state=state, ledger=ledger, tenant=TENANT, held=held).push(C, _fresh(1, 2, 3, 4))
    assert state.checkpoints[C] == cursor(2) and held == {C}
    WriteEngine(state=state, ledger=ledger, tenant=TENANT, held=held).push(C, _fresh(5, 6))
    assert set(state.entity_map[C]) == {1, 2, 5, 6}
    assert state.checkpoints[C] == cursor(2), "the checkpoint stays before the record whose outcome is unknown"


def test_an_op_answered_with_neither_ref_nor_error_holds_the_checkpoint() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10, no_answer_for={3})
    engine = engine_for(state, ledger)
    engine.push(C, _fresh(1, 2, 3, 4))
    assert set(state.entity_map[C]) == {1, 2, 4}
    assert state.checkpoints[C] == cursor(2)
    assert engine.stats.count(Tally.UNKNOWN, C) == 1


def test_a_failed_first_call_leaves_no_checkpoint_and_the_next_run_moves_it_to_the_end() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2, script=[Call.UNAVAILABLE])
    engine_for(state, ledger).push(C, _fresh(1, 2, 3))
    assert C not in state.checkpoints
    assert set(state.entity_map[C]) == {3}
    engine_for(state, ledger).push(C, _fresh(1, 2, 3))
    assert state.checkpoints[C] == cursor(3)
    assert all(len(ledger.records_for(C, i)) == 1 for i in (1, 2, 3))


def test_a_waiting_record_holds_the_checkpoint_and_is_neither_written_nor_parked() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=10)
    candidates: list[Candidate] = [Push(customer(1), cursor(1)), Wait(2, cursor(2)), Push(customer(3), cursor(3))]
    engine_for(state, ledger).push(C, candidates)
    assert ledger.sent_ids() == [1, 3]
    assert state.parkings[C] == {}
    assert state.checkpoints[C] == cursor(1)


def test_a_ranged_run_never_moves_the_checkpoint() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    engine = WriteEngine(state, ledger, engine_for(state, ledger).tenant, moves_checkpoints=False)
    engine.push(C, _fresh(1, 2))
    assert set(state.entity_map[C]) == {1, 2}
    assert state.checkpoints == {}


def test_a_dry_run_writes_nothing_and_counts_what_it_would_write() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    engine = WriteEngine(state, ledger, engine_for(state, ledger).tenant, dry_run=True)
    engine.push(C, _fresh(1, 2))
    assert ledger.calls == [] and state.entity_map[C] == {} and state.checkpoints == {}
    assert engine.stats.count(Tally.WOULD_WRITE, C) == 2


def test_a_partly_full_last_batch_is_filled_by_the_next_page_and_the_checkpoint_never_passes_it_unwritten() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    held: set[EntityType] = set()
    carried: dict[EntityType, Carried] = {}

    def engine() -> WriteEngine:
        return WriteEngine(state=state, ledger=ledger, tenant=TENANT, held=held, carried=carried)

    engine().push(C, _fresh(1, 2, 3), fill=True)
    assert ledger.sent_ids() == [1, 2] and state.checkpoints[C] == cursor(2), "3 is held back, unwritten"
    engine().push(C, _fresh(4, 5, 6), fill=True)
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[1, 2], [3, 4], [5, 6]]
    assert state.checkpoints[C] == cursor(6)
    engine().push(C, _fresh(7), fill=True)
    assert ledger.sent_ids() == [1, 2, 3, 4, 5, 6] and state.checkpoints[C] == cursor(6), "7 is held back"
    assert held == set(), "a held-back batch is not an unknown outcome"
    engine().flush(C)
    assert ledger.sent_ids()[-1] == 7 and state.checkpoints[C] == cursor(7) and not carried
    engine().flush(C)
    assert len(ledger.calls) == 4, "nothing left to flush"


def test_records_something_of_the_page_needs_go_first_and_are_never_held_back() -> None:
    """A tipped payment's tip goes right after it (`needed`): it is written in this push, the others fill the batch and
    the last, partly full one waits for the next page; the checkpoint stays behind the first held back."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    carried: dict[EntityType, Carried] = {}
    engine = WriteEngine(state=state, ledger=ledger, tenant=TENANT, carried=carried)
    engine.push(C, _fresh(1, 2, 3), fill=True, needed=frozenset({3}))
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[3, 1]]
    assert state.checkpoints[C] == cursor(1), "2 is held back, unwritten"
    engine.push(C, _fresh(4, 5), fill=True)
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[3, 1], [2, 4]]
    assert state.checkpoints[C] == cursor(4), "5 is held back"
    engine.flush(C)
    assert ledger.sent_ids()[-1] == 5 and state.checkpoints[C] == cursor(5) and not carried


def test_a_held_back_record_the_next_push_plans_again_is_written_once_as_planned_then() -> None:
    """An invoice page brings the next page's customers to fill its batch (`tasks.load.load_customers`): those held
    back are planned again by the next page's push, and go once, in their newer version."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    carried: dict[EntityType, Carried] = {}
    engine = WriteEngine(state=state, ledger=ledger, tenant=TENANT, carried=carried)
    engine.push(C, [Push(customer(i)) for i in (1, 2, 3)], fill=True, needed=frozenset({1}))
    assert ledger.sent_ids() == [1, 2], "3 is held back"
    renamed = customer(3, "Customer 3 (renamed)")
    engine.push(C, [Push(renamed), Push(customer(4))], fill=True, needed=frozenset({3, 4}))
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[1, 2], [3, 4]]
    assert ledger.calls[1][0].record == renamed and not carried
    assert all(len(ledger.records_for(C, i)) == 1 for i in (1, 2, 3, 4))


def _paid(source_id: int, overpaid: bool) -> Push:
    """A payment (of 50.00 on a 40.00 balance: `overpaid`, it leaves credit)."""
    applied = Decimal("40.00") if overpaid else None
    record = PaymentRecord(source_id, f"INV-{source_id}", "C-1", Decimal("50.00"), date(2026, 3, 9), "card", "A-090")
    return Push(replace(record, applied=applied), cursor(source_id))


def test_payments_that_leave_credit_are_batched_together_after_the_others_and_the_checkpoint_reaches_the_end() -> None:
    """Xero writes a payment that leaves credit as a receipt and an allocation: batched apart, as few batches hold
    them as can, whatever the order they come in."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    engine_for(state, ledger).push(P, [_paid(1, False), _paid(2, True), _paid(3, False), _paid(4, True)])
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[1, 3], [2, 4]]
    assert state.checkpoints[P] == cursor(4)


def test_each_kind_written_apart_fills_its_batches_across_pages_on_its_own() -> None:
    """A page's last, partly full batch of payments and of payments that leave credit both wait for the next page's:
    no call mixes the two (to Xero each kind in a batch is a call), and the checkpoint stays behind the first held
    back; the last page (or a flush) writes what is left together."""
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    carried: dict[EntityType, Carried] = {}

    def engine() -> WriteEngine:
        return WriteEngine(state=state, ledger=ledger, tenant=TENANT, carried=carried)

    engine().push(P, [_paid(1, False), _paid(2, True), _paid(3, False)], fill=True)
    assert ledger.sent_ids() == [1, 3] and state.checkpoints[P] == cursor(1), "2 is held back"
    engine().push(P, [_paid(4, True), _paid(5, False), _paid(6, True)], fill=True)
    assert [[op.record.source_id for op in call] for call in ledger.calls] == [[1, 3], [2, 4]]
    assert state.checkpoints[P] == cursor(4), "5 and 6 are held back"
    engine().push(P, [_paid(7, False)])
    assert [[op.record.source_id for op in call] for call in ledger.calls][2:] == [[5, 7], [6]]
    assert state.checkpoints[P] == cursor(7) and not carried
