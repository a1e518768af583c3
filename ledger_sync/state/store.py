"""The state store's operations, as the sync uses them. Each method is one transaction.

`record_batch` is the heart of exactly-once: the entity map, the parked records and the checkpoint of
one ledger batch commit together, so a crash leaves either all of it or none of it.

The per-batch calls of the write loop (the entity map, intents, parked records, checkpoints) are plain SQL
statements on a connection, no ORM session or objects: a sync makes several per ledger batch of 30 to 50
records, and the ORM's unit of work cost more CPU than the statements themselves.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Row, Select, Table, bindparam, delete, func, insert, select, update
from sqlalchemy import Connection as SqlConnection
from sqlalchemy.orm import Session, sessionmaker

from ledger_sync.core.batching import chunked
from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import FailedRunSummary, RunKind, RunOutcome, RunSummary
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, MappedEntity, Parking, ParkingCause, Synced
from ledger_sync.core.tokens import TokenSet
from ledger_sync.core.tracking import TrackedBy
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine, session_scope, upgrade_state
from ledger_sync.state.models import (
    Checkpoint,
    Connection,
    ConnectionStatus,
    EntityMapEntry,
    Mapping,
    MappingKind,
    ParkedRecord,
    SentBefore,
    SyncRun,
    WriteIntent,
    utcnow,
)
from ledger_sync.state.tokens import TokenCipher, store_tokens

ENTITY_MAP = cast(Table, EntityMapEntry.__table__)
INTENTS = cast(Table, WriteIntent.__table__)
PARKED = cast(Table, ParkedRecord.__table__)
SENT = cast(Table, SentBefore.__table__)
CHECKPOINTS = cast(Table, Checkpoint.__table__)


def _records(table: Table) -> tuple[ColumnElement[bool], ...]:
    """The WHERE clauses of some records' rows in a per-record table; bound at execution (`_bound`)."""
    c = table.c
    return (
        c.connection_id == bindparam("b_connection"),
        c.entity_type == bindparam("b_kind"),
        c.source_id.in_(bindparam("b_ids", expanding=True)),
    )


def _bound(connection_id: int, kind: str, source_ids: Sequence[int]) -> dict[str, Any]:
    return {"b_connection": connection_id, "b_kind": kind, "b_ids": list(source_ids)}


# The write loop's statements, built once: building and keying a statement cost more than running it.
MAPPED = select(
    ENTITY_MAP.c.source_id,
    ENTITY_MAP.c.id,
    ENTITY_MAP.c.ledger_id,
    ENTITY_MAP.c.sync_token,
    ENTITY_MAP.c.content_hash,
    ENTITY_MAP.c.document,
).where(*_records(ENTITY_MAP))
INTENDED = select(
    INTENTS.c.source_id, INTENTS.c.content_hash, INTENTS.c.idempotency_key, INTENTS.c.first_sent_at
).where(*_records(INTENTS))
PARKED_ROWS = select(PARKED.c.source_id, PARKED.c.id, PARKED.c.attempts).where(*_records(PARKED))
PARKED_OF_TYPE = select(
    PARKED.c.source_id,
    PARKED.c.cause,
    PARKED.c.reason,
    PARKED.c.detail,
    PARKED.c.fingerprint,
    PARKED.c.retry_after,
    PARKED.c.ignored_note,
).where(PARKED.c.connection_id == bindparam("b_connection"), PARKED.c.entity_type == bindparam("b_kind"))
SENT_ROWS = select(SENT.c.source_id).where(*_records(SENT))
DELETE = {table.name: delete(table).where(*_records(table)) for table in (ENTITY_MAP, INTENTS, PARKED, SENT)}
INSERT = {table.name: insert(table) for table in (ENTITY_MAP, INTENTS, PARKED, SENT)}
UPDATE_BY_ID = {table.name: update(table).where(table.c.id == bindparam("row_id")) for table in (ENTITY_MAP, PARKED)}
CHECKPOINT_OF = (
    CHECKPOINTS.c.connection_id == bindparam("b_connection"),
    CHECKPOINTS.c.entity_type == bindparam("b_kind"),
)
ADVANCE = (
    update(CHECKPOINTS)
    .where(*CHECKPOINT_OF, CHECKPOINTS.c.change_no < bindparam("b_mark"))
    .values(change_no=bindparam("b_mark"))
)
CHECKPOINT_ROW = select(CHECKPOINTS.c.id).where(*CHECKPOINT_OF)


