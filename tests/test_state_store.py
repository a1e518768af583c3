"""The state store on SQLite and PostgreSQL: one transaction per batch, monotonic checkpoints, parking."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet

from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import Intent, Parking, ParkingCause, Synced
from ledger_sync.core.tokens import TokenSet
from ledger_sync.state.connection_state import StoredConnectionState, VoidRemovals
from ledger_sync.state.db import alembic_config, upgrade_state
from ledger_sync.state.models import StateBase
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _store(url: str) -> StateStore:
    upgrade_state(url)
    return StateStore(url)


def _connected(store: StateStore) -> int:
    tokens = TokenSet("access-abc", "refresh-xyz", T0 + timedelta(hours=1), T0 + timedelta(days=100))
    return store.connect(1, "qbo", "realm-1", tokens, TokenCipher(Fernet.generate_key()))


def test_batch_commits_entity_map_parking_and_checkpoint_together(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    store.record_batch(
        cid, EntityType.INVOICE, parked=[Parking(2, ParkingCause.CHECK, "Line quantity -2 is negative")], checkpoint=2
    )
    store.record_batch(
        cid, EntityType.INVOICE, synced=[Synced(1, "L1", "0", "h1"), Synced(2, "L2", "0", "h2")], checkpoint=3
    )
    assert store.mapped(cid, EntityType.INVOICE, [1, 2, 3]).keys() == {1, 2}
    assert store.parked(cid, EntityType.INVOICE) == {}  # syncing a parked record releases it
    assert store.checkpoint(cid, EntityType.INVOICE) == 3
    assert store.counts(cid)["invoice"] == (2, 0)
    store.close()


def test_requeue_forgets_the_ledger_counterpart_and_parks_it_in_one_step(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    store.record_batch(cid, EntityType.INVOICE, synced=[Synced(1, "L1", "0", "h1"), Synced(2, "L2", "0", "h2")])
    store.record_batch(cid, EntityType.INVOICE, parked=[Parking(3, ParkingCause.LEDGER, "refused")])
    missing = [Parking(i, ParkingCause.MISSING, "Missing from QBO: re-queued", detail="2026-05-01") for i in (1, 3)]
    store.requeue(cid, EntityType.INVOICE, missing)
    assert store.mapped(cid, EntityType.INVOICE, [1, 2, 3]).keys() == {2}
    parked = store.parked(cid, EntityType.INVOICE)
    assert {i: (p.cause, p.detail) for i, p in parked.items()} == {
        1: (ParkingCause.MISSING, "2026-05-01"),
        3: (ParkingCause.MISSING, "2026-05-01"),
    }
    store.close()


def test_a_record_refused_or_lost_by_the_ledger_stays_sent_before_once_released(state_url: str) -> None:
    """The ledger may hold some steps of a create it refused, or of a record it lost: the mark outlives the parked
    row, and a second refusal keeps one mark."""
    store = _store(state_url)
    cid = _connected(store)
    kind = EntityType.PAYOUT
    store.record_batch(cid, kind, synced=[Synced(1, "L1", "0", "h1")])
    store.record_batch(cid, kind, parked=[Parking(2, ParkingCause.CHECK, "no fees account")])
    for _ in range(2):
        store.record_batch(cid, kind, refused=[Parking(3, ParkingCause.LEDGER, "Xero refused the transfer")])
    store.requeue(cid, kind, [Parking(1, ParkingCause.MISSING, "Missing from Xero: re-queued")])
    store.release(cid, kind, [1, 2, 3])
    assert store.parked(cid, kind) == {}
    assert store.sent_before(cid, kind, [1, 2, 3, 4]) == {1, 3}
    assert store.sent_before(cid, EntityType.REFUND, [1, 3]) == set()
    store.close()


def test_the_records_refused_before_the_mark_existed_are_marked_by_its_migration(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    store.record_batch(cid, EntityType.PAYOUT, refused=[Parking(3, ParkingCause.LEDGER, "refused")])
    store.record_batch(cid, EntityType.PAYOUT, parked=[Parking(2, ParkingCause.CHECK, "no fees account")])
    config = alembic_config(state_url)
    command.downgrade(config, "0009")
    upgrade_state(state_url)
    assert store.sent_before(cid, EntityType.PAYOUT, [2, 3]) == {3}
    store.close()


def test_a_void_recorded_parks_its_payments_as_removed_in_the_same_commit(state_url: str) -> None:
    """Only the invoice's voided version (its hash) carries the removal: another write of it leaves them synced."""
    store = _store(state_url)
    cid = _connected(store)
    store.record_batch(cid, EntityType.PAYMENT, synced=[Synced(7, "P7", "0", "p7"), Synced(8, "P8", "0", "p8")])
    removed = [Parking(7, ParkingCause.REMOVED, "Removed from QuickBooks with voided invoice INV-1: refund it")]
    state = StoredConnectionState(store, cid, {1: VoidRemovals("voided-hash", removed)})
    state.record_batch(EntityType.INVOICE, synced=[Synced(1, "L1", "1", "other-hash")], parked=[], checkpoint=None)
    assert store.mapped(cid, EntityType.PAYMENT, [7, 8]).keys() == {7, 8}
    state.record_batch(EntityType.INVOICE, synced=[Synced(1, "L1", "2", "voided-hash")], parked=[], checkpoint=4)
    assert store.mapped(cid, EntityType.PAYMENT, [7, 8]).keys() == {8}
    assert store.parked(cid, EntityType.PAYMENT)[7].cause is ParkingCause.REMOVED
    assert store.checkpoint(cid, EntityType.INVOICE) == 4
    store.close()


