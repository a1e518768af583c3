"""Reversals: a payment collected, then failed (a bounced check) or charged back. One the ledger holds goes once as
an update of its reversed version (the connector voids or deletes it); one the ledger never held is skipped without
a call, even when its create's outcome was unknown and the look-up finds nothing."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from ledger_sync.core.pages import PaymentPage
from ledger_sync.core.records import EntityType, PaymentRecord
from ledger_sync.core.snapshots import SourcePayment
from ledger_sync.core.sync_state import Intent, Parking, ParkingCause
from ledger_sync.engine.candidates import Push, Skip, Wait, payment_candidates
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import T0, Call, MemoryState, ScriptedLedger, engine_for
from tests.engine.test_dependencies import CUSTOMER, MAPPING, TAX_RATES, _invoice, _synced

PAY = EntityType.PAYMENT
COLLECTED = SourcePayment(900, 100, Decimal("55.00"), "check", "collected", T0, 900, reference="1017")
BOUNCED = replace(COLLECTED, status="failed", change_no=950, reversed_at=T0 + timedelta(days=6))


def _page(*payments: SourcePayment, invoice_status: str = "locked") -> PaymentPage:
    invoice = replace(_invoice(), status=invoice_status)
    return PaymentPage(
        fresh=list(payments), retries=[], invoices={100: invoice}, paid_before={}, next_after=None, parked={}
    )


def _state_with_invoice() -> MemoryState:
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.INVOICE, 100, "INV-L100")
    return state


def test_only_a_payment_collected_before_it_failed_or_was_charged_back_counts_as_reversed() -> None:
    assert BOUNCED.reversed and replace(BOUNCED, status="charged_back").reversed
    assert not COLLECTED.reversed
    assert not replace(BOUNCED, collected_at=None).reversed, "failed before it was collected: never money"


def test_a_reversed_payment_keeps_the_hash_it_was_synced_with_until_it_is_reversed() -> None:
    record = PaymentRecord(900, "INV-L100", "C7", Decimal("55.00"), T0.date(), "check", "4")
    assert replace(record, reversed=False).content_hash == record.content_hash
    assert replace(record, reversed=True).content_hash != record.content_hash


def test_a_synced_payment_that_bounced_is_sent_once_as_an_update_of_its_ledger_record() -> None:
    state, ledger = _state_with_invoice(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(
        PAY, payment_candidates(state, _page(COLLECTED), mapping=MAPPING, tax_rates=TAX_RATES)
    )
    ledger_id = state.entity_map[PAY][900].ledger_id
    candidates = payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES)
    [candidate] = candidates
    assert isinstance(candidate, Push) and isinstance(candidate.record, PaymentRecord) and candidate.record.reversed
    engine = engine_for(state, ledger)
    engine.push(PAY, candidates)
    (op,) = ledger.calls[-1]
    assert op.existing is not None and op.existing.id == ledger_id and op.voids
    assert state.entity_map[PAY][900].content_hash == candidate.record.content_hash and state.checkpoints[PAY] == 950
    assert engine.stats.count(Tally.UPDATED, PAY) == 1
    engine_for(state, ledger).push(PAY, payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES))
    assert len(ledger.calls) == 2, "a reversal already recorded is not sent again"


def test_a_reversal_whose_answer_was_lost_is_sent_again_with_the_same_key_and_holds_the_checkpoint() -> None:
    state, ledger = _state_with_invoice(), ScriptedLedger(max_batch_size=10)
    engine_for(state, ledger).push(
        PAY, payment_candidates(state, _page(COLLECTED), mapping=MAPPING, tax_rates=TAX_RATES)
    )
    synced_hash = state.entity_map[PAY][900].content_hash
    ledger.script = [Call.LOST_ANSWER]
    engine_for(state, ledger).push(PAY, payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES))
    assert state.entity_map[PAY][900].content_hash == synced_hash and state.checkpoints[PAY] == 900
    engine_for(state, ledger).push(PAY, payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES))
    assert ledger.calls[-1][0].idempotency_key == ledger.calls[-2][0].idempotency_key
    assert state.entity_map[PAY][900].content_hash != synced_hash and state.checkpoints[PAY] == 950


def test_a_payment_that_failed_before_it_ever_synced_is_skipped_releasing_its_parking() -> None:
    state, ledger = _state_with_invoice(), ScriptedLedger()
    state.parkings[PAY][900] = Parking(900, ParkingCause.CHECK, "Payment exceeds what is still due")
    candidates = payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES)
    assert candidates == [Skip(900, 950)]
    engine = engine_for(state, ledger)
    engine.push(PAY, candidates)
    assert ledger.calls == [] and state.parkings[PAY] == {} and state.checkpoints[PAY] == 950
    assert engine.stats.count(Tally.SKIPPED, PAY) == 1


def test_a_reversal_of_a_payment_removed_with_its_voided_invoice_sends_nothing() -> None:
    state = _state_with_invoice()
    _synced(state, PAY, 900, "P900")
    assert payment_candidates(state, _page(BOUNCED, invoice_status="void"), mapping=MAPPING, tax_rates=TAX_RATES) == [
        Skip(900, 950)
    ]


def test_a_reversal_waits_while_the_invoice_it_paid_is_not_known_to_be_in_the_ledger() -> None:
    state = MemoryState()
    _synced(state, PAY, 900, "P900")
    assert payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES) == [Wait(900, 950)]


def test_a_reversal_of_a_create_with_an_unknown_outcome_is_looked_up_and_sends_nothing_when_absent() -> None:
    state, ledger = _state_with_invoice(), ScriptedLedger()
    state.pending[PAY][900] = Intent(900, "hash-of-the-lost-create", "key-of-the-lost-create")
    engine = engine_for(state, ledger)
    engine.push(PAY, payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES))
    assert ledger.lookups == 1 and ledger.calls == []
    assert state.pending[PAY] == {} and state.entity_map[PAY] == {} and state.checkpoints[PAY] == 950
    assert engine.stats.count(Tally.SKIPPED, PAY) == 1


def test_a_reversal_of_a_create_that_did_land_takes_out_what_the_ledger_holds() -> None:
    state, ledger = _state_with_invoice(), ScriptedLedger(max_batch_size=10, script=[Call.LOST_ANSWER])
    engine_for(state, ledger).push(
        PAY, payment_candidates(state, _page(COLLECTED), mapping=MAPPING, tax_rates=TAX_RATES)
    )
    assert 900 in state.pending[PAY] and PAY not in state.checkpoints
    engine_for(state, ledger).push(PAY, payment_candidates(state, _page(BOUNCED), mapping=MAPPING, tax_rates=TAX_RATES))
    (op,) = ledger.calls[-1]
    assert op.existing is not None and op.voids and len(ledger.records_for(PAY, 900)) == 1
    assert state.checkpoints[PAY] == 950 and state.pending[PAY] == {}
