"""Rule (b): after an unknown outcome the create is resolved by lookup before anything is resent."""

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Candidate, Park, Push
from ledger_sync.engine.push import idempotency_key
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import TENANT, Call, MemoryState, ScriptedLedger, WorkerDied, cursor, customer, engine_for

C = EntityType.CUSTOMER


def _push(state: MemoryState, ledger: ScriptedLedger, *records: Candidate) -> None:
    engine_for(state, ledger).push(C, list(records))


def test_found_as_sent_is_recorded_without_another_write() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.LOST_ANSWER])
    _push(state, ledger, Push(customer(1), cursor(1)))
    assert state.entity_map[C] == {} and set(state.pending[C]) == {1}
    calls_before = len(ledger.calls)
    engine = engine_for(state, ledger)
    engine.push(C, [Push(customer(1), cursor(1))])
    assert len(ledger.calls) == calls_before  # nothing resent
    assert ledger.lookups == 1
    assert state.entity_map[C][1].ledger_id == ledger.records_for(C, 1)[0].ledger_id
    assert state.pending[C] == {} and state.checkpoints[C] == cursor(1)
    assert engine.stats.count(Tally.RECOVERED, C) == 1


def test_found_in_an_older_version_is_updated_not_created_again() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.LOST_ANSWER])
    _push(state, ledger, Push(customer(1, "Old Name")))
    renamed = customer(1, "New Name")
    _push(state, ledger, Push(renamed))
    [entry] = ledger.records_for(C, 1)
    assert entry.content_hash == renamed.content_hash and entry.version == 1
    last = ledger.calls[-1]
    assert len(last) == 1 and last[0].existing is not None and last[0].existing.id == entry.ledger_id
    assert state.entity_map[C][1].content_hash == renamed.content_hash


def test_a_record_parked_by_a_check_after_an_unknown_outcome_is_still_looked_up_when_it_comes_back() -> None:
    """Sent, answer lost; then a check parks it before anything is sent again (the data changed); then it is fixed
    and comes back changed, with another key. The earlier send is still in doubt, so it is looked up, found and
    updated: the ledger holds one copy."""
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.LOST_ANSWER])
    _push(state, ledger, Push(customer(1, "Old Name"), cursor(1)))
    _push(state, ledger, Park(Parking(1, ParkingCause.CHECK, "Customer has no name"), cursor(1)))
    assert set(state.parkings[C]) == {1} and set(state.pending[C]) == {1}, "parked, still in doubt"
    fixed = customer(1, "New Name")
    _push(state, ledger, Push(fixed, cursor(1)))
    [entry] = ledger.records_for(C, 1)
    assert entry.content_hash == fixed.content_hash
    assert state.entity_map[C][1].ledger_id == entry.ledger_id and state.parkings[C] == {} and state.pending[C] == {}


def test_a_create_the_ledger_refuses_settles_its_intent() -> None:
    state, ledger = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.VALIDATION})
    _push(state, ledger, Push(customer(1), cursor(1)))
    assert set(state.parkings[C]) == {1} and state.pending[C] == {}


def test_not_found_is_created_with_the_same_idempotency_key() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.UNAVAILABLE])
    record = customer(1)
    _push(state, ledger, Push(record))
    [first] = ledger.calls[0]
    assert state.pending[C][1].idempotency_key == first.idempotency_key
    _push(state, ledger, Push(record))
    assert ledger.lookups == 1
    [second] = ledger.calls[1]
    assert second.existing is None
    assert second.idempotency_key == first.idempotency_key == idempotency_key(TENANT, record)
    assert len(ledger.records_for(C, 1)) == 1 and 1 in state.entity_map[C]


def test_a_failed_lookup_leaves_the_record_pending_and_resends_nothing() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.LOST_ANSWER])
    _push(state, ledger, Push(customer(1), cursor(1)), Push(customer(2), cursor(2)))
    calls_before = len(ledger.calls)
    ledger.lookup_fails = True
    engine = engine_for(state, ledger)
    engine.push(C, [Push(customer(1), cursor(1)), Push(customer(2), cursor(2))])
    assert len(ledger.calls) == calls_before
    assert state.entity_map[C] == {} and C not in state.checkpoints
    assert engine.stats.count(Tally.UNKNOWN, C) == 2


def test_an_auth_failure_is_not_taken_for_an_unknown_outcome() -> None:
    state, ledger = MemoryState(), ScriptedLedger()

    def refused(*_: object) -> None:
        raise LedgerError(ErrorKind.AUTH, "token revoked")

    ledger.write = refused  # type: ignore[assignment,method-assign]
    with pytest.raises(LedgerError, match="token revoked"):
        _push(state, ledger, Push(customer(1)))


def test_a_crash_between_the_ledger_commit_and_ours_writes_nothing_twice() -> None:
    state, ledger = MemoryState(), ScriptedLedger(max_batch_size=2)
    candidates: list[Candidate] = [Push(customer(i), cursor(i)) for i in (1, 2, 3)]
    state.die_on_next_synced_commit = True
    with pytest.raises(WorkerDied):
        engine_for(state, ledger).push(C, candidates)
    assert state.entity_map[C] == {} and set(state.pending[C]) == {1, 2}
    engine = engine_for(state, ledger)
    engine.push(C, candidates)
    assert [op.record.source_id for op in ledger.calls[-1]] == [3]  # 1 and 2 found, only 3 written
    assert all(len(ledger.records_for(C, i)) == 1 for i in (1, 2, 3))
    assert engine.stats.count(Tally.RECOVERED, C) == 2
    assert state.checkpoints[C] == cursor(3)


def test_only_a_create_no_earlier_attempt_sent_is_handed_over_fresh() -> None:
    """A connector looks up what an earlier attempt made before writing a record's steps only when one was sent
    (`WriteOp.fresh` False): the state store holds its intent."""
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.UNAVAILABLE])
    _push(state, ledger, Push(customer(1)))
    _push(state, ledger, Push(customer(1)), Push(customer(2)))
    [first], [again, new] = ledger.calls
    assert first.fresh and not again.fresh and new.fresh
    assert (again.record.source_id, new.record.source_id) == (1, 2)


def test_a_create_refused_is_never_handed_over_fresh_again_even_once_released() -> None:
    """A refusal may come after some of a record's steps were made (a Xero payout's fees spent, its transfer
    refused): parked, then released when it no longer needs a sync, it may need one again later, and that attempt
    must still look up what the first made."""
    state, ledger = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.VALIDATION})
    _push(state, ledger, Push(customer(1)))
    assert 1 in state.parkings[C] and state.pending[C] == {}
    _push(state, ledger, Push(customer(1, "Fixed Name")))
    engine_for(state, ledger).release(C, [1])
    assert state.parkings[C] == {}
    ledger.refuse.clear()
    _push(state, ledger, Push(customer(1, "Needed Again")))
    [first], [parked_again], [released_again] = ledger.calls
    assert first.fresh and not parked_again.fresh and not released_again.fresh
    assert state.entity_map[C][1].ledger_id == ledger.records_for(C, 1)[0].ledger_id
