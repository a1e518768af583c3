"""Rule (a): the checkpoint never moves past a record whose outcome is unknown (or that waits)."""

from ledger_sync.core.records import EntityType
from ledger_sync.engine.candidates import Candidate, Push, Wait
from ledger_sync.engine.push import WriteEngine
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import Call, MemoryState, ScriptedLedger, cursor, customer, engine_for

C = EntityType.CUSTOMER


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
