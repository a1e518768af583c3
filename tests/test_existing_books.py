"""Onto books that already exist, on every ledger (the memory ledger, and the QBO and Xero sandboxes in process):
a ledger a bookkeeper filled with 260 customers and 60 items (`tests/matching_set.py`), a Service Opus company with
200 customers and 50 products. Matching proposes the right links (precision and recall printed, over 95 %), nothing
is linked or stamped before the admin accepts, and once accepted, invoices sync onto the existing customers and
items with no duplicate created; a stranger whose name the ledger already holds waits for review."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Company, Customer, Product, ProductCategory, SourceBase
from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.linking import customer_party
from ledger_sync.core.pages import InvoicePage
from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.snapshots import SourceInvoice, SourceLine
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine.candidates import Candidate, Push, customer_candidates, invoice_candidates, item_candidates
from ledger_sync.engine.push import Tenant, WriteEngine
from ledger_sync.existing_books import ExistingBooks
from ledger_sync.settings import Settings
from ledger_sync.state.connection_state import StoredConnectionState
from ledger_sync.state.db import make_engine
from ledger_sync.state.links import LinkStore
from ledger_sync.state.store import StateStore
from tests import matching_set
from tests.conformance.memory_harness import memory_harness
from tests.conformance.sandbox_harness import sandbox_harness
from tests.conformance.suite import GST, SOURCE_RATES, LedgerHarness, _mapping
from tests.ledgers.by_hand import enter, enter_invoice

pytestmark = pytest.mark.slow
CATEGORY = 1
INVOICED = [12, 13, 55, 56, 103, 131, 151, 153, 152]
"""Customers billed after the review: same name, same email, a variant (one with an ø), two strangers the ledger
does not hold, and a stranger (152) whose very name the ledger holds for another person (another email)."""
NAME_TAKEN = 152
SAME_DOCUMENT, NUMBER_TAKEN = 12, 13
"""The bookkeeper typed in invoice EB-12 by hand, and used number EB-13 for another invoice."""


@dataclass
class World:
    harness: LedgerHarness
    settings: Settings
    store: StateStore
    customer_ids: dict[str, str]
    item_ids: dict[str, str]
    data: matching_set.MatchingSet
    hand_invoices: dict[int, str] = field(default_factory=dict)


@contextmanager
def _harness(ledger: str, home: Path) -> Iterator[LedgerHarness]:
    if ledger == "memory":
        with memory_harness(home) as harness:
            yield harness
    else:
        with sandbox_harness(ledger, home) as harness:
            yield harness


def _seed_service_opus(settings: Settings, data: matching_set.MatchingSet, currency: str) -> None:
    engine = make_engine(settings.resolved_source_url)
    SourceBase.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        session.add(Company(id=1, name="Existing Books Ltd", currency=currency))
        session.add(ProductCategory(id=CATEGORY, company_id=1, name="Service"))
        session.flush()
        for customer in data.customers:
            session.add(Customer(id=customer.source_id, company_id=1, display_name=customer.name, email=customer.email))
        for item in data.items:
            session.add(
                Product(id=item.source_id, company_id=1, category_id=CATEGORY, name=item.name, unit_price=Decimal(80))
            )
    engine.dispose()


@pytest.fixture(scope="module", params=["memory", "qbo", "xero"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    ledger = request.param
    with _harness(ledger, tmp_path_factory.mktemp(f"existing-{ledger}")) as harness:
        settings = Settings()
        store = StateStore.open(settings)
        try:
            data = matching_set.build()
            _seed_service_opus(settings, data, harness.currency)
            customer_ids = enter(harness.connector, EntityType.CUSTOMER, data.ledger_customers)
            item_ids = enter(harness.connector, EntityType.ITEM, data.ledger_items)
            connection = store.connection(1, harness.plugin.name)
            assert connection is not None
            mapping, _ = _mapping(harness)
            store.save_mapping(connection.id, mapping, {})
            yield World(harness, settings, store, customer_ids, item_ids, data)
        finally:
            store.close()


def _books(world: World) -> ExistingBooks:
    connection = world.store.connection(1, world.harness.plugin.name)
    assert connection is not None
    source = ServiceOpusSource(make_engine(world.settings.resolved_source_url))
    return ExistingBooks(source, world.store, connection, world.harness.connector)


def test_matching_proposes_the_right_links_and_links_nothing_before_an_accept(world: World) -> None:
    books = _books(world)
    assert books.match() == {EntityType.CUSTOMER: 150, EntityType.ITEM: 40}
    pending = books.pending()
    for entity_type, truth, ids in (
        (EntityType.CUSTOMER, world.data.customer_truth, world.customer_ids),
        (EntityType.ITEM, world.data.item_truth, world.item_ids),
    ):
        proposals = {p.source_id: p.ledger_id for p in pending if p.entity_type is entity_type}
        right = sum(1 for source_id, ledger_id in proposals.items() if ids.get(truth.get(source_id, "")) == ledger_id)
        precision, recall = right / len(proposals), right / len(truth)
        print(f"{world.harness.plugin.name} {entity_type.value}s: precision {precision:.1%}, recall {recall:.1%}")
        assert precision > 0.95 and recall > 0.95
    connection_id = books.connection.id
    assert world.store.synced_ids(connection_id, EntityType.CUSTOMER) == set()
    stamped = [x for x in world.harness.connector.list_existing(EntityType.CUSTOMER) if x.stamp]
    assert len(stamped) == 10, "only the ten the bookkeeper's ledger held stamped already"
    parked = world.store.parked(connection_id, EntityType.CUSTOMER)
    assert {p.cause for p in parked.values()} == {ParkingCause.REVIEW} and len(parked) == 150
    assert "Existing records" in parked[55].reason


def test_accepted_links_take_the_invoices_and_no_customer_is_created_twice(world: World) -> None:
    books = _books(world)
    connection_id = books.connection.id
    exact = [p for p in books.pending() if p.exact]
    assert len(exact) == 10 + 40 + 5 + 20 and not books.accept_exact()
    assert not books.accept([p.id for p in books.pending()])
    assert books.pending() == []
    listed = {x.id: x for x in world.harness.connector.list_existing(EntityType.CUSTOMER)}
    linked = world.store.mapped(connection_id, EntityType.CUSTOMER, world.data.customer_truth)
    assert {source_id: m.ledger_id for source_id, m in linked.items()} == {
        source_id: world.customer_ids[key] for source_id, key in world.data.customer_truth.items()
    }
    assert all(listed[world.customer_ids[f"c{n}"]].stamp == f"SO-C{n}" for n in world.data.customer_truth)
    assert books.accept([exact[0].id]) == [] and len(world.store.synced_ids(connection_id, EntityType.CUSTOMER)) == 150

    customers_before = len(listed)
    invoices = _sync_invoices(world, connection_id)
    after = world.harness.connector.list_existing(EntityType.CUSTOMER)
    assert len(after) == customers_before + 2, "only the two strangers the ledger does not hold are created"
    mapped = world.store.mapped(connection_id, EntityType.CUSTOMER, INVOICED)
    for customer_id in (12, 13, 55, 56, 103, 131):
        assert mapped[customer_id].ledger_id == world.customer_ids[f"c{customer_id}"]
    synced = world.store.mapped(connection_id, EntityType.INVOICE, invoices)
    assert set(synced) == set(invoices) - {1000 + NAME_TAKEN, 1000 + NUMBER_TAKEN}
    assert synced[1000 + SAME_DOCUMENT].ledger_id == world.hand_invoices[SAME_DOCUMENT], "linked, not created twice"
    taken = world.store.parked(connection_id, EntityType.INVOICE)[1000 + NUMBER_TAKEN]
    assert "Invoice number EB-13 is already used" in taken.reason, taken
    parked = world.store.parked(connection_id, EntityType.CUSTOMER)[NAME_TAKEN]
    assert parked.cause is ParkingCause.REVIEW, parked
    (collision,) = LinkStore(world.store).pending(connection_id)
    assert (collision.source_id, collision.ledger_id) == (NAME_TAKEN, None), "another person's name: nothing to link"
    invoice_parked = world.store.parked(connection_id, EntityType.INVOICE)[1000 + NAME_TAKEN]
    assert "Waiting for customer" in invoice_parked.reason and "Existing records" in invoice_parked.reason


def _enter_invoices_by_hand(world: World, candidates: list[Candidate]) -> None:
    """The bookkeeper typed in invoice EB-12 as it is (the same document) and, under number EB-13, another
    customer's invoice."""
    records = {c.record.source_id: c.record for c in candidates if isinstance(c, Push)}
    same, other, elsewhere = (records[1000 + n] for n in (SAME_DOCUMENT, NUMBER_TAKEN, 55))
    assert isinstance(same, InvoiceRecord) and isinstance(other, InvoiceRecord) and isinstance(elsewhere, InvoiceRecord)
    world.hand_invoices[SAME_DOCUMENT] = enter_invoice(world.harness.connector, same)
    enter_invoice(world.harness.connector, replace(same, number=other.number, customer_ref=elsewhere.customer_ref))


