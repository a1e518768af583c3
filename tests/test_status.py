"""`status` puts every record the sync answers for in exactly one state, from sets."""

from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.status import IGNORED, VOID_DUE, RecordState, classify


def test_each_record_is_in_one_state_and_a_voided_synced_invoice_is_not_synced() -> None:
    responsible = {1: None, 2: None, 3: None, 4: None, 5: "void invoice", 6: "draft invoice"}
    parked = {
        2: Parking(2, ParkingCause.CHECK, "quantity of line 1 'abc' is not a number"),
        3: Parking(3, ParkingCause.WAITING, "Waiting for invoice INV-9 to be locked"),
    }
    status = classify(responsible, synced={1, 5, 99}, parked=parked)
    assert status.records[RecordState.SYNCED] == {1: ""}
    assert status.records[RecordState.PARKED] == {2: "quantity of line 1 'abc' is not a number"}
    assert status.records[RecordState.WAITING] == {3: "Waiting for invoice INV-9 to be locked"}
    assert status.records[RecordState.PENDING] == {4: "not read by a run yet"}
    assert status.records[RecordState.SKIPPED] == {5: "void invoice, synced before", 6: "draft invoice"}
    counts = status.counts()
    assert counts["source"] == 6 == sum(counts[state.value] for state in RecordState)


def test_a_void_still_due_in_the_ledger_is_pending_or_parked_and_a_removed_payment_is_skipped() -> None:
    responsible = {5: "void invoice", 6: "void invoice", 7: "void invoice", 8: None}
    refused = Parking(6, ParkingCause.LEDGER, "QuickBooks refused this invoice: Object Not Found")
    removed = Parking(8, ParkingCause.REMOVED, "Removed from QuickBooks with voided invoice INV-5: refund it")
    due = {5: VOID_DUE, 6: VOID_DUE}
    status = classify(responsible, synced={5, 6, 7, 8}, parked={6: refused, 8: removed}, due=due)
    assert status.records[RecordState.PENDING] == {5: VOID_DUE}
    assert status.records[RecordState.PARKED] == {6: refused.reason}
    assert status.records[RecordState.SKIPPED] == {7: "void invoice, synced before", 8: removed.reason}
    assert status.counts()["source"] == 4 == sum(status.counts()[state.value] for state in RecordState)


def test_an_ignored_parked_record_counts_as_skipped_with_the_admins_note() -> None:
    ignored = Parking(2, ParkingCause.LEDGER, "QuickBooks refused it: duplicate name", ignored_note="test customer")
    status = classify({1: None, 2: None}, synced=set(), parked={2: ignored})
    assert status.records[RecordState.SKIPPED] == {2: f"{IGNORED}: test customer"}
    assert status.records[RecordState.PARKED] == {}
    assert status.counts()["source"] == 2 == sum(status.counts()[state.value] for state in RecordState)
