"""A correction the ledger refuses (a closed period) is made by a credit note for the invoice it holds and a new
invoice, equal to the cent, exactly once: through lost answers after every step, and re-runs that write nothing.

The ledger is the in-memory one of the conformance suite (it keeps balances, credit and the closing date).
"""

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError, LedgerRef, WriteOp, WriteOutcome
from ledger_sync.core.records import (
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceDiscountRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)
from ledger_sync.core.reissue import ReversalApplicationRecord, ReversalRecord
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.corrections import REISSUE_REFUSED
from ledger_sync.engine.stats import Tally
from tests.conformance.memory_ledger import BOOKS, Books, Entry, MemoryConnector
from tests.engine.fakes import T0, Clock, MemoryState, cursor, engine_for

C, ITEM, INV, PAY = EntityType.CUSTOMER, EntityType.ITEM, EntityType.INVOICE, EntityType.PAYMENT
CN, APP = EntityType.CREDIT_NOTE, EntityType.CREDIT_APPLICATION
TODAY = date(2026, 4, 15)


class Tokens:
    def access_token(self) -> str:
        return "token"


class LosingLedger(MemoryConnector):
    """The memory ledger, but the answer of the `lose`-th write call from now is lost after it committed."""

    lose: int | None = None

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        outcomes = super().write(entity_type, ops)
        if self.lose is not None:
            self.lose -= 1
            if self.lose == 0:
                self.lose = None
                raise LedgerError(ErrorKind.UNAVAILABLE, "timed out after the ledger committed")
        return outcomes


@pytest.fixture
def ledger(request: pytest.FixtureRequest) -> Iterator[LosingLedger]:
    tenant = f"reissue-{request.node.name}"
    yield LosingLedger(tenant, Tokens())  # type: ignore[arg-type]
    BOOKS.pop(tenant, None)


def invoice(price: str) -> InvoiceRecord:
    net = Decimal(price)
    tax = (net * Decimal("0.05")).quantize(Decimal("0.01"))
    line = InvoiceLineRecord("I-2", "Work", Decimal(1), net, net, "T-GST", tax)
    return InvoiceRecord(
        7, "INV-7", "C-1", date(2026, 3, 2), date(2026, 4, 1), "CAD", (line,),
        (TaxLineRecord("T-GST", "T-GST", Decimal(5), net, tax),), net, tax, net + tax,
    )  # fmt: skip


def books_of(ledger: LosingLedger) -> Books:
    return ledger._books


def entries(ledger: LosingLedger, kind: EntityType) -> list[Entry]:
    return [e for e in books_of(ledger).entries[kind].values() if e.status not in ("VOIDED", "DELETED")]


def synced_and_paid(ledger: LosingLedger, state: MemoryState, paid: str) -> None:
    """Customer, item, INV-7 (105.00) and a payment on it; then the books close through March."""
    engine = engine_for(state, ledger)
    engine.push(C, [Push(CustomerRecord(1, "Harbour Dental"))])
    engine.push(ITEM, [Push(ItemRecord(2, "Service call", "On site", Decimal("95.00"), "A-400"))])
    engine.push(INV, [Push(invoice("100.00"), cursor(7))])
    held = state.entity_map[INV][7].ledger_id
    payment = PaymentRecord(8, held, "C-1", Decimal(paid), date(2026, 3, 9), "card", "A-090")
    engine.push(PAY, [Push(payment, cursor(8))])
    books_of(ledger).closed_through = date(2026, 3, 31)


def assert_books_equal_service_opus(ledger: LosingLedger, corrected: InvoiceRecord, paid: Decimal) -> None:
    """The customer's open balance, revenue and tax are the corrected invoice's, to the cent; the new invoice
    is open for its total less the payments; the old one is closed; nothing is in the ledger twice."""
    (old, new) = sorted(entries(ledger, INV), key=lambda e: e.ref.id)
    (note,) = entries(ledger, CN)
    assert isinstance(new.record, InvoiceRecord) and isinstance(note.record, ReversalRecord)
    assert (new.record.number, new.record.external_id, new.record.issue_date) == ("INV-7-R1", "SO-I7-R1", TODAY)
    assert (note.record.number, note.record.external_id, note.record.issue_date) == ("INV-7-CN", "SO-I7-CN", TODAY)
    assert note.total == old.total == Decimal("105.00") and note.record.lines == invoice("100.00").lines
    assert old.total - old.paid == 0, "the old invoice is closed: its payments and the credit note"
    owed = max(corrected.total - paid, Decimal(0))
    assert new.total - new.paid == owed, "the new invoice is open for what Service Opus says (overpaid: nothing)"
    balance = sum((e.total - e.paid for e in (old, new)), Decimal(0)) - (note.total - note.paid)
    assert balance == corrected.total - paid
    revenue = old.record.subtotal + new.record.subtotal - note.record.subtotal
    tax = old.record.total_tax + new.record.total_tax - note.record.total_tax
    assert (revenue, tax) == (corrected.subtotal, corrected.total_tax)
    applications = entries(ledger, APP)
    assert all(isinstance(a.record, ReversalApplicationRecord) for a in applications)
    assert len({a.record.external_id for a in applications}) == len(applications) <= 2


