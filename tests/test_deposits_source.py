"""Service Opus's side of issue 13's deposits and overpayments: a deposit taken before its invoice exists is read as a
payment with no invoice and its customer; applying it takes a change number and owes the sync an event, so an
incremental read sees it; what each payment applies to its invoice (`core.applications`) and the records the sync
builds of them (`payment_record`, the engine's candidates)."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment, PaymentMethod, PaymentStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.applications import applied_part, applied_parts
from ledger_sync.core.pages import PaymentPage
from ledger_sync.core.records import EntityType, PaymentRecord
from ledger_sync.core.snapshots import SourcePayment
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.transform import payment_record
from ledger_sync.engine.candidates import Park, Push, Wait, payment_candidates
from ledger_sync.events.emitter import EVENT_KINDS, PAYMENT_APPLIED
from ledger_sync.events.outbox import apply_deposit, collect_payment
from tests.engine.fakes import MemoryState
from tests.engine.test_dependencies import CUSTOMER, MAPPING, TAX_RATES, _invoice, _synced

AT = datetime(2026, 5, 4, 9, 30)
D = Decimal


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'opus.db'}")
    seed(engine, invoices=60, seed=5)
    yield engine
    engine.dispose()


def _paid(payment_id: int, amount: str, collected: int, applied: int | None = None) -> SourcePayment:
    return SourcePayment(
        payment_id,
        100,
        D(amount),
        "card",
        "collected",
        datetime(2026, 3, collected, tzinfo=UTC),
        applied_at=datetime(2026, 3, applied, tzinfo=UTC) if applied else None,
    )


def test_payments_apply_in_the_order_they_reached_the_invoice_and_the_excess_is_credit() -> None:
    """A deposit collected first but applied last pays what the others left open: a later payment never changes
    what an earlier one paid."""
    deposit, card, check = _paid(1, "50.00", 1, applied=20), _paid(2, "60.00", 10), _paid(3, "30.00", 12)
    assert applied_parts(D("100.00"), [deposit, card, check]) == {2: D("60.00"), 3: D("30.00"), 1: D("10.00")}
    assert applied_part(deposit, D("100.00"), [card]) == D("40.00")
    assert applied_parts(D("100.00"), [_paid(4, "120.00", 1)]) == {4: D("100.00")}


def test_a_deposit_an_overpayment_and_a_payment_with_nothing_left_to_pay_as_records() -> None:
    deposit = replace(_paid(1, "50.00", 1), invoice_id=None, customer_id=7)
    record = payment_record(deposit, invoice_ref="", customer_ref="C7", mapping=MAPPING)
    assert (record.invoice_ref, record.applied, record.applied_amount, record.credit) == ("", None, 0, D("50.00"))
    over = payment_record(_paid(2, "120.00", 2), invoice_ref="I1", customer_ref="C7", mapping=MAPPING, applied=D(100))
    assert (over.invoice_ref, over.applied, over.credit) == ("I1", D("100.00"), D("20.00"))
    full = payment_record(_paid(3, "100.00", 3), invoice_ref="I1", customer_ref="C7", mapping=MAPPING, applied=D(100))
    assert full.applied is None and full.credit == 0
    nothing = payment_record(_paid(4, "5.00", 4), invoice_ref="I1", customer_ref="C7", mapping=MAPPING, applied=D(0))
    assert (nothing.invoice_ref, nothing.applied, nothing.credit) == ("", None, D("5.00")), "credit on account"


def _deposit_page(payment: SourcePayment) -> PaymentPage:
    return PaymentPage(
        fresh=[payment],
        retries=[],
        invoices={},
        paid_before={},
        next_after=None,
        customers={CUSTOMER.id: CUSTOMER},
    )


def test_a_deposit_needs_only_its_customer_and_is_sent_as_credit() -> None:
    deposit = replace(_paid(900, "50.00", 1), invoice_id=None, customer_id=CUSTOMER.id, change_no=900)
    state = MemoryState()
    assert payment_candidates(state, _deposit_page(deposit), mapping=MAPPING, tax_rates=TAX_RATES) == [Wait(900, 900)]
    state.parkings[EntityType.CUSTOMER][CUSTOMER.id] = Parking(CUSTOMER.id, ParkingCause.LEDGER, "name clash")
    (parked,) = payment_candidates(state, _deposit_page(deposit), mapping=MAPPING, tax_rates=TAX_RATES)
    assert isinstance(parked, Park) and parked.parking.reason == (
        f"Waiting for customer {CUSTOMER.id}, which cannot sync: name clash"
    )
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    (pushed,) = payment_candidates(state, _deposit_page(deposit), mapping=MAPPING, tax_rates=TAX_RATES)
    assert isinstance(pushed, Push) and isinstance(pushed.record, PaymentRecord)
    assert (pushed.record.invoice_ref, pushed.record.customer_ref, pushed.record.credit) == ("", "C7", D("50.00"))


def test_an_overpayment_applies_what_was_still_open_and_its_application_is_a_new_content() -> None:
    """The invoice totals 55.00 (2 x 25.00 + 10 % GST); an earlier payment paid 30.00 of it."""
    state = MemoryState()
    _synced(state, EntityType.CUSTOMER, CUSTOMER.id, "C7")
    _synced(state, EntityType.INVOICE, 100, "I100")
    earlier, over = _paid(1, "30.00", 1), replace(_paid(900, "40.00", 2), change_no=900)
    page = PaymentPage(
        fresh=[over], retries=[], invoices={100: _invoice()}, paid_before={100: [earlier, over]}, next_after=None
    )
    (pushed,) = payment_candidates(state, page, mapping=MAPPING, tax_rates=TAX_RATES)
    assert isinstance(pushed, Push) and isinstance(pushed.record, PaymentRecord)
    assert (pushed.record.invoice_ref, pushed.record.applied, pushed.record.credit) == ("I100", D("25.00"), D("15.00"))
    unapplied = replace(pushed.record, invoice_ref="", applied=None)
    assert unapplied.content_hash != pushed.record.content_hash, "applying a deposit is an update"


def _deposit(engine: Engine) -> tuple[int, int]:
    """A deposit of a customer with a locked invoice, collected; (deposit id, that invoice's id)."""
    with Session(engine) as session, session.begin():
        invoice = session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED).limit(1)).one()
        payment = Payment(
            company_id=invoice.company_id,
            invoice_id=None,
            customer_id=invoice.customer_id,
            amount=D("75.00"),
            method=PaymentMethod.CARD,
            status=PaymentStatus.PENDING,
        )
        session.add(payment)
        collect_payment(session, payment, AT)
        return payment.id, invoice.id


