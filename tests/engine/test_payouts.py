"""Card payouts through the write engine: a payout is written once every payment it settles (and its tip) is in the
ledger, with the figures Service Opus has, exactly once; figures that do not add up are parked, never sent."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from ledger_sync.core.ledger import LedgerAccount, LedgerChart
from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.payouts import SourcePayout
from ledger_sync.core.records import EntityType, PayoutRecord, SettledPayment
from ledger_sync.core.snapshots import Extracted, SourcePayment
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Park, Push, Wait, payout_candidates
from ledger_sync.tasks import load
from tests.engine.fakes import T0, MemoryState, ScriptedLedger, engine_for
from tests.engine.test_dependencies import _synced

CLEARING, OPERATING = 2, 1
MAPPING = LedgerMapping(
    accounts={AccountRole.PROCESSING_FEES: "80", AccountRole.TIPS: "34"},
    bank_accounts={CLEARING: "36", OPERATING: "35"},
)
CHART = LedgerChart(
    accounts={
        "36": LedgerAccount("36", "Card Clearing", "bank", True),
        "35": LedgerAccount("35", "Chequing", "bank", True),
    },
    tax_rates={},
)
PAYMENTS = {
    11: SourcePayment(11, 100, Decimal("55.00"), "card", "collected", T0, 11, Decimal("8.25"), "4242", CLEARING),
    12: SourcePayment(12, 101, Decimal("120.40"), "card", "collected", T0, 12, Decimal(0), "1881", CLEARING),
}
PAYOUT = SourcePayout(
    7,
    date(2026, 3, 4),
    "Opus Pay",
    Decimal("183.65"),
    Decimal("5.93"),
    Decimal("177.72"),
    CLEARING,
    OPERATING,
    (11, 12),
)


def _all_synced() -> MemoryState:
    state = MemoryState()
    _synced(state, EntityType.PAYMENT, 11, "P11")
    _synced(state, EntityType.TIP, 11, "T11")
    _synced(state, EntityType.PAYMENT, 12, "P12")
    return state


def _candidates(state: MemoryState, payout: SourcePayout = PAYOUT) -> list:
    return payout_candidates(state, Extracted([payout]), PAYMENTS, mapping=MAPPING, chart=CHART)


def test_a_payout_is_written_once_with_its_gross_fees_and_net_from_the_clearing_account() -> None:
    state, ledger = _all_synced(), ScriptedLedger()
    engine = engine_for(state, ledger)
    engine.push(EntityType.PAYOUT, _candidates(state))
    ((op,),) = ledger.calls
    assert op.record == PayoutRecord(
        7,
        date(2026, 3, 4),
        Decimal("183.65"),
        Decimal("5.93"),
        "36",
        False,
        "35",
        "80",
        "Opus Pay",
        (SettledPayment("P11", Decimal("55.00")), SettledPayment("P12", Decimal("120.40"))),
    )
    assert (op.record.external_id, op.record.net) == ("SO-O7", Decimal("177.72"))
    assert set(state.entity_map[EntityType.PAYOUT]) == {7}
    engine.push(EntityType.PAYOUT, _candidates(state))
    assert len(ledger.calls) == 1  # a re-run writes nothing


def test_a_payout_waits_for_a_payment_or_its_tip_not_in_the_ledger_yet() -> None:
    state = _all_synced()
    del state.entity_map[EntityType.TIP][11]
    assert _candidates(state) == [Wait(7)]
    state = _all_synced()
    del state.entity_map[EntityType.PAYMENT][12]
    assert _candidates(state) == [Wait(7)]


def test_a_payout_is_parked_behind_a_parked_payment_and_when_its_figures_do_not_add_up() -> None:
    state = _all_synced()
    del state.entity_map[EntityType.PAYMENT][12]
    state.parkings[EntityType.PAYMENT][12] = Parking(12, ParkingCause.CHECK, "No bank account mapped")
    ((behind,),) = [[c for c in _candidates(state) if isinstance(c, Park)]]
    assert behind.parking.cause is ParkingCause.DEPENDENCY
    assert behind.parking.reason == "Waiting for payment 12, which cannot sync: No bank account mapped"
    wrong = {
        "Payout gross 183.65 less fees 5.93 is 177.72, not its net 177.70": replace(PAYOUT, net=Decimal("177.70")),
        "Payout gross 180.00 is not the 183.65 its 2 payments brought": replace(
            PAYOUT, gross=Decimal("180.00"), net=Decimal("174.07")
        ),
    }
    for reason, payout in wrong.items():
        (parked,) = _candidates(_all_synced(), payout)
        assert isinstance(parked, Park) and parked.parking.reason == reason


def test_a_payout_of_payments_in_undeposited_funds_links_them_and_a_missing_fees_account_parks_it() -> None:
    held = replace(
        CHART, accounts={**CHART.accounts, "36": LedgerAccount("36", "Undeposited Funds", "undeposited_funds", True)}
    )
    untipped = {**PAYMENTS, 11: replace(PAYMENTS[11], tip=Decimal(0))}
    payout = replace(PAYOUT, gross=Decimal("175.40"), net=Decimal("169.47"))
    (push,) = payout_candidates(_all_synced(), Extracted([payout]), untipped, mapping=MAPPING, chart=held)
    assert isinstance(push, Push) and isinstance(push.record, PayoutRecord) and push.record.clearing_holds_payments
    no_fees = replace(MAPPING, accounts={AccountRole.TIPS: "34"})
    (parked,) = payout_candidates(_all_synced(), Extracted([PAYOUT]), PAYMENTS, mapping=no_fees, chart=CHART)
    assert isinstance(parked, Park)
    assert parked.parking.reason == "Payout carries fees of 5.93, and no Processing Fees account is mapped"


def test_payouts_are_read_in_parts_of_a_bounded_number_of_payments(monkeypatch: pytest.MonkeyPatch) -> None:
    """A part settles at most `PAYMENTS_PER_PART` payments, but a payout settling more is a part of its own."""
    monkeypatch.setattr(load, "PAYMENTS_PER_PART", 3)
    payouts = [replace(PAYOUT, id=n, payment_ids=tuple(range(size))) for n, size in enumerate((1, 2, 1, 5, 2), 1)]
    assert [[p.id for p in part] for part in load.payout_parts(payouts)] == [[1, 2], [3], [4], [5]]
    assert list(load.payout_parts([])) == [[]]  # one part even then: it parks the unreadable payouts
