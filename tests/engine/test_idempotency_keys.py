"""Rule (e): one record version of one tenant has one idempotency key, whatever run computes it."""

from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.push import Tenant, idempotency_key
from tests.engine.fakes import TENANT, Call, MemoryState, ScriptedLedger, customer, engine_for


def test_the_same_record_version_and_tenant_get_the_same_key() -> None:
    assert idempotency_key(TENANT, customer(1)) == idempotency_key(TENANT, customer(1))
    # Keys outlive releases (intents in the state store hold them): the derivation must not drift.
    assert idempotency_key(TENANT, customer(1)) == "ed2ca0e2-e851-5f6f-b67a-e5f1e8a2ecf5"


def test_keys_differ_by_content_record_tenant_and_ledger() -> None:
    key = idempotency_key(TENANT, customer(1))
    assert idempotency_key(TENANT, customer(1, "Renamed")) != key
    assert idempotency_key(TENANT, customer(2, "Customer 1")) != key
    assert idempotency_key(Tenant("qbo", "realm-2", "QuickBooks Online"), customer(1)) != key
    assert idempotency_key(Tenant("xero", "realm-1", "Xero"), customer(1)) != key


def test_every_write_carries_its_records_key() -> None:
    state, ledger = MemoryState(), ScriptedLedger(script=[Call.UNAVAILABLE])
    for _ in range(2):
        engine_for(state, ledger).push(EntityType.CUSTOMER, [Push(customer(1))])
    assert [op.idempotency_key for call in ledger.calls for op in call] == [idempotency_key(TENANT, customer(1))] * 2


def test_a_record_requeued_by_reconciliation_is_sent_with_a_fresh_key() -> None:
    """The vendor would answer its first key from the idempotency cache: the record deleted by hand."""
    state, ledger = MemoryState(), ScriptedLedger()
    state.parkings[EntityType.CUSTOMER][1] = Parking(1, ParkingCause.MISSING, "re-queued", detail="2026-05-01")
    engine_for(state, ledger).push(EntityType.CUSTOMER, [Push(customer(1))])
    sent = [op.idempotency_key for call in ledger.calls for op in call]
    assert sent == [idempotency_key(TENANT, customer(1), "requeued:2026-05-01")]
    assert sent[0] != idempotency_key(TENANT, customer(1))
    # Re-queued keys sit in intents too: their derivation must not drift either.
    assert sent[0] == "e060befb-768c-5b35-a0b6-2f57f1741efb"
    assert 1 in state.entity_map[EntityType.CUSTOMER] and 1 not in state.parkings[EntityType.CUSTOMER]