def test_a_deposit_is_read_without_an_invoice_and_its_application_is_read_past_the_checkpoint(source: Engine) -> None:
    deposit_id, invoice_id = _deposit(source)
    read = ServiceOpusSource(source).payments(1, after=None, limit=10_000).records
    (deposit,) = [p for p in read if p.id == deposit_id]
    assert (deposit.invoice_id, deposit.customer_id, deposit.applied_at) == (None, deposit.customer_id, None)
    assert deposit.customer_id is not None
    checkpoint = max(p.cursor or 0 for p in read)
    with Session(source) as session, session.begin():
        event = apply_deposit(session, session.get_one(Payment, deposit_id), session.get_one(Invoice, invoice_id), AT)
        owed = (event.event, event.entity_id, EVENT_KINDS[event.event].syncs)
    (applied,) = ServiceOpusSource(source).payments(1, after=checkpoint, limit=100).records
    assert (applied.id, applied.invoice_id, applied.applied_at) == (deposit_id, invoice_id, AT.replace(tzinfo=UTC))
    assert owed == (PAYMENT_APPLIED, deposit_id, EntityType.PAYMENT)
    assert ServiceOpusSource(source).labels(1)[EntityType.PAYMENT][deposit_id].startswith("on INV-")


def test_a_deposit_is_applied_only_once_to_a_locked_invoice_of_its_customer(source: Engine) -> None:
    deposit_id, invoice_id = _deposit(source)
    with Session(source) as session, session.begin():
        deposit, invoice = session.get_one(Payment, deposit_id), session.get_one(Invoice, invoice_id)
        other = session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED, Invoice.customer_id != invoice.customer_id)
        ).first()
        assert other is not None
        with pytest.raises(ValueError, match="not for the customer who paid"):
            apply_deposit(session, deposit, other)
        draft = session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.DRAFT)).first()
        assert draft is not None
        with pytest.raises(ValueError, match="applied to a locked invoice"):
            apply_deposit(session, deposit, draft)
        apply_deposit(session, deposit, invoice)
        with pytest.raises(ValueError, match="not a collected deposit"):
            apply_deposit(session, deposit, invoice)
