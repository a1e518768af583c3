"""`WriteEngine.push`: the one write loop every entity type goes through.

Unchanged records (same content hash as last pushed) are never written again; each ledger batch's
outcomes, parked records and the checkpoint commit together; the checkpoint only moves past records
known to be in the ledger or parked. Writes whose outcome is unknown stay pending and are retried with
the same idempotency key, after looking them up in the ledger.
"""

import itertools
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import assert_never

from ledger_sync.core.ledger import ErrorKind, LedgerError, LedgerRef, WriteOp, WriteOutcome
from ledger_sync.core.linking import LINKABLE, name_taken
from ledger_sync.core.records import (
    EntityType,
    InvoiceCreditRecord,
    InvoiceRecord,
    LedgerRecord,
    PaymentRecord,
    withdrawn,
)
from ledger_sync.core.reissue import as_written, document_of, invoice_of, reversible
from ledger_sync.core.snapshots import Cursor
from ledger_sync.core.sync_state import Intent, Parking, ParkingCause, Synced
from ledger_sync.engine.candidates import Candidate, Park, Push, Skip, Unneeded, Wait
from ledger_sync.engine.corrections import refused_correction, refused_reissue
from ledger_sync.engine.numbers import RunNumbers, check_numbers, checked
from ledger_sync.engine.ports import ConnectionState, LedgerWriter
from ledger_sync.engine.rehearsal import Rehearsal
from ledger_sync.engine.reissue import Reissue, reissue
from ledger_sync.engine.stats import RunStats, Tally

LEDGER_RETRY = timedelta(hours=24)
"""A record the ledger refused is resent unchanged at most this often (changed content goes at once)."""
KEY_NAMESPACE = uuid.UUID("6f1f3c1e-2b0c-4f57-9a43-5d3e2f0b7a11")
REFUSALS = frozenset({ErrorKind.VALIDATION, ErrorKind.DUPLICATE, ErrorKind.LOCKED})
"""Element errors that say the ledger will not take the record as it is: parked, not retried at once."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tenant:
    """Whose books the engine writes to: idempotency keys are scoped by it, refusals name the ledger."""

    ledger: str
    """The ledger's code (qbo, xero)."""
    tenant_id: str
    ledger_name: str
    """The ledger's name as a bookkeeper knows it."""


class Answer(StrEnum):
    """What one write's outcome settles."""

    WRITTEN = "written"
    REFUSED = "refused"
    UNKNOWN = "unknown"


def answer(outcome: WriteOutcome) -> Answer:
    if outcome.ref is not None:
        return Answer.WRITTEN
    if outcome.error is not None and outcome.error.kind in REFUSALS:
        return Answer.REFUSED
    return Answer.UNKNOWN


def idempotency_key(tenant: Tenant, record: LedgerRecord, resend: str | None = None) -> str:
    """The same record version of the same tenant always gets the same key, so a resend that recovers an
    unknown outcome is deduplicated by the vendor. A deliberate resend gets another (`resend` names why: see
    `deliberate_resend`), since the vendor would replay the first answer (QBO replays the original Fault for a
    reused `requestid`)."""
    name = f"{tenant.ledger}:{tenant.tenant_id}:{record.entity_type}:{record.source_id}:"
    return str(uuid.uuid5(KEY_NAMESPACE, name + record.content_hash + (f":{resend}" if resend else "")))


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Progress:
    """What one push has settled so far, and where its checkpoint may move (None: it must not)."""

    handled: set[int]
    checkpointed: Sequence[Candidate] | None

    def checkpoint(self) -> Cursor | None:
        """The last cursor up to which every checkpointed candidate is handled (ranged runs: None, never moves)."""
        mark = None
        for candidate in self.checkpointed or ():
            if candidate.cursor is None:
                continue
            if candidate.source_id not in self.handled:
                break
            mark = candidate.cursor
        return mark

    def unsettled(self, carried: set[int]) -> bool:
        """Whether a checkpointed candidate is left unhandled (its outcome unknown, or waiting on one), other than the
        `carried` writes (not sent yet: see `Carried`)."""
        return any(
            c.cursor is not None and c.source_id not in self.handled and c.source_id not in carried
            for c in self.checkpointed or ()
        )

    def carry(self, ops: list[WriteOp]) -> "Carried":
        """`ops` held back for the next push, with the candidates from the first of them on (the checkpoint stays
        behind them until they are written)."""
        ids = {op.record.source_id for op in ops}
        candidates = list(self.checkpointed or ())
        first = next((i for i, c in enumerate(candidates) if c.source_id in ids), len(candidates))
        tail = candidates[first:]
        return Carried(ops, tail, {c.source_id for c in tail if c.source_id in self.handled})


