"""Change numbers are handed out in commit order, so reading past a checkpoint never skips a late commit."""

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.events.outbox import lock_invoice

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
