"""Change numbers are handed out in commit order, so reading past a checkpoint never skips a late commit."""

import threading
import time
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Customer, Invoice, InvoiceLine, InvoiceStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.events.outbox import lock_invoice, unlock_invoice, update_customer, void_invoice

CEILING_SECONDS = 60.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def source(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = (
        f"sqlite:///{tmp_path / 'opus.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_schema_url")
    )
    engine = create_engine(url)
    seed(engine, invoices=30, seed=3)
    yield engine
    engine.dispose()


def _drafts(engine: Engine, n: int) -> list[int]:
    with Session(engine) as session:
        return list(session.scalars(select(Invoice.id).where(Invoice.status == InvoiceStatus.DRAFT).limit(n)))


def _newer(engine: Engine, after: int) -> dict[int, int]:
    read = ServiceOpusSource(engine).invoices(1, after=after, limit=1000)
    return {i.id: i.cursor or 0 for i in read.records}


def _last_change(engine: Engine) -> int:
    return max(i.cursor or 0 for i in ServiceOpusSource(engine).invoices(1, after=None, limit=1000).records)


def _lock(engine: Engine, invoice_id: int) -> None:
    with Session(engine) as session, session.begin():
        lock_invoice(session, session.get_one(Invoice, invoice_id))


def test_a_lock_is_invisible_until_it_commits_and_then_is_past_the_checkpoint(source: Engine) -> None:
    checkpoint = _last_change(source)
    [late] = _drafts(source, 1)
    with Session(source) as session, session.begin():
        lock_invoice(session, session.get_one(Invoice, late))
        session.flush()
        assert _newer(source, checkpoint) == {}  # not committed yet: nothing to read, nothing skipped
    assert late in _newer(source, checkpoint)


def _wait_until_blocked(engine: Engine) -> None:
    """Until some session of this database waits on a lock (the second writer)."""
    deadline = time.monotonic() + CEILING_SECONDS
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            query = (
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
            )
            waiting = conn.execute(text(query)).scalar_one()
            if waiting:
                return
            conn.rollback()
            time.sleep(0.05)
    raise AssertionError("the second writer never waited for the first")


@pytest.mark.postgres
def test_on_postgresql_a_later_writer_waits_so_numbers_follow_commit_order(postgres_schema_url: str) -> None:
    engine = create_engine(postgres_schema_url)
    seed(engine, invoices=30, seed=3)
    checkpoint = _last_change(engine)
    first, second = _drafts(engine, 2)
    with Session(engine) as session, session.begin():
        lock_invoice(session, session.get_one(Invoice, first))
        session.flush()  # `first` holds its change number, uncommitted (a long transaction)
        writer = threading.Thread(target=_lock, args=(engine, second))
        writer.start()
        _wait_until_blocked(engine)
        assert _newer(engine, checkpoint) == {}  # `second` cannot commit a higher number before `first`
    writer.join(CEILING_SECONDS)
    assert not writer.is_alive()
    seen = _newer(engine, checkpoint)
    assert seen[first] < seen[second]
    engine.dispose()


def _locked(engine: Engine) -> Invoice:
    with Session(engine) as session:
        return session.scalars(
            select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED).order_by(Invoice.id).limit(1)
        ).one()


def _change_no(engine: Engine, model: type[Invoice] | type[Customer], row_id: int) -> int:
    with Session(engine) as session:
        number = session.get_one(model, row_id).change_no
        assert number is not None
        return number


def test_an_unlock_edit_relock_is_read_again_past_the_checkpoint_with_its_new_content(source: Engine) -> None:
    invoice_id = _locked(source).id
    checkpoint = _last_change(source)
    with Session(source) as session, session.begin():
        unlock_invoice(session, session.get_one(Invoice, invoice_id))
    assert invoice_id not in _newer(source, checkpoint)  # a draft syncs nothing
    with Session(source) as session, session.begin():
        invoice = session.get_one(Invoice, invoice_id)
        invoice.lines[0].unit_price = Decimal("12.34")
        invoice.discount_percent = Decimal("10")
    edited = _change_no(source, Invoice, invoice_id)
    assert edited > checkpoint
    _lock(source, invoice_id)
    relocked = _newer(source, checkpoint)
    assert relocked[invoice_id] > edited
    (read,) = ServiceOpusSource(source).invoices(1, after=checkpoint, limit=10, ids=[invoice_id]).records
    assert (read.lines[0].unit_price, read.discount_percent) == (Decimal("12.34"), Decimal("10"))