@dataclass
class Carried:
    """A push's last, partly full batch (of each kind written apart: `batches`), held back to be filled with the next
    page's writes of the type (one call fewer per page), and written by the next push of the type or by
    `WriteEngine.flush`. Nothing of it was sent; the checkpoint never moves past it until it is written, so a run
    that dies before leaves it to be read again."""

    ops: list[WriteOp]
    candidates: list[Candidate]
    """The checkpointed candidates from the first held-back one on, in order."""
    handled: set[int]
    """Those of `candidates` settled already."""


@dataclass
class WriteEngine:
    """Writes one connection's records to its ledger exactly once."""

    state: ConnectionState
    ledger: LedgerWriter
    tenant: Tenant
    stats: RunStats = field(default_factory=RunStats)
    dry_run: bool = False
    """Write nothing, neither to the ledger nor to the state; count what would be written."""
    rehearsal: Rehearsal | None = None
    """Dry runs: holds what would be written as if written (its view over `state`), so each is counted once."""
    moves_checkpoints: bool = True
    """False for ranged runs (backfills), which re-read a range and must never move the checkpoints."""
    held: set[EntityType] = field(default_factory=set)
    """Types with a record this run left unsettled: their checkpoint stays behind it for the rest of the run,
    so a later page that settles fully does not carry it past (share one set across a run's pushes)."""
    numbers: RunNumbers = field(default_factory=RunNumbers)
    """The ledger's invoice numbers as the run knows them (share one across a run's pushes: read once)."""
    carried: dict[EntityType, Carried] = field(default_factory=dict)
    """Partly full batches held back for the type's next push (share one across a run's pushes; see `Carried`)."""
    clock: Callable[[], datetime] = _utcnow

    def push(
        self,
        entity_type: EntityType,
        candidates: Sequence[Candidate],
        *,
        fill: bool = False,
        needed: frozenset[int] = frozenset(),
    ) -> None:
        """Settle every candidate: parked, unchanged, recovered from an earlier attempt, or written now. A batch held
        back by the type's last push goes first (a record this push plans again goes as planned now, once); with
        `fill`, this push's last batch, if partly full, is held back in turn (nothing may need the type's records
        written before the type's next push or `flush`, but those of `needed`: they are written first, and never held
        back)."""
        handled, parks, ops = self._plan(entity_type, candidates)
        self.stats.add(Tally.PARKED, entity_type, len(parks))
        skipped = [c.source_id for c in candidates if isinstance(c, Skip)]
        if self.dry_run:
            self.stats.add(Tally.WOULD_WRITE, entity_type, len(ops))
            if self.rehearsal is not None:
                self.rehearsal.would_write(entity_type, ops)
            self.stats.add(Tally.SKIPPED, entity_type, len(skipped))
            return
        ops, recovered, gone = self._recover(entity_type, ops)
        numbers = check_numbers(self.ledger, self.numbers, ops, self.tenant.ledger_name, self.clock() + LEDGER_RETRY)
        ops, recovered, parks = numbers.send, [*recovered, *numbers.linked], [*parks, *numbers.parked]
        self.stats.add(Tally.RECOVERED, entity_type, len(numbers.linked))
        self.stats.add(Tally.PARKED, entity_type, len(numbers.parked))
        self.stats.add(Tally.UNKNOWN, entity_type, numbers.pending)
        handled.update(p.source_id for p in numbers.parked)
        handled.update(r.source_id for r in recovered)
        handled.update(gone)
        self.release(entity_type, [*skipped, *gone])
        moves = self.moves_checkpoints and entity_type not in self.held
        before = self.carried.pop(entity_type, Carried([], [], set()))
        progress = _Progress(handled | before.handled, [*before.candidates, *candidates] if moves else None)
        self.state.record_batch(entity_type, synced=recovered, parked=parks, checkpoint=progress.checkpoint())
        resumed = self._begun_reissues(entity_type, ops)
        planned = {op.record.source_id for op in ops}
        ops = [
            *(op for op in before.ops if op.record.source_id not in planned),  # planned again: as it is now
            *(op for op in ops if op.record.source_id not in resumed),
        ]
        self._reissue(list(resumed.values()), progress)
        now, later = batches(ops, self.ledger.max_batch_size, needed, fill=fill)
        for chunk in now:
            self._write(entity_type, chunk, progress)
        if later:
            self.carried[entity_type] = progress.carry(later)
        held_back = self.carried.get(entity_type, Carried([], [], set())).ops
        if progress.unsettled({op.record.source_id for op in held_back}):
            self.held.add(entity_type)

    def flush(self, entity_type: EntityType) -> None:
        """Write the batch the type's last push held back, if any (see `Carried`)."""
        if entity_type in self.carried:
            self.push(entity_type, [])

    def release(self, entity_type: EntityType, source_ids: Iterable[int]) -> None:
        """Parked records that no longer need syncing are forgotten (and counted as skipped)."""
        ids = list(source_ids)
        if not self.dry_run:
            self.state.release(entity_type, ids)
        self.stats.add(Tally.SKIPPED, entity_type, len(ids))

    def _plan(
        self, entity_type: EntityType, candidates: Sequence[Candidate]
    ) -> tuple[set[int], list[Parking], list[WriteOp]]:
        """Split candidates into parked, unchanged (settled without a write) and the writes to make."""
        now = self.clock()
        mapped = self.state.mapped(entity_type, [c.source_id for c in candidates])
        parked_before = self.state.parked(entity_type)
        handled: set[int] = set()
        parks: list[Parking] = []
        ops: list[WriteOp] = []
        for candidate in candidates:
            match candidate:
                case Park(parking=parking):
                    parks.append(parking)
                    handled.add(candidate.source_id)
                case Wait():
                    pass
                case Skip() | Unneeded():
                    handled.add(candidate.source_id)
                case Push(record=record):
                    known = mapped.get(candidate.source_id)
                    record = as_written(record, known)
                    if (before := parked_before.get(candidate.source_id)) is not None and before.ignored_note:
                        handled.add(candidate.source_id)  # an admin ignored it: it stays parked, never written
                        self.stats.add(Tally.SKIPPED, entity_type)
                    elif known is not None and known.content_hash == record.content_hash:
                        handled.add(candidate.source_id)
                        self.stats.add(Tally.UNCHANGED, entity_type)
                    elif _refused_unchanged(parked_before.get(candidate.source_id), record, now) or _in_review(
                        parked_before.get(candidate.source_id), record
                    ):
                        handled.add(candidate.source_id)
                    else:
                        existing = LedgerRef(known.ledger_id, known.sync_token) if known else None
                        prior = parked_before.get(candidate.source_id)
                        key = idempotency_key(self.tenant, record, deliberate_resend(prior))
                        # A parked record may have been refused midway; `_recover` rules out the rest.
                        ops.append(WriteOp(record, key, existing, fresh=known is None and prior is None))
                case _:
                    assert_never(candidate)
        return handled, parks, ops

    def _recover(self, entity_type: EntityType, ops: list[WriteOp]) -> tuple[list[WriteOp], list[Synced], list[int]]:
        """Creates whose earlier attempt has an unknown outcome are looked up by external id before being resent.
        Those, and those sent before (refused, or lost by the ledger since), are not fresh (`WriteOp.fresh`).

        Found as sent: it is in the ledger, record it. Found in an older version: update that one.
        Not found: create it (with the same idempotency key), unless it was voided (an invoice) or reversed (a
        payment) since: then the ledger never
        held it and nothing is sent (its source id is returned as gone, to skip). Lookup failed: leave it
        pending this run.
        """
        creates = {op.record.source_id: op for op in ops if op.existing is None}
        sent = self.state.sent_before(entity_type, [i for i, op in creates.items() if op.fresh])
        ops = [replace(op, fresh=False) if op.record.source_id in sent else op for op in ops]
        intents = self.state.intents(entity_type, creates)
        if not intents:
            return ops, [], []
        try:
            found = self.ledger.find_by_external_id(entity_type, [creates[source_id].record for source_id in intents])
        except LedgerError as exc:
            if exc.kind is ErrorKind.AUTH:
                raise
            log.warning("%d %s records stay pending: lookup failed: %s", len(intents), entity_type, exc)
            self.stats.add(Tally.UNKNOWN, entity_type, len(intents))
            return [op for op in ops if op.record.source_id not in intents], [], []
        remaining: list[WriteOp] = []
        recovered: list[Synced] = []
        gone: list[int] = []
        for op in ops:
            record = op.record
            looked_up = record.source_id in intents
            ref = found.get(record.source_id) if looked_up else None
            if looked_up and ref is None and withdrawn(record):
                gone.append(record.source_id)
            elif ref is None:
                remaining.append(replace(op, fresh=False) if looked_up else op)
            elif intents[record.source_id].content_hash == record.content_hash:
                recovered.append(_synced(record, ref))
            else:
                remaining.append(WriteOp(record, op.idempotency_key, existing=ref))
        self.stats.add(Tally.RECOVERED, entity_type, len(recovered))
        self.state.forget_intents(entity_type, gone)
        return remaining, recovered, gone

    def _write(self, entity_type: EntityType, chunk: list[WriteOp], progress: _Progress) -> None:
        """One ledger call; its outcomes, parked refusals and the checkpoint commit together."""
        now = self.clock()
        creates = [
            Intent(op.record.source_id, op.record.content_hash, op.idempotency_key) for op in chunk if not op.existing
        ]
        self.state.add_intents(entity_type, creates)
        try:
            outcomes = self.ledger.write(entity_type, chunk)
        except LedgerError as exc:
            if exc.kind is ErrorKind.AUTH:
                raise
            log.warning(
                "%d %s writes have an unknown outcome and stay pending: %s", len(chunk), entity_type, exc.message
            )
            self.stats.add(Tally.UNKNOWN, entity_type, len(chunk))
            return
        synced: list[Synced] = []
        refused: list[Parking] = []
        locked: list[Reissue] = []
        for outcome in outcomes:
            record = outcome.op.record
            match answer(outcome):
                case Answer.WRITTEN:
                    assert outcome.ref is not None
                    synced.append(_synced(record, outcome.ref))
                    progress.handled.add(record.source_id)
                    self.stats.add(Tally.UPDATED if outcome.op.existing else Tally.CREATED, entity_type)
                    if checked(record):
                        self.numbers.written(record, outcome.ref.id)
                case Answer.REFUSED if (job := self._reissue_of(outcome, now)) is not None:
                    locked.append(job)
                case Answer.REFUSED:
                    refused.append(self._refusal(outcome, now))
                    progress.handled.add(record.source_id)
                case Answer.UNKNOWN:
                    self.stats.add(Tally.UNKNOWN, entity_type)
        self.stats.add(Tally.PARKED, entity_type, len(refused))
        mark = progress.checkpoint()
        self.state.record_batch(entity_type, synced=synced, parked=[], refused=refused, checkpoint=mark)
        self._reissue(locked, progress)

    def _reissue_of(self, outcome: WriteOutcome, now: datetime) -> Reissue | None:
        """The reissue that makes a correction the ledger refuses to make in place (`engine.reissue`), when it
        can: an invoice (not a void) whose last written version was kept."""
        op, error = outcome.op, outcome.error
        if error is None or error.kind is not ErrorKind.LOCKED or op.existing is None:
            return None
        if type(op.record) is not InvoiceRecord or op.record.voided:
            return None
        held = self.state.mapped(EntityType.INVOICE, [op.record.source_id]).get(op.record.source_id)
        if held is None or held.document is None:
            return None
        return Reissue(op.record, invoice_of(held.document), op.existing, now.date(), op.idempotency_key)

    def _begun_reissues(self, entity_type: EntityType, ops: list[WriteOp]) -> dict[int, Reissue]:
        """Updates of invoices whose reissue began in an earlier run (its intent is still there): resumed, never
        sent as an update (the ledger might take it by now, and the held invoice would be corrected twice);
        dated as when it began."""
        updates = {
            op.record.source_id: op for op in ops if op.existing is not None and type(op.record) is InvoiceRecord
        }
        if entity_type is not EntityType.INVOICE or not updates:
            return {}
        mapped = self.state.mapped(EntityType.INVOICE, updates)
        begun: dict[int, Reissue] = {}
        for source_id, intent in self.state.intents(EntityType.INVOICE, updates).items():
            op, held = updates[source_id], mapped.get(source_id)
            if held is None or held.document is None or op.voids or op.existing is None:
                continue
            assert isinstance(op.record, InvoiceRecord)
            on = (intent.first_sent_at or self.clock()).date()
            begun[source_id] = Reissue(op.record, invoice_of(held.document), op.existing, on, op.idempotency_key)
        return begun

    def _reissue(self, jobs: list[Reissue], progress: _Progress) -> None:
        """Each refused correction made by a credit note and a new invoice, step by step, after its intent is
        committed; the new invoice then takes the held one's place in the entity map."""
        kind = EntityType.INVOICE
        for job in jobs:
            replacement = job.replacement
            key = str(uuid.uuid5(KEY_NAMESPACE, f"{job.update_key}:reissue"))
            intent = self.state.intents(kind, [replacement.source_id]).get(replacement.source_id)
            if intent is None:
                begun = datetime.combine(job.on, self.clock().timetz())
                intent = Intent(replacement.source_id, replacement.content_hash, key, begun)
                self.state.add_intents(kind, [intent])
            try:
                outcome = reissue(self.ledger, job, key)
            except LedgerError as exc:
                if exc.kind is ErrorKind.AUTH:
                    raise
                log.warning("the reissue of invoice %s stays pending: %s", job.record.number, exc.message)
                self.stats.add(Tally.UNKNOWN, kind)
                continue
            synced: list[Synced] = []
            parked: list[Parking] = []
            match answer(outcome):
                case Answer.WRITTEN:
                    assert outcome.ref is not None
                    synced.append(_synced(replacement, outcome.ref))
                    progress.handled.add(replacement.source_id)
                    self.stats.add(Tally.UPDATED, kind)
                case Answer.REFUSED:
                    parked.append(refused_reissue(outcome, job, self.tenant.ledger_name, self.clock() + LEDGER_RETRY))
                    progress.handled.add(replacement.source_id)
                    self.stats.add(Tally.PARKED, kind)
                case Answer.UNKNOWN:
                    self.stats.add(Tally.UNKNOWN, kind)
            self.state.record_batch(kind, synced=synced, parked=[], refused=parked, checkpoint=progress.checkpoint())
            if parked:  # begun: its retry resumes it, never updates the held invoice in place
                self.state.add_intents(kind, [intent])

    def _refusal(self, outcome: WriteOutcome, now: datetime) -> Parking:
        record, error = outcome.op.record, outcome.error
        assert error is not None
        if error.kind is ErrorKind.LOCKED and outcome.op.existing is not None:
            return refused_correction(outcome.op, error, self.tenant.ledger_name, now + LEDGER_RETRY)
        if error.kind is ErrorKind.DUPLICATE and outcome.op.existing is None and isinstance(record, LINKABLE):
            return name_taken(record, error, self.tenant.ledger_name)
        return Parking(
            source_id=record.source_id,
            cause=ParkingCause.LEDGER,
            reason=f"{self.tenant.ledger_name} refused this {record.entity_type.value}: {error.message}",
            detail=f"{error.kind.value} {error.code or ''}".strip(),
            fingerprint=record.content_hash,
            retry_after=now + LEDGER_RETRY,
        )


