"""A dry run counts each record it would write once, and what depends on it as writable, writing nothing."""

from ledger_sync.core.records import EntityType
from ledger_sync.core.transform import customer_record
from ledger_sync.engine.candidates import Candidate, Push, Wait, invoice_candidates, item_candidates
from ledger_sync.engine.push import WriteEngine
from ledger_sync.engine.rehearsal import PRETEND_LEDGER_ID, Rehearsal
from ledger_sync.engine.stats import RunStats, Tally
from tests.engine.fakes import TENANT, MemoryState, ScriptedLedger, cursor, customer
from tests.engine.test_dependencies import CHART, MAPPING, TAX_RATES, _invoice_page

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


def test_an_invoice_whose_customer_and_product_a_dry_run_would_write_is_counted_too() -> None:
    """Without the rehearsal it would wait for them (they are never written) and a dry run would count no invoice."""
    state, ledger, rehearsal, stats = MemoryState(), ScriptedLedger(), Rehearsal(), RunStats()
    page = _invoice_page()
    engine = WriteEngine(rehearsal.over(state), ledger, TENANT, stats=stats, dry_run=True, rehearsal=rehearsal)
    engine.push(EntityType.CUSTOMER, [Push(customer_record(c)) for c in page.customers.values()])
    engine.push(EntityType.ITEM, item_candidates(page, MAPPING))
    stored_view = invoice_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART)
    assert all(isinstance(c, Wait) for c in stored_view), "the state store alone holds neither"
    engine.push(
        EntityType.INVOICE,
        invoice_candidates(engine.state, page, mapping=MAPPING, tax_rates=TAX_RATES, chart=CHART),
    )
    counted = [stats.count(Tally.WOULD_WRITE, t) for t in (EntityType.CUSTOMER, EntityType.ITEM, EntityType.INVOICE)]
    assert counted == [1, 1, 1]
    assert ledger.calls == [] and state.entity_map[EntityType.INVOICE] == {}
