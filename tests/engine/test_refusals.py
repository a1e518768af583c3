"""Rule (d): a refused record is parked, not resent unchanged within 24 h, resent at once when changed."""

from datetime import timedelta

import pytest

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.push import LEDGER_RETRY
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import T0, Clock, MemoryState, ScriptedLedger, cursor, customer, engine_for

C = EntityType.CUSTOMER


@pytest.fixture(params=[ErrorKind.VALIDATION, ErrorKind.DUPLICATE])
def refused(request: pytest.FixtureRequest) -> tuple[MemoryState, ScriptedLedger, Clock]:
    """Customer 1 refused once by the ledger, at T0."""
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