def test_a_correction_in_a_closed_period_is_a_credit_note_and_a_new_invoice_equal_to_the_cent(
    ledger: LosingLedger,
) -> None:
    state = MemoryState()
    synced_and_paid(ledger, state, "40.00")
    corrected = invoice("120.00")
    engine = engine_for(state, ledger, Clock(T0.replace(month=4, day=15)))
    engine.push(INV, [Push(corrected, cursor(7) + 100)])
    assert engine.stats.count(Tally.UPDATED, INV) == 1 and engine.stats.count(Tally.PARKED, INV) == 0
    assert_books_equal_service_opus(ledger, corrected, Decimal("40.00"))
    (old, new) = sorted(entries(ledger, INV), key=lambda e: e.ref.id)
    assert (old.paid, new.paid) == (Decimal("105.00"), Decimal("40.00")), "40 paid + 65 credited; 40 credited"
    mapped = state.entity_map[INV][7]
    assert mapped.ledger_id == new.ref.id and state.checkpoints[INV] == cursor(7) + 100
    assert not state.pending[INV] and not state.parkings[INV]
    written = len(books_of(ledger).answered)
    rerun = engine_for(state, ledger, Clock(T0.replace(month=5, day=1)))
    rerun.push(INV, [Push(corrected, cursor(7) + 100)])
    assert len(books_of(ledger).answered) == written and rerun.stats.count(Tally.UNCHANGED, INV) == 1


def test_payments_larger_than_the_corrected_invoice_leave_the_rest_as_the_customers_credit(
    ledger: LosingLedger,
) -> None:
    state = MemoryState()
    synced_and_paid(ledger, state, "105.00")
    corrected = invoice("50.00")
    engine_for(state, ledger, Clock(T0.replace(month=4, day=15))).push(INV, [Push(corrected, cursor(7) + 100)])
    assert_books_equal_service_opus(ledger, corrected, Decimal("105.00"))
    (note,) = entries(ledger, CN)
    assert note.total - note.paid == Decimal("52.50"), "the overpayment stays the customer's credit"


@pytest.mark.parametrize("lost", [2, 3, 4, 5])
def test_a_reissue_whose_answer_is_lost_after_any_step_resumes_and_writes_nothing_twice(
    ledger: LosingLedger, lost: int
) -> None:
    """Write calls 2-5 (1 is the refused update): the credit note, the new invoice, the two applications. The next
    run (a day later, the period reopened) resumes what is left, dated as the first attempt, never updating the
    held invoice in place; the run after it writes nothing."""
    state = MemoryState()
    synced_and_paid(ledger, state, "40.00")
    corrected = invoice("120.00")
    ledger.lose = lost
    first = engine_for(state, ledger, Clock(T0.replace(month=4, day=15)))
    first.push(INV, [Push(corrected, cursor(7) + 100)])
    assert first.stats.count(Tally.UNKNOWN, INV) == 1 and state.pending[INV], "the intent stays"
    assert state.checkpoints[INV] == cursor(7), "the checkpoint waits for the reissue"
    books_of(ledger).closed_through = None  # the ledger would take an update now: the begun reissue goes on
    engine_for(state, ledger, Clock(T0.replace(month=4, day=16))).push(INV, [Push(corrected, cursor(7) + 100)])
    assert_books_equal_service_opus(ledger, corrected, Decimal("40.00"))
    assert not state.pending[INV] and state.checkpoints[INV] == cursor(7) + 100
    written = len(books_of(ledger).answered)
    engine_for(state, ledger, Clock(T0.replace(month=4, day=17))).push(INV, [Push(corrected, cursor(7) + 100)])
    assert len(books_of(ledger).answered) == written