def _synced(record: LedgerRecord, ref: LedgerRef) -> Synced:
    """A record now in the ledger; an invoice a credit note can reverse is kept as written (`core.reissue`)."""
    document = document_of(record) if reversible(record) and isinstance(record, InvoiceRecord) else None
    return Synced(record.source_id, ref.id, ref.sync_token, record.content_hash, document)


def batches(
    ops: Sequence[WriteOp], size: int, needed: frozenset[int], *, fill: bool
) -> tuple[list[list[WriteOp]], list[WriteOp]]:
    """`ops` in batches of `size` to write now, those a ledger writes apart last (`written_apart`), those of `needed`
    first within each kind; and, with `fill`, those held back for the next push of their type (`Carried`): the last,
    partly full batch of each kind, so a kind's calls are as full as in a run of one page (a Xero batch of payments
    and credit receipts is a call for each). A void (its removals go with its page) or a needed record is never
    held back. Without `fill` the kinds share batches: nothing is left to fill them."""
    ordered = sorted(ops, key=lambda op: (written_apart(op), op.record.source_id not in needed))
    if not fill:
        return [ordered[start : start + size] for start in range(0, len(ordered), size)], []
    now: list[list[WriteOp]] = []
    later: list[WriteOp] = []
    for _, kind in itertools.groupby(ordered, key=written_apart):
        group = list(kind)
        for start in range(0, len(group), size):
            chunk = group[start : start + size]
            if len(chunk) < size and not any(op.voids or op.record.source_id in needed for op in chunk):
                later += chunk
            else:
                now.append(chunk)
    return now, later


