"""Exactly once when answers are lost or the worker dies between the ledger's commit and ours,
and parked records released once their cause is fixed."""

from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Customer
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.ledger import ErrorKind, LedgerConnector, LedgerError, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType
from ledger_sync.demo import PROBLEM_CUSTOMER, add_problem_records
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore
from ledger_sync.status import company_status
from tests.stack import Stack, open_stack


class LosesAnswers:
    """Every write reaches the ledger, but every `every`-th answer is lost on the way back."""

    def __init__(self, inner: LedgerConnector, every: int) -> None:
        self._inner, self._every, self._writes = inner, every, 0

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        outcomes = self._inner.write(entity_type, ops)
        self._writes += 1
        if self._writes % self._every == 0:
            raise LedgerError(ErrorKind.UNAVAILABLE, "connection dropped after the ledger answered")
        return outcomes

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def _populate(engine: Engine) -> None:
    seed(engine, invoices=60, seed=3)
    add_problem_records(engine, 1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("recovery"), _populate) as opened:
        yield opened


def _no_duplicates(stack: Stack) -> None:
    for entity, key in (("Customer", "DisplayName"), ("Invoice", "DocNumber"), ("Payment", "PaymentRefNum")):
        counts = Counter(str(e[key]) for e in stack.ledger_entities(entity))
        assert [k for k, n in counts.items() if n > 1] == [], f"{entity} written twice"


def test_lost_answers_and_a_crash_after_the_ledger_commit_write_nothing_twice(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ledger_sync.tasks import job as job_module

    real_open = job_module.open_ledger
    monkeypatch.setattr(job_module, "open_ledger", lambda *a: LosesAnswers(real_open(*a), every=2))
    lossy = sync_company(company_id=1, ledger="qbo")
    assert lossy["outcome"] == "completed_with_pending"
    pending = company_status(stack.settings, stack.store, 1, "qbo")["entities"]
    assert any(c["pending"] for c in pending.values())  # type: ignore[union-attr]

    # The worker "dies" after the ledger committed a batch but before our transaction does.
    monkeypatch.setattr(job_module, "open_ledger", real_open)
    real_record = StateStore.record_batch

    def dies_after_a_write(self: StateStore, *args: object, **kwargs: object) -> None:
        if kwargs.get("synced"):
            raise RuntimeError("worker killed between the ledger's commit and ours")
        real_record(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(StateStore, "record_batch", dies_after_a_write)
    with pytest.raises(RuntimeError, match="worker killed"):
        sync_company(company_id=1, ledger="qbo")
    monkeypatch.setattr(StateStore, "record_batch", real_record)

    healed = sync_company(company_id=1, ledger="qbo")
    assert healed["outcome"] == "completed"
    recovered = sum(c["recovered"] for c in healed["entities"].values())  # type: ignore[union-attr]
    assert recovered > 0
    _no_duplicates(stack)
    status = company_status(stack.settings, stack.store, 1, "qbo")["entities"]
    assert all(c["pending"] == 0 for c in status.values())  # type: ignore[union-attr]


def test_a_parked_record_is_released_when_its_cause_is_fixed(stack: Stack) -> None:
    """The demo's second "Harbour Dental" is refused (a name taken) and PRB-0002 waits behind it; renamed in
    Service Opus, both sync on the next run."""
    sync_company(company_id=1, ledger="qbo")
    [twin] = [source_id for (kind, source_id) in stack.parked() if kind == "customer"]
    assert any(f"Waiting for customer '{PROBLEM_CUSTOMER}'" in reason for reason in stack.parked().values())
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        session.execute(update(Customer).where(Customer.id == twin).values(display_name="Harbour Dental - Head Office"))
    engine.dispose()
    sync_company(company_id=1, ledger="qbo")
    assert not any("Harbour Dental" in reason for reason in stack.parked().values())
    assert "Harbour Dental - Head Office" in {c["DisplayName"] for c in stack.ledger_entities("Customer")}
    assert "PRB-0002" in {i["DocNumber"] for i in stack.ledger_entities("Invoice")}
    _no_duplicates(stack)


class RefusesAuthorization(LosesAnswers):
    """The refresh token was revoked: the first ledger call fails for good."""

    def list_accounts(self) -> list[object]:
        raise LedgerError(ErrorKind.AUTH, "the qbo authorization was refused (invalid_grant); reconnect the ledger")


def test_a_run_that_dies_on_a_revoked_token_is_recorded(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger_sync.tasks import job as job_module

    real_open = job_module.open_ledger
    monkeypatch.setattr(job_module, "open_ledger", lambda *a: RefusesAuthorization(real_open(*a), every=1))
    with pytest.raises(LedgerError):
        sync_company(company_id=1, ledger="qbo")
    last = company_status(stack.settings, stack.store, 1, "qbo")["last_run"]
    assert last == {"outcome": "needs_reconnect", "kind": "sync"}


def test_a_lock_that_commits_late_with_an_earlier_timestamp_is_not_skipped(stack: Stack) -> None:
    from sqlalchemy import func, select

    from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus

    sync_company(company_id=1, ledger="qbo")
    connection = stack.store.connection(1, "qbo")
    assert connection is not None
    assert stack.store.checkpoint(connection.id, EntityType.INVOICE) is not None
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        last_lock = session.scalar(select(func.max(Invoice.locked_at)))
        assert last_lock is not None
        draft = session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.DRAFT).limit(1)).one()
        draft.status = InvoiceStatus.LOCKED  # its transaction started before the last sync, committed after it
        draft.locked_at = last_lock - timedelta(hours=3)
        number = draft.number
    engine.dispose()
    writes_before = stack.last_request_id()
    sync_company(company_id=1, ledger="qbo")
    assert number in {i["DocNumber"] for i in stack.ledger_entities("Invoice")}
    assert len(stack.writes_since(writes_before)) >= 1
    _no_duplicates(stack)


def test_a_payment_collected_offline_arriving_hours_late_is_synced_by_the_next_run(stack: Stack) -> None:
    from decimal import Decimal

    from sqlalchemy import func, select

    from ledger_sync.connectors.service_opus.models import (
        Invoice,
        InvoiceStatus,
        Payment,
        PaymentMethod,
        PaymentStatus,
    )
    from ledger_sync.events.outbox import collect_payment

    sync_company(company_id=1, ledger="qbo")
    connection = stack.store.connection(1, "qbo")
    assert connection is not None
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        last_collection = session.scalar(select(func.max(Payment.collected_at)))
        assert last_collection is not None
        paid = select(Payment.invoice_id).where(Payment.invoice_id.is_not(None))  # NOT IN a NULL matches nothing
        invoice = session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED, Invoice.id.not_in(paid)).limit(1)
        ).one()
        assert stack.store.mapped(connection.id, EntityType.INVOICE, [invoice.id]), "its invoice is synced"
        payment = Payment(
            company_id=1,
            invoice_id=invoice.id,
            amount=Decimal("1.00"),
            method=PaymentMethod.CASH,
            status=PaymentStatus.PENDING,
        )
        session.add(payment)
        # collected on a phone without signal 3 hours before the last payment the sync has seen
        collect_payment(session, payment, at=last_collection - timedelta(hours=3))
        payment_id = payment.id
    engine.dispose()
    writes_before = stack.last_request_id()
    sync_company(company_id=1, ledger="qbo")
    assert payment_id in stack.store.mapped(connection.id, EntityType.PAYMENT, [payment_id])
    assert len(stack.writes_since(writes_before)) >= 1
    _no_duplicates(stack)
