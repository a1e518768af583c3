"""State store tables (SQLAlchemy 2). Schema changes go through Alembic: `ledger-sync db upgrade`.

Tokens are stored encrypted (see `ledger_sync.state.tokens`); nothing here holds a secret in clear.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from ledger_sync.core.runs import RunKind, RunOutcome

ENTITY_TYPE_LENGTH = 32
"""Room for every `EntityType` value (the longest, `credit_application`, has 18 characters; migration 0009)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class StateBase(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class ConnectionStatus(StrEnum):
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"
    DISCONNECTED = "disconnected"


class Connection(StateBase):
    """One company's link to one ledger (a QBO realm or a Xero tenant) and its tokens."""

    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("company_id", "ledger"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(Integer, index=True)
    ledger: Mapped[str] = mapped_column(String(16))
    tenant_id: Mapped[str] = mapped_column(String(64))
    """QBO realmId or Xero tenant id."""
    status: Mapped[str] = mapped_column(String(32), default=ConnectionStatus.CONNECTED)
    status_reason: Mapped[str | None] = mapped_column(Text)
    """Why it needs reconnecting, when we know better than "the ledger refused it" (an unreadable token)."""
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    auto_invoice_sync: Mapped[bool] = mapped_column(default=False)
    auto_payment_sync: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class MappingKind(StrEnum):
    ACCOUNT = "account"
    """source_key: sales_income | tax_payment | undeposited_funds | tips | processing_fees"""
    CATEGORY = "category"
    """source_key: Service Opus product category id -> income account"""
    TAX_RATE = "tax_rate"
    """source_key: Service Opus tax rate id -> ledger tax code / tax type"""
    BANK_ACCOUNT = "bank_account"
    """source_key: Service Opus bank account id -> ledger bank or payment clearing account"""
    BUSINESS_UNIT = "business_unit"
    """source_key: Service Opus business unit id -> ledger tracking option (QBO department or class, Xero option)"""
    TECHNICIAN = "technician"
    """source_key: Service Opus technician id -> ledger line tracking option (QBO class, Xero option)"""


class Mapping(StateBase):
    __tablename__ = "mappings"
    __table_args__ = (UniqueConstraint("connection_id", "kind", "source_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    source_key: Mapped[str] = mapped_column(String(64))
    ledger_id: Mapped[str] = mapped_column(String(64))
    ledger_name: Mapped[str] = mapped_column(String(500), default="")


class EntityMapEntry(StateBase):
    """A source record known to be in the ledger, and the version of it that was pushed."""

    __tablename__ = "entity_map"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    source_id: Mapped[int]
    ledger_id: Mapped[str] = mapped_column(String(64))
    sync_token: Mapped[str | None] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str | None] = mapped_column(Text)
    """An invoice as last written (`core.reissue.document_of`), for the credit note that reverses it."""
    synced_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WriteIntent(StateBase):
    """A create sent (or about to be sent) whose outcome is not known yet.

    Committed before the write goes out and deleted in the same transaction that records the outcome,
    so after a crash or an ambiguous failure the next run knows to look the record up by its external
    id in the ledger before creating it again.
    """

    __tablename__ = "write_intents"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    source_id: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    first_sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class SentBefore(StateBase):
    """A record whose create was sent and refused, or that went missing from the ledger after it was written.

    The ledger may hold some of its steps (a Xero payout's fees spent, its transfer refused), so its next create is
    never handed to a connector as fresh (`WriteOp.fresh`): the connector looks up what the earlier attempt made.
    Kept while its connection is: a parked row is released when its record no longer needs a sync, and the record
    may need one again later.
    """

    __tablename__ = "sent_before"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    source_id: Mapped[int]


class Checkpoint(StateBase):
    """How far extraction has got for one entity type: every change number up to `change_no` is done."""

    __tablename__ = "checkpoints"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    change_no: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ParkedRecord(StateBase):
    """A record that could not sync, with a reason a bookkeeper understands. Retried every run."""

    __tablename__ = "parked_records"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    source_id: Mapped[int]
    cause: Mapped[str] = mapped_column(String(16))
    """check (failed an expectation) | ledger (the ledger refused it) | dependency (waits on another record)"""
    reason: Mapped[str] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)
    """The ledger's own message or code, for support."""
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    """Content hash of what the ledger refused: the same content is not resent before `retry_after`."""
    retry_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=1)
    parked_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    ignored_note: Mapped[str | None] = mapped_column(Text)
    """An admin's Ignore (the note they gave): the record is never written and counts as skipped until undone."""
    ignored_by: Mapped[str | None] = mapped_column(String(255))
    ignored_at: Mapped[datetime | None]


class SyncRun(StateBase):
    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default=RunKind.SYNC)
    """A `RunKind`."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(32), default=RunOutcome.RUNNING)
    """A `RunOutcome`."""
    summary: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    report_path: Mapped[str | None] = mapped_column(String(1000))
    records_done: Mapped[int] = mapped_column(default=0)
    """Source records read so far (moves after every page), for the settings page's progress bar."""
    records_total: Mapped[int | None]
    """What the run will read, when known up front (a backfill's range)."""


class PendingAuthorization(StateBase):
    """A ledger authorization in flight, single use: the `state` sent to the provider with its PKCE
    verifier, or tokens waiting for the admin to pick a Xero organisation. Secrets are encrypted."""

    __tablename__ = "pending_authorizations"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    """The OAuth `state` while consent is pending; a fresh random key while a tenant is being picked."""
    company_id: Mapped[int]
    ledger: Mapped[str] = mapped_column(String(16))
    code_verifier_enc: Mapped[str | None] = mapped_column(Text)
    tokens_enc: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AdminSession(StateBase):
    """A signed-in admin, server-side: the cookie carries only the session's random id, and deleting the
    row (logout, sign out everywhere, a changed credential) ends the session wherever the cookie is."""

    __tablename__ = "admin_sessions"
    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    """SHA-256 of the id in the cookie: a copy of this table opens no session."""
    username: Mapped[str] = mapped_column(String(255))
    credential: Mapped[str] = mapped_column(String(64))
    """A keyed fingerprint of the credential signed in with: when it changes, the session ends."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class LoginFailure(StateBase):
    """Failed sign-ins of one account or one client address, for throttling (see `web/throttle.py`)."""

    __tablename__ = "login_failures"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    """`account:<sha256 of the name>` or `address:<client address>`."""
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime] = mapped_column(index=True)
    locked_until: Mapped[datetime | None]


class LinkDecision(StrEnum):
    """Where a proposed link to an existing ledger record stands (`core.linking`)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    CREATE_NEW = "create_new"
    """The admin said it is not in the ledger: the record is created like any other."""


class LinkProposal(StateBase):
    """A Service Opus customer or item the ledger may already hold, and what the admin decided about it."""

    __tablename__ = "link_proposals"
    __table_args__ = (UniqueConstraint("connection_id", "entity_type", "source_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connections.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    source_id: Mapped[int]
    source_name: Mapped[str] = mapped_column(String(500))
    source_email: Mapped[str | None] = mapped_column(String(255))
    ledger_id: Mapped[str | None] = mapped_column(String(64))
    """None: the ledger said the name is taken, but matching found nothing to propose."""
    ledger_name: Mapped[str] = mapped_column(String(500), default="")
    rule: Mapped[str | None] = mapped_column(String(32))
    """A `core.matching.MatchRule`, or "picked" when the admin chose the record."""
    score: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str] = mapped_column(String(16), default=LinkDecision.PROPOSED)
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
