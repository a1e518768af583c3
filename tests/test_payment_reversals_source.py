"""Service Opus's side of issue 13's reversals and refunds: a failed or charged-back payment and a refund each take
a change number and owe the sync an event in the same transaction, and extraction reads them past a checkpoint."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import OutboxEvent, Payment, PaymentMethod, PaymentStatus, Refund
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.events.emitter import EVENT_KINDS, PAYMENT_REFUNDED, PAYMENT_REVERSED
from ledger_sync.events.outbox import refund_payment, reverse_payment

AT = datetime(2026, 5, 4, 9, 30)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'opus.db'}")
    seed(engine, invoices=60, seed=5)
    yield engine
    engine.dispose()


def _collected(engine: Engine, method: PaymentMethod) -> int:
    with Session(engine) as session:
        return session.scalars(
            select(Payment.id).where(Payment.status == PaymentStatus.COLLECTED, Payment.method == method).limit(1)
        ).one()


def _checkpoint(engine: Engine) -> int:
    payments = ServiceOpusSource(engine).payments(1, after=None, limit=10_000).records
    refunds = ServiceOpusSource(engine).refunds(1, after=None, limit=10_000).records
    return max(r.cursor or 0 for r in [*payments, *refunds])


def test_a_bounced_check_is_read_past_the_checkpoint_as_reversed_with_its_event(source: Engine) -> None:
    checkpoint, check = _checkpoint(source), _collected(source, PaymentMethod.CHECK)
    with Session(source) as session, session.begin():
        event = reverse_payment(
            session, session.get_one(Payment, check), PaymentStatus.FAILED, "Check returned: insufficient funds", AT
        )
        owed = (event.event, event.entity_id, EVENT_KINDS[event.event].resource)
    (read,) = ServiceOpusSource(source).payments(1, after=checkpoint, limit=100).records
    assert (read.id, read.status, read.reversed, read.reversed_at) == (check, "failed", True, AT.replace(tzinfo=UTC))
    assert owed == (PAYMENT_REVERSED, check, "payment")


def test_only_a_collected_card_payment_is_charged_back(source: Engine) -> None:
    check, card = _collected(source, PaymentMethod.CHECK), _collected(source, PaymentMethod.CARD)
    with Session(source) as session, session.begin():
        with pytest.raises(ValueError, match="only a card payment charges back"):
            reverse_payment(session, session.get_one(Payment, check), PaymentStatus.CHARGED_BACK, "Disputed")
        with pytest.raises(ValueError, match="reversed as failed or charged back"):
            reverse_payment(session, session.get_one(Payment, card), PaymentStatus.REFUNDED, "Disputed")
        reverse_payment(session, session.get_one(Payment, card), PaymentStatus.CHARGED_BACK, "Disputed", AT)
        with pytest.raises(ValueError, match="only a collected payment can be reversed"):
            reverse_payment(session, session.get_one(Payment, card), PaymentStatus.FAILED, "Again")


def test_a_payment_that_failed_before_it_was_collected_is_never_read(source: Engine) -> None:
    with Session(source) as session:
        never = session.scalars(
            select(Payment.id).where(Payment.status == PaymentStatus.FAILED, Payment.collected_at.is_(None))
        ).all()
    assert never, "the seed has payments that failed before collection"
    read = {p.id for p in ServiceOpusSource(source).payments(1, after=None, limit=10_000).records}
    assert not read & set(never)


def test_refunds_are_numbered_read_past_the_checkpoint_and_never_exceed_the_payment(source: Engine) -> None:
    checkpoint, card = _checkpoint(source), _collected(source, PaymentMethod.CARD)
    with Session(source) as session, session.begin():
        payment = session.get_one(Payment, card)
        amount = payment.amount
        first, event = refund_payment(session, payment, Decimal("10.00"), "Part returned unused", date(2026, 5, 4))
        with pytest.raises(ValueError, match="left to refund"):
            refund_payment(session, payment, amount, "Too much", date(2026, 5, 5))
        refund_payment(session, payment, amount - Decimal("10.00"), "Customer not satisfied", date(2026, 5, 6))
        assert payment.status is PaymentStatus.COLLECTED, "a refunded payment stays collected: it is still read"
        with pytest.raises(ValueError, match="left to refund"):
            refund_payment(session, payment, Decimal("0.01"), "Again", date(2026, 5, 7))
        first_id, owed = first.id, (event.event, event.entity_id)
    assert owed == (PAYMENT_REFUNDED, card)
    refunds = ServiceOpusSource(source).refunds(1, after=checkpoint, limit=100).records
    first_read = refunds[0]
    assert (first_read.id, first_read.payment_id, first_read.amount, first_read.reason) == (
        first_id, card, Decimal("10.00"), "Part returned unused"
    )  # fmt: skip
    assert sum(r.amount for r in refunds) == amount and refunds[0].cursor < refunds[1].cursor
    assert ServiceOpusSource(source).refunds(1, after=refunds[-1].cursor, limit=100).records == []
    with Session(source) as session:
        assert session.scalar(select(OutboxEvent.event).order_by(OutboxEvent.id.desc()).limit(1)) == PAYMENT_REFUNDED
        assert len(session.scalars(select(Refund).where(Refund.payment_id == card)).all()) == 2
