"""Tips through the write engine: each tipped payment's tip is its own write, after its payment, exactly once."""

from dataclasses import replace
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.pages import PaymentPage
from ledger_sync.core.records import EntityType, TipRecord
from ledger_sync.core.snapshots import SourcePayment
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine.candidates import Unneeded, payment_candidates, tip_candidates
from tests.engine.fakes import T0, Call, MemoryState, ScriptedLedger, engine_for
from tests.engine.test_dependencies import CUSTOMER, TAX_RATES, _invoice, _synced

MAPPING = LedgerMapping(accounts={AccountRole.UNDEPOSITED_FUNDS: "4", AccountRole.TIPS: "34"}, bank_accounts={2: "36"})
TIPPED, PLAIN = 901, 902


def _page() -> PaymentPage:
    payments = [
        SourcePayment(TIPPED, 100, Decimal("55.00"), "card", "collected", T0, TIPPED, Decimal("8.25"), "4242", 2),
        SourcePayment(PLAIN, 100, Decimal("20.00"), "cash", "collected", T0, PLAIN),
    ]
    return PaymentPage(fresh=payments, retries=[], invoices={100: _invoice()}, paid_before={}, next_after=None)


def _ready() -> MemoryState:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.INVOICE, 100, "I100")
    return state


def _run(state: MemoryState, ledger: ScriptedLedger) -> None:
    """What `tasks.load.load_payments` does with a page: the payments, then their tips."""
    engine = engine_for(state, ledger)
    page = _page()
    payments = payment_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES)
    engine.push(EntityType.PAYMENT, payments)
    engine.push(EntityType.TIP, tip_candidates(state, page, payments, mapping=MAPPING))


def test_a_tip_follows_its_payment_into_the_same_account_and_a_rerun_writes_nothing() -> None:
    state, ledger = _ready(), ScriptedLedger()
    _run(state, ledger)
    ((tip_op,),) = [call for call in ledger.calls if call[0].record.entity_type is EntityType.TIP]
    tip = tip_op.record
    assert isinstance(tip, TipRecord)
    assert (tip.amount, tip.deposit_account_ref, tip.tips_account_ref, tip.customer_ref) == (
        Decimal("8.25"),
        "36",
        "34",
        "C7",
    )
    assert set(state.entity_map[EntityType.PAYMENT]) == {TIPPED, PLAIN}
    assert set(state.entity_map[EntityType.TIP]) == {TIPPED}
    assert state.checkpoints[EntityType.TIP] == PLAIN  # an untipped payment needs no tip: the checkpoint keeps up
    calls = len(ledger.calls)
    _run(state, ledger)
    assert len(ledger.calls) == calls


def test_a_tip_whose_answer_was_lost_is_found_by_its_stamp_not_written_twice() -> None:
    state, ledger = _ready(), ScriptedLedger(script=[Call.OK, Call.LOST_ANSWER])
    _run(state, ledger)
    assert TIPPED in state.pending[EntityType.TIP] and EntityType.TIP not in state.checkpoints
    _run(state, ledger)
    assert len(ledger.records_for(EntityType.TIP, TIPPED)) == 1
    assert TIPPED in state.entity_map[EntityType.TIP] and state.checkpoints[EntityType.TIP] == PLAIN


def test_a_tip_is_parked_behind_a_payment_the_ledger_refused() -> None:
    state, ledger = _ready(), ScriptedLedger(refuse={TIPPED: ErrorKind.VALIDATION})
    _run(state, ledger)
    parking = state.parkings[EntityType.TIP][TIPPED]
    assert parking.cause is ParkingCause.DEPENDENCY
    assert parking.reason.startswith(f"Waiting for payment {TIPPED}, which cannot sync: QuickBooks Online refused")
    assert [op.record.entity_type for call in ledger.calls for op in call] == [EntityType.PAYMENT] * 2


def test_a_tip_waits_while_its_payments_outcome_is_unknown() -> None:
    state, ledger = _ready(), ScriptedLedger(script=[Call.LOST_ANSWER])
    _run(state, ledger)
    assert state.entity_map[EntityType.TIP] == {} and state.parkings[EntityType.TIP] == {}
    assert EntityType.TIP not in state.checkpoints


def test_a_charged_back_payment_takes_its_synced_tip_out_once_and_an_unsynced_tip_is_left_alone() -> None:
    """The tipped payment and its tip synced, then the payment is charged back: the tip goes as reversed (an update
    of the tip the ledger holds) after the payment's reversal; a re-run sends nothing. A reversed payment whose tip
    never reached the ledger sends no tip."""
    state, ledger = _ready(), ScriptedLedger()
    _run(state, ledger)
    held = state.entity_map[EntityType.TIP][TIPPED]
    calls = len(ledger.calls)
    charged_back = replace(_page().fresh[0], status="charged_back", reversed_at=T0, change_no=None)
    page = replace(_page(), fresh=[charged_back])

    def run() -> None:
        engine = engine_for(state, ledger)
        payments = payment_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES)
        engine.push(EntityType.PAYMENT, payments)
        engine.push(EntityType.TIP, tip_candidates(state, page, payments, mapping=MAPPING))

    run()
    sent = [op for call in ledger.calls[calls:] for op in call]
    assert [(op.record.entity_type, op.voids) for op in sent] == [(EntityType.PAYMENT, True), (EntityType.TIP, True)]
    (tip_op,) = [op for op in sent if op.record.entity_type is EntityType.TIP]
    assert isinstance(tip_op.record, TipRecord) and tip_op.record.reversed and tip_op.existing is not None
    assert tip_op.existing.id == held.ledger_id
    calls = len(ledger.calls)
    run()
    assert len(ledger.calls) == calls

    untipped_state = _ready()
    _synced(untipped_state, EntityType.PAYMENT, TIPPED, "P1")
    candidates = payment_candidates(untipped_state, page, mapping=MAPPING, tax_rates=TAX_RATES)
    (tip_candidate,) = tip_candidates(untipped_state, page, candidates, mapping=MAPPING)
    assert isinstance(tip_candidate, Unneeded)