def _sync_invoices(world: World, connection_id: int) -> list[int]:
    """One page of locked invoices, pushed by the write engine as the load tasks push them: customers, items,
    invoices. The ids of the invoices."""
    harness = world.harness
    source = ServiceOpusSource(make_engine(world.settings.resolved_source_url))
    customers = source.customers(INVOICED)
    products = {p.id: p for p in source.products([7, 30]).records}
    lines = tuple(
        SourceLine(product_id, CATEGORY, f"Visit {product_id}", Decimal(1), Decimal("80.00"), GST, False)
        for product_id in products
    )
    fresh = [
        SourceInvoice(
            1000 + c,
            f"EB-{c}",
            c,
            date(2026, 3, 2),
            date(2026, 4, 1),
            harness.currency,
            "locked",
            datetime(2026, 3, 2, 12),
            lines,
            c,
        )
        for c in INVOICED
    ]
    page = InvoicePage(fresh=fresh, retries=[], customers=customers, products=products, next_after=None)
    mapping, ledger_rates = _mapping(harness)
    state = StoredConnectionState(world.store, connection_id)
    connection = world.store.connection_by_id(connection_id)
    engine = WriteEngine(state, harness.connector, Tenant(connection.ledger, connection.tenant_id, "the ledger"))
    engine.push(EntityType.CUSTOMER, customer_candidates(page))
    parties = {c.id: customer_party(c) for c in customers.values()}  # the load task's step after customers
    LinkStore(world.store).propose_for_collisions(connection_id, EntityType.CUSTOMER, harness.connector, parties, "L")
    engine.push(EntityType.ITEM, item_candidates(page, mapping))
    chart = LedgerChart({}, ledger_rates)
    candidates = invoice_candidates(state, page, mapping=mapping, tax_rates=SOURCE_RATES, chart=chart)
    _enter_invoices_by_hand(world, candidates)
    engine.push(EntityType.INVOICE, candidates)
    return [invoice.id for invoice in fresh]
