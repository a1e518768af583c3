"""Conformance scenarios for books that already exist: every customer and item is listed, whoever entered it, and
one an admin links is stamped once, then found by its external id like a record we created."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ledger_sync.core.ledger import WriteOp
from ledger_sync.core.records import CustomerRecord, EntityType, ItemRecord
from tests.ledgers.by_hand import enter
from tests.matching_set import LedgerEntry

if TYPE_CHECKING:  # the suite imports this mixin
    from tests.conformance.suite import LedgerHarness


class ExistingBooksConformance:
    def test_customers_and_items_are_listed_whoever_entered_them(self, ledger_harness: LedgerHarness) -> None:
        connector = ledger_harness.connector
        n = ledger_harness.next_id()
        by_hand = enter(connector, EntityType.CUSTOMER, [LedgerEntry("a", f"Entered By Hand {n}", f"hand{n}@x.test")])
        ours = CustomerRecord(ledger_harness.next_id(), f"Synced Customer {n}")
        (outcome,) = connector.write(EntityType.CUSTOMER, [WriteOp(ours, f"conformance-{ours.external_id}")])
        assert outcome.ref is not None, outcome.error
        ours_id = outcome.ref.id
        listed = {listing.id: listing for listing in connector.list_existing(EntityType.CUSTOMER)}
        assert (listed[by_hand["a"]].name, listed[by_hand["a"]].email, listed[by_hand["a"]].stamp) == (
            f"Entered By Hand {n}",
            f"hand{n}@x.test",
            None,
        )
        assert listed[ours_id].stamp == ours.external_id
        items = enter(connector, EntityType.ITEM, [LedgerEntry("i", f"Hand item {n}")])
        item_listing = {listing.id: listing for listing in connector.list_existing(EntityType.ITEM)}[items["i"]]
        assert (item_listing.name, item_listing.stamp) == (f"Hand item {n}", None)

    def test_a_linked_record_is_stamped_once_and_then_found_by_its_external_id(
        self, ledger_harness: LedgerHarness
    ) -> None:
        connector = ledger_harness.connector
        n = ledger_harness.next_id()
        ids = enter(connector, EntityType.CUSTOMER, [LedgerEntry("c", f"Linked Customer {n}")])
        customer = CustomerRecord(n, f"Linked Customer {n}")
        ref = connector.stamp(customer, ids["c"])
        assert ref.id == ids["c"]
        assert connector.find_by_external_id(EntityType.CUSTOMER, [customer]) == {n: ref}
        again = connector.stamp(customer, ids["c"])
        assert again == ref, "a second stamp wrote again"
        stamps = {listing.id: listing.stamp for listing in connector.list_existing(EntityType.CUSTOMER)}
        assert stamps[ids["c"]] == customer.external_id

        items = enter(connector, EntityType.ITEM, [LedgerEntry("i", f"Linked item {n}")])
        income = ledger_harness.account("income").id
        item = ItemRecord(n, f"Linked item {n}", "", Decimal("10.00"), income)
        item_ref = connector.stamp(item, items["i"])
        assert connector.find_by_external_id(EntityType.ITEM, [item])[n].id == item_ref.id
        assert connector.stamp(item, items["i"]) == item_ref
