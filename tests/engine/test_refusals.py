"""Rule (d): a refused record is parked, not resent unchanged within 24 h, resent at once when changed."""

from datetime import timedelta

import pytest

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.push import LEDGER_RETRY
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import T0, Call, Clock, MemoryState, ScriptedLedger, cursor, customer, engine_for

C = EntityType.CUSTOMER


@pytest.fixture(params=[ErrorKind.VALIDATION, ErrorKind.LOCKED])
def refused(request: pytest.FixtureRequest) -> tuple[MemoryState, ScriptedLedger, Clock]:
    """Customer 1 refused once by the ledger, at T0. (A customer's name the ledger says is taken, DUPLICATE, waits
    for the admin's review instead: `test_existing_books.py`.)"""
    state, ledger, clock = MemoryState(), ScriptedLedger(refuse={1: request.param}), Clock()
    engine = engine_for(state, ledger, clock)
    engine.push(C, [Push(customer(1), cursor(1)), Push(customer(2), cursor(2))])
    assert engine.stats.count(Tally.PARKED, C) == 1 and engine.stats.count(Tally.CREATED, C) == 1
    return state, ledger, clock


def test_a_refusal_is_parked_with_its_fingerprint_and_retry_time_and_lets_the_checkpoint_pass(
    refused: tuple[MemoryState, ScriptedLedger, Clock],
) -> None:
    state, ledger, _ = refused
    parking = state.parkings[C][1]
    assert parking.cause is ParkingCause.LEDGER
    assert parking.reason == "QuickBooks Online refused this customer: Name is invalid"
    assert parking.fingerprint == customer(1).content_hash
    assert parking.retry_after == T0 + LEDGER_RETRY
    assert state.checkpoints[C] == cursor(2)
    assert ledger.records_for(C, 1) == []


def test_unchanged_it_is_not_resent_before_the_retry_window(refused: tuple[MemoryState, ScriptedLedger, Clock]) -> None:
    state, ledger, clock = refused
    sent = len(ledger.sent_ids())
    clock.advance(LEDGER_RETRY - timedelta(seconds=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    assert len(ledger.sent_ids()) == sent
    assert 1 in state.parkings[C]


def test_changed_it_is_resent_at_once(refused: tuple[MemoryState, ScriptedLedger, Clock]) -> None:
    state, ledger, clock = refused
    ledger.refuse.clear()
    clock.advance(timedelta(minutes=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1, "Fixed Name"), cursor(1))])
    assert ledger.sent_ids()[-1] == 1
    assert 1 in state.entity_map[C] and 1 not in state.parkings[C]


def test_unchanged_it_is_resent_once_the_window_has_passed(refused: tuple[MemoryState, ScriptedLedger, Clock]) -> None:
    state, ledger, clock = refused
    sent = len(ledger.sent_ids())
    clock.advance(LEDGER_RETRY + timedelta(seconds=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    assert ledger.sent_ids()[sent:] == [1]
    assert state.parkings[C][1].retry_after == clock.now + LEDGER_RETRY  # refused again: a new window


def test_resent_once_fixed_in_the_ledger_it_carries_a_fresh_key_per_refusal(
    refused: tuple[MemoryState, ScriptedLedger, Clock],
) -> None:
    """The cause was fixed in the ledger (content unchanged): the first key would only replay the refusal."""
    state, ledger, clock = refused
    first_key = ledger.calls[0][0].idempotency_key
    clock.advance(LEDGER_RETRY + timedelta(seconds=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])  # still refused: a second window
    second_key = ledger.calls[-1][0].idempotency_key
    ledger.refuse.clear()
    clock.advance(LEDGER_RETRY + timedelta(seconds=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    third_key = ledger.calls[-1][0].idempotency_key
    assert len({first_key, second_key, third_key}) == 3
    assert 1 in state.entity_map[C] and 1 not in state.parkings[C]
    assert len(ledger.records_for(C, 1)) == 1


def test_a_deliberate_resend_whose_outcome_is_lost_is_recovered_under_its_own_key(
    refused: tuple[MemoryState, ScriptedLedger, Clock],
) -> None:
    state, ledger, clock = refused
    ledger.refuse.clear()
    ledger.script = [Call.UNAVAILABLE]
    clock.advance(LEDGER_RETRY + timedelta(seconds=1))
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    resent_key = ledger.calls[-1][0].idempotency_key
    assert state.pending[C][1].idempotency_key == resent_key
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    assert ledger.calls[-1][0].idempotency_key == resent_key
    assert 1 in state.entity_map[C] and len(ledger.records_for(C, 1)) == 1
