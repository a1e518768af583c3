"""What the settings page's Sync activity reads and the admin's actions on parked records write.

Runs with their progress, the ledger ids of synced records (for the links that open them in the ledger),
and Retry now / Ignore / Stop ignoring on one parked record. Each function is one transaction; an action
on a record that is no longer parked (it synced meanwhile) changes nothing and says so.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, update

from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunOutcome
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.state.db import session_scope
from ledger_sync.state.links import decide_created_new, send_as_new
from ledger_sync.state.models import ParkedRecord, SyncRun, utcnow
from ledger_sync.state.store import StateStore


@dataclass(frozen=True)
class RunRow:
    """One run as the activity list shows it."""

    id: int
    kind: RunKind
    outcome: RunOutcome
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, object]
    records_done: int
    records_total: int | None

    @property
    def percent(self) -> int | None:
        """How far a run with a known size has got (None when its size is not known up front)."""
        if self.records_total is None:
            return None
        return 100 if self.records_total == 0 else min(100, self.records_done * 100 // self.records_total)


def _row(run: SyncRun) -> RunRow:
    return RunRow(
        run.id,
        RunKind(run.kind),
        RunOutcome(run.outcome),
        run.started_at,
        run.finished_at,
        run.summary,
        run.records_done,
        run.records_total,
    )


def recent_runs(store: StateStore, connection_id: int, limit: int = 10) -> list[RunRow]:
    """The connection's newest runs, newest first."""
    with store.sessions() as session:
        rows = session.scalars(
            select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id.desc()).limit(limit)
        )
        return [_row(run) for run in rows]


def run(store: StateStore, connection_id: int, run_id: int) -> RunRow | None:
    """One run of the connection (None for another connection's run)."""
    with store.sessions() as session:
        row = session.get(SyncRun, run_id)
        return _row(row) if row is not None and row.connection_id == connection_id else None


def set_progress(store: StateStore, run_id: int, done: int) -> None:
    """Record how many source records the run has read so far."""
    with session_scope(store.sessions) as session:
        session.execute(update(SyncRun).where(SyncRun.id == run_id).values(records_done=done))


def set_total(store: StateStore, run_id: int, total: int) -> None:
    """Record how many source records the run will read (a backfill knows it up front)."""
    with session_scope(store.sessions) as session:
        session.execute(update(SyncRun).where(SyncRun.id == run_id).values(records_total=total))


def ledger_ids(
    store: StateStore, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]
) -> dict[int, str]:
    """The ledger id each synced record has, by source id."""
    return {
        source_id: entity.ledger_id
        for source_id, entity in store.mapped(connection_id, entity_type, source_ids).items()
    }


@dataclass(frozen=True)
class ParkedRow:
    """A parked record with what the page and the CSV show of it."""

    entity_type: str
    source_id: int
    cause: str
    reason: str
    detail: str | None
    attempts: int
    parked_at: datetime
    last_attempt_at: datetime
    retry_after: datetime | None
    ignored_note: str | None
    ignored_by: str | None


def parked_rows(store: StateStore, connection_id: int) -> list[ParkedRow]:
    """Every parked record of the connection (ignored ones included), by type and id."""
    with store.sessions() as session:
        rows = session.scalars(
            select(ParkedRecord)
            .where(ParkedRecord.connection_id == connection_id)
            .order_by(ParkedRecord.entity_type, ParkedRecord.source_id)
        )
        return [
            ParkedRow(
                r.entity_type,
                r.source_id,
                r.cause,
                r.reason,
                r.detail,
                r.attempts,
                r.parked_at,
                r.last_attempt_at,
                r.retry_after,
                r.ignored_note,
                r.ignored_by,
            )
            for r in rows
        ]


def _parked(connection_id: int, entity_type: EntityType, source_id: int) -> list[ColumnElement[bool]]:
    return [
        ParkedRecord.connection_id == connection_id,
        ParkedRecord.entity_type == entity_type.value,
        ParkedRecord.source_id == source_id,
    ]


def retry_now(store: StateStore, connection_id: int, entity_type: EntityType, source_id: int) -> bool:
    """Let the next run resend a record the ledger refused at once, even unchanged, and end an Ignore. False when
    it is not parked (any more).

    The refusal's retry window is closed now rather than forgotten: the engine names a deliberate resend by the
    window's end, so the resend gets a fresh idempotency key (QBO replays the first answer for a reused
    `requestid`, which would refuse the fixed record again). A record waiting for the review of a link (its name is
    taken in the ledger) is sent as a new record, as the review page's Create new does: the admin fixed the ledger."""
    now = utcnow()
    with session_scope(store.sessions) as session:
        park = session.scalars(select(ParkedRecord).where(*_parked(connection_id, entity_type, source_id))).first()
        if park is None:
            return False
        if park.cause == ParkingCause.REVIEW:
            send_as_new(park)
            decide_created_new(session, connection_id, entity_type, source_id)
        elif park.retry_after is not None and park.retry_after > now:
            park.retry_after = now
        park.ignored_note, park.ignored_by, park.ignored_at = None, None, None
        return True


def ignore(
    store: StateStore, connection_id: int, entity_type: EntityType, source_id: int, note: str, admin: str
) -> bool:
    """Never write this parked record and count it as skipped, with the admin's note, until undone."""
    with session_scope(store.sessions) as session:
        result = session.execute(
            update(ParkedRecord)
            .where(*_parked(connection_id, entity_type, source_id))
            .values(ignored_note=note, ignored_by=admin, ignored_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def unignore(store: StateStore, connection_id: int, entity_type: EntityType, source_id: int) -> bool:
    """Undo an Ignore: the record is parked with its reason again and retried by the next run."""
    with session_scope(store.sessions) as session:
        result = session.execute(
            update(ParkedRecord)
            .where(*_parked(connection_id, entity_type, source_id), ParkedRecord.ignored_note.is_not(None))
            .values(ignored_note=None, ignored_by=None, ignored_at=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def newly_parked(store: StateStore, connection_id: int, run_id: int) -> list[tuple[str, int, str]]:
    """(entity type, source id, reason) of the records first parked since the run started (ignored ones aside):
    what a notification of the run names. A record parked again, as every run retries it, is not new."""
    with store.sessions() as session:
        started = session.scalar(select(SyncRun.started_at).where(SyncRun.id == run_id))
        if started is None:
            return []
        rows = session.execute(
            select(ParkedRecord.entity_type, ParkedRecord.source_id, ParkedRecord.reason)
            .where(
                ParkedRecord.connection_id == connection_id,
                ParkedRecord.parked_at >= started,
                ParkedRecord.ignored_note.is_(None),
            )
            .order_by(ParkedRecord.entity_type, ParkedRecord.source_id)
        ).tuples()
        return list(rows)