def test_checkpoint_never_moves_backwards(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    store.record_batch(cid, EntityType.PAYMENT, checkpoint=10)
    store.record_batch(cid, EntityType.PAYMENT, checkpoint=9)
    assert store.checkpoint(cid, EntityType.PAYMENT) == 10
    store.close()


def test_parking_twice_counts_attempts_and_keeps_one_row(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    for reason in ("first reason", "second reason"):
        store.record_batch(cid, EntityType.CUSTOMER, parked=[Parking(7, ParkingCause.LEDGER, reason, fingerprint="f")])
    parked = store.parked(cid, EntityType.CUSTOMER)
    assert list(parked) == [7] and parked[7].reason == "second reason"
    assert store.parked_list(cid) == [("customer", 7, "second reason")]
    store.release(cid, EntityType.CUSTOMER, [7])
    assert store.parked(cid, EntityType.CUSTOMER) == {}
    store.close()


def test_mapping_round_trips(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    mapping = LedgerMapping(accounts={AccountRole.SALES_INCOME: "79"}, categories={3: "80"}, tax_rates={5: "TC1"})
    store.save_mapping(cid, mapping, {"79": "Services"})
    assert store.load_mapping(cid) == mapping
    store.unmap_tax_rate(cid, 5)
    assert store.load_mapping(cid).tax_rates == {}
    store.close()


def test_runs_record_their_outcome(state_url: str) -> None:
    store = _store(state_url)
    cid = _connected(store)
    run = store.start_run(cid, "sync")
    store.finish_run(run, "completed", {"api_calls": 3}, None)
    last = store.last_run(cid)
    assert last is not None and (last.outcome, last.summary) == ("completed", {"api_calls": 3})
    store.close()


def test_connected_lists_only_connected_connections_by_company_and_ledger(state_url: str) -> None:
    store = _store(state_url)
    tokens = TokenSet("access-abc", "refresh-xyz", T0 + timedelta(hours=1))
    cipher = TokenCipher(Fernet.generate_key())
    store.connect(2, "xero", "tenant-2", tokens, cipher)
    store.connect(1, "xero", "tenant-1", tokens, cipher)
    store.connect(1, "qbo", "realm-1", tokens, cipher)
    store.disconnect(store.connect(3, "qbo", "realm-3", tokens, cipher))
    assert [(c.company_id, c.ledger) for c in store.connected()] == [(1, "qbo"), (1, "xero"), (2, "xero")]
    assert [(c.company_id, c.ledger) for c in store.connected(1)] == [(1, "qbo"), (1, "xero")]
    assert store.connected(3) == []
    store.close()


def test_the_migrations_build_the_models_schema_and_the_newest_one_reverts(state_url: str) -> None:
    """Sessions, login failures and a connection's status reason (0005) exist as the models say, both ways."""
    upgrade_state(state_url)
    engine = sa.create_engine(state_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), StateBase.metadata) == []
        command.downgrade(alembic_config(state_url), "0004")
        assert not {"admin_sessions", "login_failures"} & set(sa.inspect(engine).get_table_names())
        upgrade_state(state_url)
        assert {"admin_sessions", "login_failures"} <= set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_every_entity_type_fits_its_columns(state_url: str) -> None:
    """PostgreSQL refuses a value longer than its VARCHAR (SQLite would not tell): each type is mapped, parked,
    checkpointed and its create intended once."""
    store = _store(state_url)
    cid = _connected(store)
    for entity_type in EntityType:
        store.record_batch(cid, entity_type, synced=[Synced(1, "L1", "0", "h1")], checkpoint=1)
        store.record_batch(cid, entity_type, parked=[Parking(2, ParkingCause.CHECK, "refused")], checkpoint=2)
        assert store.mapped(cid, entity_type, [1]).keys() == {1}
        assert store.parked(cid, entity_type).keys() == {2}
        assert store.checkpoint(cid, entity_type) == 2
        store.add_intents(cid, entity_type, [Intent(3, "h3", f"key-{entity_type.value}")])
        assert store.intents(cid, entity_type, [3]).keys() == {3}
    store.close()