def written_apart(op: WriteOp) -> tuple[bool, bool, bool]:
    """What a ledger writes in calls of its own within a batch of the type, as a sort key: those ops go last, together,
    so they share as few batches as they can (the others fill theirs). A negative invoice is a credit note to both
    ledgers (`connectors.ledger_kinds`); a payment that leaves credit is a receipt and an allocation to Xero
    (`connectors.xero.prepayments`); a void is a read and removals first. The sort is stable: order within each
    group is kept."""
    record = op.record
    return (
        isinstance(record, InvoiceCreditRecord),
        isinstance(record, PaymentRecord) and record.credit > 0,
        op.voids,
    )


def deliberate_resend(prior: Parking | None) -> str | None:
    """Why this write is a deliberate resend rather than a first send, or None. A record re-queued by a
    reconciliation (`detail` names it) and a record the ledger refused before (named by the end of its retry
    window, one per refusal) are sent again on purpose: the ledger must see a fresh request. Both stay stable
    until the record settles, so a resend whose own outcome is unknown is still recovered under its key."""
    if prior is None:
        return None
    if prior.cause is ParkingCause.MISSING:
        return f"requeued:{prior.detail}"
    if prior.cause is ParkingCause.LEDGER and prior.retry_after is not None:
        return f"refused-until:{prior.retry_after.isoformat()}"
    return None


def _in_review(prior: Parking | None, record: LedgerRecord) -> bool:
    """Waiting for the admin's review of a link to an existing ledger record (`core.linking`): a proposal whatever
    changes, a taken name while the record is the one refused."""
    return prior is not None and prior.cause is ParkingCause.REVIEW and prior.fingerprint in (None, record.content_hash)


def _refused_unchanged(prior: Parking | None, record: LedgerRecord, now: datetime) -> bool:
    """The ledger refused this very content, and its retry window has not passed yet."""
    return (
        prior is not None
        and prior.cause is ParkingCause.LEDGER
        and prior.fingerprint == record.content_hash
        and prior.retry_after is not None
        and prior.retry_after > now
    )
