"""A dry run counts each record it would write once, and what depends on it as writable, writing nothing."""

from ledger_sync.core.records import EntityType
from ledger_sync.engine.candidates import Candidate, Push
from ledger_sync.engine.push import WriteEngine
from ledger_sync.engine.rehearsal import PRETEND_LEDGER_ID, Rehearsal
from ledger_sync.engine.stats import RunStats, Tally
from tests.engine.fakes import TENANT, MemoryState, ScriptedLedger, cursor, customer

C = EntityType.CUSTOMER


def _page(*ids: int) -> list[Candidate]:
    return [Push(customer(i), cursor(i)) for i in ids]


def test_a_customer_named_on_several_pages_is_counted_once_and_then_stands_as_mapped() -> None:
    state, ledger, rehearsal, stats = MemoryState(), ScriptedLedger(), Rehearsal(), RunStats()
    for page in (_page(1, 2), _page(2, 3), _page(1, 3)):
        view = rehearsal.over(state)
        WriteEngine(view, ledger, TENANT, stats=stats, dry_run=True, rehearsal=rehearsal).push(C, page)
    assert stats.count(Tally.WOULD_WRITE, C) == 3
    assert ledger.calls == [] and state.entity_map[C] == {} and state.checkpoints == {} and state.pending[C] == {}
    seen = rehearsal.over(state).mapped(C, [1, 2, 3, 4])
    assert {i: m.ledger_id for i, m in seen.items()} == dict.fromkeys((1, 2, 3), PRETEND_LEDGER_ID)


def test_a_changed_record_already_in_the_ledger_counts_once_and_keeps_its_ledger_id() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    WriteEngine(state, ledger, TENANT).push(C, _page(1))
    ledger_id = state.entity_map[C][1].ledger_id
    rehearsal, stats = Rehearsal(), RunStats()
    renamed = [Push(customer(1, name="Renamed Ltd"), cursor(1))]
    for _ in range(2):
        WriteEngine(rehearsal.over(state), ledger, TENANT, stats=stats, dry_run=True, rehearsal=rehearsal).push(
            C, renamed
        )
    assert stats.count(Tally.WOULD_WRITE, C) == 1
    assert rehearsal.over(state).mapped(C, [1])[1].ledger_id == ledger_id
    assert len(ledger.calls) == 1, "only the real run wrote"
