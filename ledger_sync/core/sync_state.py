"""What the state store holds per record, as the write engine and the store exchange it."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ParkingCause(StrEnum):
    """Why a record is parked; stored as its value."""

    CHECK = "check"
    """A record-level expectation (or the transform) refused it before any write."""
    LEDGER = "ledger"
    """The ledger refused it (validation or duplicate): resent unchanged only after the retry window."""
    DEPENDENCY = "dependency"
    """Something it needs (its customer, an item, its invoice) is parked itself."""
    WAITING = "waiting"
    """It waits for something to happen in Service Opus (its invoice being locked); nothing to fix."""
    MISSING = "missing"
    """Reconciliation found it missing from the ledger: re-queued, the next run creates it again with a fresh
    idempotency key (`detail` names the reconciliation), since the vendor would replay the first create."""
    REVIEW = "review"
    """The ledger may already hold it (a proposed link, or a name the ledger says is taken): nothing is written
    until the admin accepts a link or asks for a new record on the review page (`core.linking`). A proposal holds it
    whatever changes meanwhile (no `fingerprint`); a name the ledger said is taken holds it while its content is the
    one refused, so a rename in Service Opus sends it again."""
    REMOVED = "removed"
    """A synced payment removed from the ledger with its voided invoice (Service Opus no longer books it): not
    retried, never re-created; shown as skipped, with what the bookkeeper does about the money."""


class RecordState(StrEnum):
    """Where one source record stands, as `status` counts and lists them (in its order)."""

    SYNCED = "synced"
    PARKED = "parked"
    WAITING = "waiting"
    """Parked for something that will happen in Service Opus (its invoice being locked)."""
    SKIPPED = "skipped"
    """Deliberately not synced (a draft, a void, an uncollected payment, a payment removed with its voided
    invoice)."""
    PENDING = "pending"
    """Not seen by a run yet (or its last write's outcome is still unknown)."""


@dataclass(frozen=True)
class MappedEntity:
    """A record's ledger counterpart, as last pushed."""

    ledger_id: str
    sync_token: str | None
    content_hash: str
    document: str | None = None
    """An invoice as it was last written (`core.reissue.document_of`): what a reissue credits in full."""


@dataclass(frozen=True)
class Synced:
    """A record now known to be in the ledger, to enter in the entity map."""

    source_id: int
    ledger_id: str
    sync_token: str | None
    content_hash: str
    document: str | None = None
    """An invoice's record as written (`core.reissue.document_of`); None for other types."""


@dataclass(frozen=True)
class Parking:
    """A record that cannot sync (yet), and why."""

    source_id: int
    cause: ParkingCause
    reason: str
    detail: str | None = None
    fingerprint: str | None = None
    """The content hash the ledger refused (ledger parkings): changed content is resent at once."""
    retry_after: datetime | None = None
    ignored_note: str | None = None
    """Set when an admin chose Ignore on the settings page (why, in their words): never written, counted as
    skipped, until Stop ignoring."""


@dataclass(frozen=True)
class Intent:
    """A create about to be sent, kept until its outcome is known."""

    source_id: int
    content_hash: str
    idempotency_key: str
    first_sent_at: datetime | None = None
    """When it was first recorded (None: now); a reissue is dated by it, so a resumed one keeps its documents."""
