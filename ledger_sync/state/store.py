"""The state store's operations, as the sync uses them. Each method is one transaction.

`record_batch` is the heart of exactly-once: the entity map, the parked records and the checkpoint of
one ledger batch commit together, so a crash leaves either all of it or none of it.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Row, delete, func, insert, select
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
    SyncRun,
    WriteIntent,
    utcnow,
)
from ledger_sync.state.tokens import TokenCipher, store_tokens

RowT = TypeVar("RowT", EntityMapEntry, WriteIntent)


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
        self,
        model: type[RowT],
        columns: Sequence[str],
        connection_id: int,
        entity_type: EntityType,
        source_ids: Iterable[int],
    ) -> list[Row[Any]]:
        """`columns` of a per-record table's rows for these source ids, in IN lists of bounded size: plain rows, no
        ORM objects (a page reads hundreds, and building them cost more than the query)."""
        found: list[Row[Any]] = []
        selected = [getattr(model, name) for name in columns]
        with self.sessions() as session:
            for chunk in chunked(sorted(set(source_ids))):
                found += session.execute(
                    select(*selected).where(
                        model.connection_id == connection_id,
                        model.entity_type == entity_type.value,
                        model.source_id.in_(chunk),
                    )
                )
        return found

    def mapped(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, MappedEntity]:
        columns = ("source_id", "ledger_id", "sync_token", "content_hash", "document")
        rows = self._rows_for(EntityMapEntry, columns, connection_id, entity_type, source_ids)
        return {r.source_id: MappedEntity(r.ledger_id, r.sync_token, r.content_hash, r.document) for r in rows}

    def parked(self, connection_id: int, entity_type: EntityType) -> dict[int, Parking]:
        with self.sessions() as session:
            rows = session.scalars(
                select(ParkedRecord).where(
                    ParkedRecord.connection_id == connection_id, ParkedRecord.entity_type == entity_type.value
                )
            )
            return {
                r.source_id: Parking(
                    r.source_id, ParkingCause(r.cause), r.reason, r.detail, r.fingerprint, r.retry_after, r.ignored_note
                )
                for r in rows
            }

    def record_batch(
        self,
        connection_id: int,
        entity_type: EntityType,
        *,
        synced: Sequence[Synced] = (),
        parked: Sequence[Parking] = (),
        checkpoint: Cursor | None = None,
        removed_payments: Sequence[Parking] = (),
    ) -> None:
        """Commit one batch's results together: entity map rows, parked rows, cleared intents, the checkpoint, and
        the payments the ledger removed with the invoices voided in this batch (see `requeue`)."""
        kind = entity_type.value
        with session_scope(self.sessions) as session:
            self._requeue(session, connection_id, EntityType.PAYMENT.value, removed_payments)
            touched = [s.source_id for s in synced] + [p.source_id for p in parked]
            if touched:
                existing_parked = {
                    r.source_id: r
                    for r in session.scalars(
                        select(ParkedRecord).where(
                            ParkedRecord.connection_id == connection_id,
                            ParkedRecord.entity_type == kind,
                            ParkedRecord.source_id.in_(touched),
                        )
                    )
                }
            else:
                existing_parked = {}
            if synced:
                entries = {
                    r.source_id: r
                    for r in session.scalars(
                        select(EntityMapEntry).where(
                            EntityMapEntry.connection_id == connection_id,
                            EntityMapEntry.entity_type == kind,
                            EntityMapEntry.source_id.in_([s.source_id for s in synced]),
                        )
                    )
                }
                new_entries = []
                for item in synced:
                    entry = entries.get(item.source_id)
                    if entry is None:
                        new_entries.append(
                            {
                                "connection_id": connection_id,
                                "entity_type": kind,
                                "source_id": item.source_id,
                                "ledger_id": item.ledger_id,
                                "sync_token": item.sync_token,
                                "content_hash": item.content_hash,
                                "document": item.document,
                            }
                        )
                    else:
                        entry.ledger_id, entry.sync_token = item.ledger_id, item.sync_token
                        entry.content_hash, entry.document = item.content_hash, item.document
                    if (released := existing_parked.pop(item.source_id, None)) is not None:
                        session.delete(released)
                if new_entries:  # one bulk insert, no ORM object per record
                    session.execute(insert(EntityMapEntry), new_entries)
            for park in parked:
                row = existing_parked.get(park.source_id)
                if row is None:
                    row = ParkedRecord(
                        connection_id=connection_id, entity_type=kind, source_id=park.source_id, attempts=0
                    )
                    session.add(row)
                row.cause, row.reason, row.detail = park.cause, park.reason, park.detail
                row.fingerprint, row.retry_after = park.fingerprint, park.retry_after
                row.attempts = (row.attempts or 0) + 1
                row.last_attempt_at = utcnow()
            self._delete_intents(session, connection_id, kind, touched)
            if checkpoint is not None:
                self._advance(session, connection_id, kind, checkpoint)

    def intents(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> dict[int, Intent]:
        """Creates sent earlier whose outcome was never learned, by source id."""
        columns = ("source_id", "content_hash", "idempotency_key", "first_sent_at")
        rows = self._rows_for(WriteIntent, columns, connection_id, entity_type, source_ids)
        return {r.source_id: Intent(r.source_id, r.content_hash, r.idempotency_key, r.first_sent_at) for r in rows}

    def add_intents(self, connection_id: int, entity_type: EntityType, intents: Sequence[Intent]) -> None:
        """Record creates about to be sent (committed before they go out); a newer intent replaces an older."""
        if not intents:
            return
        with session_scope(self.sessions) as session:
            self._delete_intents(session, connection_id, entity_type.value, [i.source_id for i in intents])
            session.execute(  # one bulk insert, no ORM object per record
                insert(WriteIntent),
                [
                    {
                        "connection_id": connection_id,
                        "entity_type": entity_type.value,
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
            with session_scope(self.sessions) as session:
                self._delete_intents(session, connection_id, entity_type.value, list(source_ids))

    @staticmethod
    def _delete_intents(session: Session, connection_id: int, kind: str, source_ids: list[int]) -> None:
        if source_ids:
            session.execute(
                delete(WriteIntent).where(
                    WriteIntent.connection_id == connection_id,
                    WriteIntent.entity_type == kind,
                    WriteIntent.source_id.in_(source_ids),
                )
            )

    def release(self, connection_id: int, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        """Forget parked rows whose records no longer need syncing (e.g. an invoice voided since)."""
        ids = list(source_ids)
        if not ids:
            return
        with session_scope(self.sessions) as session:
            session.execute(
                delete(ParkedRecord).where(
                    ParkedRecord.connection_id == connection_id,
                    ParkedRecord.entity_type == entity_type.value,
                    ParkedRecord.source_id.in_(ids),
                )
            )

    def requeue(self, connection_id: int, entity_type: EntityType, parkings: Sequence[Parking]) -> None:
        """Records missing from the ledger: their entity map rows and intents go and they are parked (cause
        MISSING), in one transaction, so the next run's retries create them again."""
        if parkings:
            with session_scope(self.sessions) as session:
                self._requeue(session, connection_id, entity_type.value, parkings)

    def _requeue(self, session: Session, connection_id: int, kind: str, parkings: Sequence[Parking]) -> None:
        """Entity map rows and intents of these records go; they are parked as given."""
        ids = [p.source_id for p in parkings]
        if ids:
            session.execute(
                delete(EntityMapEntry).where(
                    EntityMapEntry.connection_id == connection_id,
                    EntityMapEntry.entity_type == kind,
                    EntityMapEntry.source_id.in_(ids),
                )
            )
            self._delete_intents(session, connection_id, kind, ids)
            session.execute(
                delete(ParkedRecord).where(
                    ParkedRecord.connection_id == connection_id,
                    ParkedRecord.entity_type == kind,
                    ParkedRecord.source_id.in_(ids),
                )
            )
            session.add_all(
                ParkedRecord(
                    connection_id=connection_id,
                    entity_type=kind,
                    source_id=p.source_id,
                    cause=p.cause,
                    reason=p.reason,
                    detail=p.detail,
                    attempts=0,
                    last_attempt_at=utcnow(),
                )
                for p in parkings
            )

    @staticmethod
    def _advance(session: Session, connection_id: int, kind: str, mark: Cursor) -> None:
        row = session.scalar(
            select(Checkpoint).where(Checkpoint.connection_id == connection_id, Checkpoint.entity_type == kind)
        )
        if row is None:
            session.add(Checkpoint(connection_id=connection_id, entity_type=kind, change_no=mark))
        elif row.change_no < mark:
            row.change_no = mark

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
