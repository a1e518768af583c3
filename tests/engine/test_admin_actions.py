"""The settings page's actions on a parked record, as the engine sees them: Ignore (never written, counted as
skipped, until undone) and Retry now (the refusal's window closed now: resent unchanged, under a fresh key)."""

from dataclasses import replace
from datetime import timedelta

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import EntityType
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import Clock, MemoryState, ScriptedLedger, cursor, customer, engine_for

C = EntityType.CUSTOMER


def test_an_ignored_record_is_not_written_even_changed_and_syncs_once_no_longer_ignored() -> None:
    state, ledger = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.DUPLICATE})
    engine_for(state, ledger).push(C, [Push(customer(1), cursor(1))])
    state.parkings[C][1] = replace(state.parkings[C][1], ignored_note="a test customer, never to be invoiced")
    ledger.refuse.clear()
    sent = len(ledger.sent_ids())

    again = engine_for(state, ledger)
    again.push(C, [Push(customer(1, "Changed Name"), cursor(2))])
    assert len(ledger.sent_ids()) == sent
    assert again.stats.count(Tally.SKIPPED, C) == 1 and again.stats.count(Tally.PARKED, C) == 0
    assert state.parkings[C][1].ignored_note == "a test customer, never to be invoiced"
    assert state.checkpoints[C] == cursor(2)  # an ignored record holds no checkpoint back

    state.parkings[C][1] = replace(state.parkings[C][1], ignored_note=None)  # Stop ignoring
    engine_for(state, ledger).push(C, [Push(customer(1, "Changed Name"), cursor(2))])
    assert ledger.sent_ids()[-1] == 1 and 1 in state.entity_map[C] and 1 not in state.parkings[C]


def test_retry_now_resends_a_refused_record_unchanged_at_once_under_a_fresh_key() -> None:
    state, ledger, clock = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.VALIDATION}), Clock()
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    first_key = ledger.calls[-1][0].idempotency_key
    ledger.refuse.clear()  # fixed in the ledger (a setting the bookkeeper changed): the content here is unchanged
    clock.advance(timedelta(minutes=5))
    state.parkings[C][1] = replace(state.parkings[C][1], retry_after=clock.now)  # what Retry now stores
    engine_for(state, ledger, clock).push(C, [Push(customer(1), cursor(1))])
    assert ledger.calls[-1][0].idempotency_key != first_key
    assert 1 in state.entity_map[C] and 1 not in state.parkings[C]