def test_the_reissued_invoice_is_corrected_in_place_and_again_by_a_second_round(ledger: LosingLedger) -> None:
    """Edited again, the new invoice (dated in the open period) is updated in place under its own number; once
    its period closes too, the next correction reverses it and issues INV-7-R2."""
    state = MemoryState()
    synced_and_paid(ledger, state, "40.00")
    april = Clock(T0.replace(month=4, day=15))
    engine_for(state, ledger, april).push(INV, [Push(invoice("120.00"), cursor(7) + 100)])
    reissued = state.entity_map[INV][7].ledger_id
    engine_for(state, ledger, april).push(INV, [Push(invoice("130.00"), cursor(7) + 200)])
    record = books_of(ledger).entries[INV][reissued].record
    assert isinstance(record, InvoiceRecord) and (record.number, record.total) == ("INV-7-R1", Decimal("136.50"))
    assert state.entity_map[INV][7].ledger_id == reissued
    books_of(ledger).closed_through = date(2026, 4, 30)
    engine_for(state, ledger, Clock(T0.replace(month=5, day=4))).push(INV, [Push(invoice("90.00"), cursor(7) + 300)])
    numbers = sorted(e.record.number for e in entries(ledger, INV) if isinstance(e.record, InvoiceRecord))
    notes = sorted(e.record.number for e in entries(ledger, CN) if isinstance(e.record, CreditNoteRecord))
    assert numbers == ["INV-7", "INV-7-R1", "INV-7-R2"] and notes == ["INV-7-CN", "INV-7-R1-CN"]
    r2 = books_of(ledger).entries[INV][state.entity_map[INV][7].ledger_id]
    assert r2.total - r2.paid == Decimal("94.50") - Decimal("40.00"), "still the corrected total less the payment"
    opens = sum((e.total - e.paid for e in entries(ledger, INV)), Decimal(0))
    credit = sum((e.total - e.paid for e in entries(ledger, CN)), Decimal(0))
    assert opens - credit == Decimal("54.50")


def test_a_refused_step_is_parked_naming_it_and_its_retry_resumes_it(ledger: LosingLedger) -> None:
    """The credit note is written, then the new invoice is refused (its number is taken by a bookkeeper's own
    invoice): parked, saying so; after the bookkeeper renames theirs the retry writes the rest only."""
    state = MemoryState()
    synced_and_paid(ledger, state, "40.00")
    theirs = replace(invoice("1.00"), source_id=99, number="INV-7-R1", issue_date=TODAY)
    books_of(ledger).entries[INV]["X-1"] = Entry(theirs, LedgerRef("X-1", "0"), Decimal("1.05"))
    clock = Clock(T0.replace(month=4, day=15))
    corrected = invoice("120.00")
    engine_for(state, ledger, clock).push(INV, [Push(corrected, cursor(7) + 100)])
    parking = state.parkings[INV][7]
    assert parking.cause is ParkingCause.LEDGER and parking.detail and parking.detail.startswith(REISSUE_REFUSED)
    assert "Invoice INV-7 changed in Service Opus after it was synced (it now totals 126.00)" in parking.reason
    assert "refused the new invoice INV-7-R1" in parking.reason and len(entries(ledger, CN)) == 1
    del books_of(ledger).entries[INV]["X-1"]
    books_of(ledger).closed_through = None
    clock.advance(timedelta(days=2))
    engine_for(state, ledger, clock).push(INV, [Push(corrected, cursor(7) + 100)])
    assert_books_equal_service_opus(ledger, corrected, Decimal("40.00"))
    assert not state.parkings[INV] and not state.pending[INV]


def test_an_invoice_with_an_invoice_discount_cannot_be_reversed_and_is_parked_with_the_rule(
    ledger: LosingLedger,
) -> None:
    state = MemoryState()
    engine = engine_for(state, ledger)
    engine.push(C, [Push(CustomerRecord(1, "Harbour Dental"))])
    engine.push(ITEM, [Push(ItemRecord(2, "Service call", "On site", Decimal("95.00"), "A-400"))])
    plain = invoice("100.00")
    discount = InvoiceDiscountRecord(Decimal(10), "T-GST", Decimal("-10.00"), Decimal("-0.50"), "A-400")
    tax = (TaxLineRecord("T-GST", "T-GST", Decimal(5), Decimal("90.00"), Decimal("4.50")),)
    held = replace(plain, discounts=(discount,), tax_lines=tax, subtotal=Decimal("90.00"), total_tax=Decimal("4.50"),
                   total=Decimal("94.50"))  # fmt: skip
    engine.push(INV, [Push(held, cursor(7))])
    assert state.entity_map[INV][7].document is None
    books_of(ledger).closed_through = date(2026, 3, 31)
    engine_for(state, ledger).push(INV, [Push(invoice("120.00"), cursor(7) + 100)])
    parking = state.parkings[INV][7]
    assert "invoice discount, which a credit note cannot carry" in parking.reason
    assert not entries(ledger, CN) and len(entries(ledger, INV)) == 1