@pytest.mark.parametrize("edit", ["line", "add line", "remove line", "invoice"])
def test_any_edit_of_an_invoice_or_its_lines_takes_a_new_change_number(source: Engine, edit: str) -> None:
    """Service Opus only edits drafts, but an edit that bypasses the unlock is read again all the same."""
    invoice_id = _locked(source).id
    before = _change_no(source, Invoice, invoice_id)
    with Session(source) as session, session.begin():
        invoice = session.get_one(Invoice, invoice_id)
        if edit == "line":
            invoice.lines[0].description = "Corrected description"
        elif edit == "add line":
            first = invoice.lines[0]
            invoice.lines.append(
                InvoiceLine(
                    position=len(invoice.lines) + 1,
                    product_id=first.product_id,
                    category_id=first.category_id,
                    quantity=Decimal("-1"),
                    unit_price=first.unit_price,
                    tax_rate_id=first.tax_rate_id,
                )
            )
        elif edit == "remove line":
            invoice.lines.append(InvoiceLine(**{**_copy(invoice.lines[0]), "position": len(invoice.lines) + 1}))
            session.flush()
            before = invoice.change_no or 0
            invoice.lines.pop()
        else:
            invoice.due_date = date(2026, 12, 31)
    assert _change_no(source, Invoice, invoice_id) > before
    assert invoice_id in _newer(source, before)


def _copy(line: InvoiceLine) -> dict[str, object]:
    names = ("product_id", "category_id", "description", "quantity", "unit_price", "tax_rate_id", "tax_inclusive")
    return {name: getattr(line, name) for name in names}


def test_nothing_changed_takes_no_number(source: Engine) -> None:
    invoice_id = _locked(source).id
    before = _change_no(source, Invoice, invoice_id)
    with Session(source) as session, session.begin():
        invoice = session.get_one(Invoice, invoice_id)
        invoice.number = str(invoice.number)  # the same value
        _ = list(invoice.lines)
        customer = session.get_one(Customer, invoice.customer_id)
        assert update_customer(session, customer, email=customer.email) is None
    assert _change_no(source, Invoice, invoice_id) == before


def test_an_edited_customer_is_read_past_the_checkpoint(source: Engine) -> None:
    read = ServiceOpusSource(source).customers_changed(1, after=None, limit=10_000).records
    assert [c.cursor for c in read] == sorted(c.cursor or 0 for c in read) and len(read) == 8
    checkpoint = _last_change(source)
    assert ServiceOpusSource(source).customers_changed(1, after=checkpoint, limit=10).records == []
    with Session(source) as session, session.begin():
        update_customer(session, session.get_one(Customer, read[2].id), display_name="Renamed Ltd.")
    (changed,) = ServiceOpusSource(source).customers_changed(1, after=checkpoint, limit=10).records
    assert (changed.id, changed.display_name) == (read[2].id, "Renamed Ltd.")
    assert (changed.cursor or 0) > checkpoint


def test_a_void_takes_a_new_change_number_and_records_when(source: Engine) -> None:
    invoice_id = _locked(source).id
    before = _change_no(source, Invoice, invoice_id)
    with Session(source) as session, session.begin():
        void_invoice(session, session.get_one(Invoice, invoice_id), at=datetime(2026, 5, 1, 9))
    with Session(source) as session:
        invoice = session.get_one(Invoice, invoice_id)
        assert (invoice.status, invoice.voided_at) == (InvoiceStatus.VOID, datetime(2026, 5, 1, 9))
        assert (invoice.change_no or 0) > before
