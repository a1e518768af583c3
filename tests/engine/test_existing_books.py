"""Books that already exist, in the engine: a name the ledger says is taken waits for review and is not sent again
while it waits; an invoice number the ledger already uses is linked when it is the same document, parked when it is
another, and sent when free."""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

import pytest

from ledger_sync.core.ledger import ErrorKind, InvoiceNumbers, LedgerSnapshot
from ledger_sync.core.linking import Review
from ledger_sync.core.matching import SourceParty
from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine import numbers
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.numbers import RunNumbers
from ledger_sync.engine.push import LEDGER_RETRY
from tests.engine.fakes import Clock, MemoryState, ScriptedLedger, cursor, customer, engine_for

DAY = date(2026, 3, 2)


def _invoice(source_id: int) -> InvoiceRecord:
    return InvoiceRecord(
        source_id, f"INV-{source_id}", "C-1", DAY, DAY, "CAD", (), (), Decimal("100.00"), Decimal("5.00"),
        Decimal("105.00"),
    )  # fmt: skip


def test_a_taken_name_waits_for_review_until_renamed() -> None:
    state, ledger, clock = MemoryState(), ScriptedLedger(refuse={1: ErrorKind.DUPLICATE}), Clock()
    engine_for(state, ledger, clock).push(EntityType.CUSTOMER, [Push(customer(1, "Harbour Dental"), cursor(1))])
    parking = state.parkings[EntityType.CUSTOMER][1]
    assert parking.cause is ParkingCause.REVIEW
    assert "refused this customer: Name is invalid. The name is taken" in parking.reason
    assert "Existing records" in parking.reason
    ledger.refuse.clear()
    clock.advance(LEDGER_RETRY * 3)
    engine_for(state, ledger, clock).push(EntityType.CUSTOMER, [Push(customer(1, "Harbour Dental"), cursor(1))])
    assert len(ledger.calls) == 1, "nothing is written while the admin has not decided"
    engine_for(state, ledger, clock).push(EntityType.CUSTOMER, [Push(customer(1, "Harbour Dental Clinic"), cursor(1))])
    assert ledger.sent_ids() == [1, 1] and 1 in state.entity_map[EntityType.CUSTOMER], "renamed, it is sent at once"


def test_a_proposal_holds_its_record_whatever_changes() -> None:
    state, ledger = MemoryState(), ScriptedLedger()
    review = Review(EntityType.CUSTOMER, SourceParty(1, "SO-C1", "Harbour Dental"), None)
    state.parkings[EntityType.CUSTOMER][1] = review.parking("QuickBooks Online")
    engine_for(state, ledger).push(EntityType.CUSTOMER, [Push(customer(1, "Harbour Dental Clinic"), cursor(1))])
    assert ledger.calls == [] and state.checkpoints[EntityType.CUSTOMER] == cursor(1)


def test_an_invoice_number_in_use_is_linked_when_it_is_the_same_document_and_parked_when_not() -> None:
    same, other, free = _invoice(1), _invoice(2), _invoice(3)
    ledger = ScriptedLedger(
        numbers_in_use={
            1: [LedgerSnapshot("L-77", "", Decimal("105.00"), "C-1", "AUTHORISED", issued_on=DAY)],
            2: [LedgerSnapshot("L-78", "paid in full", Decimal("99.00"), "C-9", "AUTHORISED", issued_on=DAY)],
        }
    )
    state = MemoryState()
    engine_for(state, ledger).push(EntityType.INVOICE, [Push(r, cursor(r.source_id)) for r in (same, other, free)])
    assert ledger.stamped == [(1, "L-77")]
    assert state.entity_map[EntityType.INVOICE][1].ledger_id == "L-77"
    parking = state.parkings[EntityType.INVOICE][2]
    assert parking.cause is ParkingCause.LEDGER and "INV-2 is already used" in parking.reason
    assert "LEDGER_SYNC_INVOICE_NUMBER_PREFIX" in parking.reason
    assert ledger.sent_ids() == [3], "only the invoice whose number is free is created"
    assert state.checkpoints[EntityType.INVOICE] == cursor(3)


@dataclass
class ListedLedger(ScriptedLedger):
    """Books small enough to read whole: `invoice_numbers` answers a book of the invoices entered by hand (by
    number), and counts the reads."""

    by_hand: dict[str, list[LedgerSnapshot]] = field(default_factory=dict)
    reads: int = 0

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        self.reads += 1
        return InvoiceNumbers({n.casefold(): list(docs) for n, docs in self.by_hand.items()}, lambda r: r.number)

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        raise AssertionError("a run whose books were read whole asks for no number")


def test_a_run_reads_the_ledgers_invoice_numbers_once_and_still_finds_every_number_in_use() -> None:
    taken = LedgerSnapshot("L-78", "", Decimal("99.00"), "C-9", "AUTHORISED", issued_on=DAY)
    ledger, state, numbers = ListedLedger(by_hand={"inv-4": [taken]}), MemoryState(), RunNumbers()
    twin = replace(_invoice(5), source_id=6)  # another Service Opus invoice under number INV-5
    for page in ([_invoice(1), _invoice(2)], [_invoice(3), _invoice(4), _invoice(5)], [twin]):
        engine = replace(engine_for(state, ledger), numbers=numbers)
        engine.push(EntityType.INVOICE, [Push(r, cursor(r.source_id)) for r in page])
    assert ledger.reads == 1, "the books are read before the run's first push only"
    assert ledger.sent_ids() == [1, 2, 3, 5]
    assert "INV-4 is already used" in state.parkings[EntityType.INVOICE][4].reason
    assert "INV-5 is already used" in state.parkings[EntityType.INVOICE][6].reason, "a number this run took is taken"


def test_a_run_past_the_numbers_it_keeps_asks_the_ledger_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(numbers, "MAX_KNOWN_NUMBERS", 1)
    ledger, state, run = ListedLedger(), MemoryState(), RunNumbers()
    replace(engine_for(state, ledger), numbers=run).push(EntityType.INVOICE, [Push(_invoice(1), cursor(1))])
    replace(engine_for(state, ledger), numbers=run).push(EntityType.INVOICE, [Push(_invoice(2), cursor(2))])
    assert run.book is None and run.read, "two numbers known, one kept at most: the book is dropped"
    with pytest.raises(AssertionError, match="asks for no number"):
        replace(engine_for(state, ledger), numbers=run).push(EntityType.INVOICE, [Push(_invoice(3), cursor(3))])