@dataclass(frozen=True)
class ConnectionInfo:
    id: int
    company_id: int
    ledger: str
    tenant_id: str
    status: str
    has_refresh_token: bool
    refresh_expires_at: datetime | None
    auto_invoice_sync: bool
    auto_payment_sync: bool
    status_reason: str | None = None
    """Why it needs reconnecting, when known (e.g. its tokens cannot be decrypted)."""


@dataclass(frozen=True)
class RunInfo:
    id: int
    kind: RunKind
    outcome: RunOutcome
    started_at: datetime
    finished_at: datetime | None
    summary: dict[str, object]
    report_path: str | None


def _info(row: Connection) -> ConnectionInfo:
    return ConnectionInfo(
        id=row.id,
        company_id=row.company_id,
        ledger=row.ledger,
        tenant_id=row.tenant_id,
        status=row.status,
        has_refresh_token=row.refresh_token_enc is not None,
        refresh_expires_at=row.refresh_expires_at,
        auto_invoice_sync=row.auto_invoice_sync,
        auto_payment_sync=row.auto_payment_sync,
        status_reason=row.status_reason,
    )


def _run_info(row: SyncRun) -> RunInfo:
    kind, outcome = RunKind(row.kind), RunOutcome(row.outcome)
    return RunInfo(row.id, kind, outcome, row.started_at, row.finished_at, row.summary, row.report_path)


class StateStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions: sessionmaker[Session] = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings) -> "StateStore":
        """The configured store, migrated to the newest schema."""
        upgrade_state(settings.resolved_state_url)
        return cls(settings.resolved_state_url)

    def close(self) -> None:
        self.engine.dispose()

    # connections

    def connect(self, company_id: int, ledger: str, tenant_id: str, tokens: TokenSet, cipher: TokenCipher) -> int:
        """Create or re-authorise the company's connection to `ledger`."""
        with session_scope(self.sessions) as session:
            row = session.scalar(
                select(Connection).where(Connection.company_id == company_id, Connection.ledger == ledger)
            )
            if row is None:
                row = Connection(company_id=company_id, ledger=ledger, tenant_id=tenant_id)
                session.add(row)
            row.tenant_id = tenant_id
            store_tokens(row, tokens, cipher)
            session.flush()
            return row.id

    def connection(self, company_id: int, ledger: str) -> ConnectionInfo | None:
        with self.sessions() as session:
            row = session.scalar(
                select(Connection).where(Connection.company_id == company_id, Connection.ledger == ledger)
            )
            return _info(row) if row else None

    def connected(self, company_id: int | None = None) -> list[ConnectionInfo]:
        """Every connected connection, or those of one company, by company and ledger."""
        query = select(Connection).where(Connection.status == ConnectionStatus.CONNECTED)
        if company_id is not None:
            query = query.where(Connection.company_id == company_id)
        with self.sessions() as session:
            return [_info(row) for row in session.scalars(query.order_by(Connection.company_id, Connection.ledger))]

    def connection_by_id(self, connection_id: int) -> ConnectionInfo:
        with self.sessions() as session:
            row = session.get(Connection, connection_id)
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            return _info(row)

    def refresh_token(self, connection_id: int, cipher: TokenCipher) -> str | None:
        """The decrypted refresh token (for revocation only: connectors get tokens via the provider);
        `UnreadableToken` when no configured key opens it."""
        with self.sessions() as session:
            row = session.get(Connection, connection_id)
            return cipher.decrypt(row.refresh_token_enc) if row and row.refresh_token_enc else None

    def disconnect(self, connection_id: int) -> None:
        with session_scope(self.sessions) as session:
            row = session.get(Connection, connection_id)
            if row is not None:
                row.access_token_enc = row.refresh_token_enc = None
                row.access_expires_at = row.refresh_expires_at = None
                row.status, row.status_reason = ConnectionStatus.DISCONNECTED, None

    def set_auto_sync(self, connection_id: int, *, invoices: bool, payments: bool) -> None:
        """The Automatic Invoice Sync and Automatic Payment Sync toggles."""
        with session_scope(self.sessions) as session:
            row = session.get(Connection, connection_id)
            if row is None:
                raise LookupError(f"no connection {connection_id}")
            row.auto_invoice_sync, row.auto_payment_sync = invoices, payments

    # mapping

    def save_mapping(self, connection_id: int, mapping: LedgerMapping, names: dict[str, str]) -> None:
        """Replace the connection's mapping; `names` gives ledger ids their display names."""
        rows = [(MappingKind.ACCOUNT, role.value, ledger_id) for role, ledger_id in mapping.accounts.items()]
        rows += [(MappingKind.CATEGORY, str(k), v) for k, v in mapping.categories.items()]
        rows += [(MappingKind.TAX_RATE, str(k), v) for k, v in mapping.tax_rates.items()]
        rows += [(MappingKind.BANK_ACCOUNT, str(k), v) for k, v in mapping.bank_accounts.items()]
        for by, tracked in mapping.tracking.items():
            rows += [(MappingKind(by.value), str(k), v) for k, v in tracked.items()]
        with session_scope(self.sessions) as session:
            session.execute(delete(Mapping).where(Mapping.connection_id == connection_id))
            session.add_all(
                Mapping(
                    connection_id=connection_id,
                    kind=kind,
                    source_key=key,
                    ledger_id=ledger_id,
                    ledger_name=names.get(ledger_id, ""),
                )
                for kind, key, ledger_id in rows
            )

    def unmap_tax_rate(self, connection_id: int, tax_rate_id: int) -> None:
        with session_scope(self.sessions) as session:
            session.execute(
                delete(Mapping).where(
                    Mapping.connection_id == connection_id,
                    Mapping.kind == MappingKind.TAX_RATE,
                    Mapping.source_key == str(tax_rate_id),
                )
            )

    def load_mapping(self, connection_id: int) -> LedgerMapping:
        with self.sessions() as session:
            rows = session.scalars(select(Mapping).where(Mapping.connection_id == connection_id)).all()
        mapping = LedgerMapping()
        for row in rows:
            if row.kind == MappingKind.ACCOUNT:
                mapping.accounts[AccountRole(row.source_key)] = row.ledger_id
            elif row.kind == MappingKind.CATEGORY:
                mapping.categories[int(row.source_key)] = row.ledger_id
            elif row.kind == MappingKind.TAX_RATE:
                mapping.tax_rates[int(row.source_key)] = row.ledger_id
            elif row.kind == MappingKind.BANK_ACCOUNT:
                mapping.bank_accounts[int(row.source_key)] = row.ledger_id
            elif row.kind in (MappingKind.BUSINESS_UNIT, MappingKind.TECHNICIAN):
                mapping.tracking.setdefault(TrackedBy(row.kind), {})[int(row.source_key)] = row.ledger_id
        return mapping

    # entity map, parked records and checkpoints

    def _rows_for(
        self, query: Select[Any], connection_id: int, entity_type: EntityType, source_ids: Iterable[int]
    ) -> list[Row[Any]]:
        """`query`'s rows of these records, in IN lists of bounded size."""
        found: list[Row[Any]] = []
        with self.engine.connect() as conn:
            for chunk in chunked(sorted(set(source_ids))):
                found += conn.execute(query, _bound(connection_id, entity_type.value, chunk))
        return found

    def mapped(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        rows = self._rows_for(MAPPED, connection_id, entity_type, source_ids)
        return {r.source_id: MappedEntity(r.ledger_id, r.sync_token, r.content_hash, r.document) for r in rows}

    def parked(self, connection_id: int, entity_type: EntityType) -> dict[int, Parking]:
        with self.engine.connect() as conn:
            return {
                r.source_id: Parking(
                    r.source_id, ParkingCause(r.cause), r.reason, r.detail, r.fingerprint, r.retry_after, r.ignored_note
                )
                for r in conn.execute(PARKED_OF_TYPE, {"b_connection": connection_id, "b_kind": entity_type.value})
            }

    def record_batch(
        self,
        connection_id: int,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced] = (),
        parked: Sequence[Parking] = (),
        checkpoint: Cursor | None = None,
        refused: Sequence[Parking] = (),
        removed_payments: Sequence[Parking] = (),
    ) -> None:
        """Commit one batch's results together: entity map rows, parked rows, cleared intents, the checkpoint, and
        the payments the ledger removed with the invoices voided in this batch (see `requeue`). The intents of
        synced and `refused` records are cleared; those of `parked` ones (parked before anything was sent) are kept:
        an earlier send's outcome is still unknown, and is looked up when the record is written again. `refused`
        records are marked as sent before (`sent_before`)."""
        kind = entity_type.value
        with self.engine.begin() as conn:
            _requeue(conn, connection_id, EntityType.PAYMENT.value, removed_payments)
            if synced:
                in_ledger = [s.source_id for s in synced]
                _map(conn, connection_id, kind, synced)
                _delete(conn, PARKED, connection_id, kind, in_ledger)  # in the ledger now: parked no more
            if parked or refused:
                _park(conn, connection_id, kind, [*parked, *refused])
            _delete(conn, INTENTS, connection_id, kind, [s.source_id for s in synced] + [p.source_id for p in refused])
            _mark_sent(conn, connection_id, kind, [p.source_id for p in refused])
            if checkpoint is not None:
                _advance(conn, connection_id, kind, checkpoint)

    def intents(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        """Creates sent earlier whose outcome was never learned, by source id."""
        rows = self._rows_for(INTENDED, connection_id, entity_type, source_ids)
        return {r.source_id: Intent(r.source_id, r.content_hash, r.idempotency_key, r.first_sent_at) for r in rows}

    def sent_before(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> set[int]:
        """Those of these records the ledger was sent before and refused, or lost after it held them (`SentBefore`)."""
        return {r.source_id for r in self._rows_for(SENT_ROWS, connection_id, entity_type, source_ids)}

    def add_intents(self, connection_id: int, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        """Record creates about to be sent (committed before they go out); a newer intent replaces an older."""
        if not intents:
            return
        kind = entity_type.value
        with self.engine.begin() as conn:
            _delete(conn, INTENTS, connection_id, kind, [i.source_id for i in intents])
            conn.execute(
                INSERT[INTENTS.name],
                [
                    {
                        "connection_id": connection_id,
                        "entity_type": kind,
                        "source_id": i.source_id,
                        "content_hash": i.content_hash,
                        "idempotency_key": i.idempotency_key,
                        "first_sent_at": i.first_sent_at or utcnow(),
                    }
                    for i in intents
                ],
            )

    def forget_intents(self, connection_id: int, entity_type: EntityType, source_ids: Sequence[int]) -> None:
        """Creates the ledger was found not to hold and that will not be sent again (voided since)."""
        if source_ids:
            with self.engine.begin() as conn:
                _delete(conn, INTENTS, connection_id, entity_type.value, list(source_ids))

    def release(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        """Forget parked rows whose records no longer need syncing (e.g. an invoice voided since)."""
        ids = list(source_ids)
        if ids:
            with self.engine.begin() as conn:
                _delete(conn, PARKED, connection_id, entity_type.value, ids)

    def requeue(self, connection_id: int, entity_type: EntityType, parkings: Sequence[Parking]) -> None:
        """Records missing from the ledger: their entity map rows and intents go, they are marked as sent before and
        parked (cause MISSING), in one transaction, so the next run's retries create them again."""
        if parkings:
            with self.engine.begin() as conn:
                _requeue(conn, connection_id, entity_type.value, parkings)

    def checkpoint(self, connection_id: int, entity_type: EntityType) -> Cursor | None:
        with self.sessions() as session:
            row = session.scalar(
                select(Checkpoint).where(
                    Checkpoint.connection_id == connection_id, Checkpoint.entity_type == entity_type.value
                )
            )
            return row.change_no if row else None

    def synced_ids(self, connection_id: int, entity_type: EntityType) -> set[int]:
        """Source ids in the entity map (pushed at some point)."""
        with self.sessions() as session:
            return set(
                session.scalars(
                    select(EntityMapEntry.source_id).where(
                        EntityMapEntry.connection_id == connection_id, EntityMapEntry.entity_type == entity_type.value
                    )
                )
            )

    def counts(self, connection_id: int) -> dict[str, tuple[int, int]]:
        """(synced, parked) per entity type."""
        with self.sessions() as session:
            synced = dict(
                session.execute(
                    select(EntityMapEntry.entity_type, func.count())
                    .where(EntityMapEntry.connection_id == connection_id)
                    .group_by(EntityMapEntry.entity_type)
                )
                .tuples()
                .all()
            )
            parked = dict(
                session.execute(
                    select(ParkedRecord.entity_type, func.count())
                    .where(ParkedRecord.connection_id == connection_id)
                    .group_by(ParkedRecord.entity_type)
                )
                .tuples()
                .all()
            )
        return {t.value: (synced.get(t.value, 0), parked.get(t.value, 0)) for t in EntityType}

    def parked_list(self, connection_id: int) -> list[tuple[str, int, str]]:
        """(entity type, source id, reason) of every parked record, for reports (an ignored one is skipped)."""
        with self.sessions() as session:
            rows = session.execute(
                select(ParkedRecord.entity_type, ParkedRecord.source_id, ParkedRecord.reason)
                .where(ParkedRecord.connection_id == connection_id, ParkedRecord.ignored_note.is_(None))
                .order_by(ParkedRecord.entity_type, ParkedRecord.source_id)
            ).tuples()
            return list(rows)

    # runs

    def start_run(self, connection_id: int, kind: RunKind) -> int:
        with session_scope(self.sessions) as session:
            run = SyncRun(connection_id=connection_id, kind=kind)
            session.add(run)
            session.flush()
            return run.id

    def finish_run(
        self, run_id: int, outcome: RunOutcome, summary: RunSummary | FailedRunSummary, report_path: str | None
    ) -> None:
        with session_scope(self.sessions) as session:
            run = session.get(SyncRun, run_id)
            assert run is not None
            run.outcome, run.summary, run.report_path = outcome, dict(summary), report_path
            run.finished_at = utcnow()

    def last_run(self, connection_id: int) -> RunInfo | None:
        with self.sessions() as session:
            row = session.scalar(
                select(SyncRun).where(SyncRun.connection_id == connection_id).order_by(SyncRun.id.desc()).limit(1)
            )
            return _run_info(row) if row else None


def _delete(conn: SqlConnection, table: Table, connection_id: int, kind: str, source_ids: Sequence[int]) -> None:
    if source_ids:
        conn.execute(DELETE[table.name], _bound(connection_id, kind, source_ids))


def _write_rows(conn: SqlConnection, table: Table, new: list[dict[str, Any]], changed: list[dict[str, Any]]) -> None:
    """Insert the `new` rows and update the `changed` ones (by `row_id`), one statement each."""
    if new:
        conn.execute(INSERT[table.name], new)
    if changed:
        conn.execute(UPDATE_BY_ID[table.name], changed)


def _map(conn: SqlConnection, connection_id: int, kind: str, synced: Sequence[Synced]) -> None:
    """Entity map rows for records now in the ledger: new ones inserted, known ones updated, each in one statement."""
    known = {
        r.source_id: r.id for r in conn.execute(MAPPED, _bound(connection_id, kind, [s.source_id for s in synced]))
    }
    new, changed = [], []
    for item in synced:
        values = {
            "ledger_id": item.ledger_id,
            "sync_token": item.sync_token,
            "content_hash": item.content_hash,
            "document": item.document,
        }
        if (row_id := known.get(item.source_id)) is None:
            new.append({"connection_id": connection_id, "entity_type": kind, "source_id": item.source_id, **values})
        else:
            changed.append({"row_id": row_id, **values})
    _write_rows(conn, ENTITY_MAP, new, changed)


def _park(conn: SqlConnection, connection_id: int, kind: str, parked: Sequence[Parking]) -> None:
    """Park these records: a new row each, or the existing one updated and its attempts counted."""
    rows = {
        r.source_id: (r.id, r.attempts)
        for r in conn.execute(PARKED_ROWS, _bound(connection_id, kind, [p.source_id for p in parked]))
    }
    new, changed = [], []
    for park in parked:
        values = {
            "cause": park.cause,
            "reason": park.reason,
            "detail": park.detail,
            "fingerprint": park.fingerprint,
            "retry_after": park.retry_after,
            "last_attempt_at": utcnow(),
        }
        if (row := rows.get(park.source_id)) is None:
            row_of = {"connection_id": connection_id, "entity_type": kind, "source_id": park.source_id}
            new.append({**row_of, "attempts": 1, **values})
        else:
            changed.append({"row_id": row[0], "attempts": (row[1] or 0) + 1, **values})
    _write_rows(conn, PARKED, new, changed)


def _mark_sent(conn: SqlConnection, connection_id: int, kind: str, source_ids: Sequence[int]) -> None:
    """These records were sent before (`SentBefore`): a mark each, once."""
    if source_ids:
        _delete(conn, SENT, connection_id, kind, source_ids)
        conn.execute(
            INSERT[SENT.name],
            [{"connection_id": connection_id, "entity_type": kind, "source_id": i} for i in sorted(set(source_ids))],
        )


def _requeue(conn: SqlConnection, connection_id: int, kind: str, parkings: Sequence[Parking]) -> None:
    """Entity map rows and intents of these records go, marked as sent before; they are parked as given."""
    ids = [p.source_id for p in parkings]
    if not ids:
        return
    _mark_sent(conn, connection_id, kind, ids)
    for table in (ENTITY_MAP, INTENTS, PARKED):
        _delete(conn, table, connection_id, kind, ids)
    conn.execute(
        INSERT[PARKED.name],
        [
            {
                "connection_id": connection_id,
                "entity_type": kind,
                "source_id": p.source_id,
                "cause": p.cause,
                "reason": p.reason,
                "detail": p.detail,
                "attempts": 0,
                "last_attempt_at": utcnow(),
            }
            for p in parkings
        ],
    )


def _advance(conn: SqlConnection, connection_id: int, kind: str, mark: Cursor) -> None:
    """Move the type's checkpoint forward to `mark` (never back): one UPDATE when it moves, as it mostly does."""
    bound = {"b_connection": connection_id, "b_kind": kind}
    if conn.execute(ADVANCE, {**bound, "b_mark": mark}).rowcount:
        return
    if conn.execute(CHECKPOINT_ROW, bound).first() is None:
        conn.execute(insert(CHECKPOINTS).values(connection_id=connection_id, entity_type=kind, change_no=mark))
