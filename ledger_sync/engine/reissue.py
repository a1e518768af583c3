"""A correction the ledger refuses, made by a credit note for the invoice it holds and a new invoice.

The documents and their stamps are `core.reissue`'s. The steps, each looked up by its stamp before it is taken,
so a run that resumes after a crash or a lost answer does only what is left and nothing twice:
1. the reversal (a credit note with the held invoice's lines and tax, as last written);
2. the reissued invoice (the corrected content, "-R<n>");
3. the reversal's credit applied to the held invoice's open balance (what its payments left unpaid);
4. what is left of the credit (what those payments covered) applied to the reissued invoice, up to its total.
Afterwards the held invoice is closed, its payments stay on it, and the customer's open balance, revenue and tax
are the corrected invoice's: the reissued invoice is open for its total less the old payments, as in Service
Opus. The engine records the write intent before step 1 and enters the reissued invoice in the entity map, in
place of the held one, once step 4 is done.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind, LedgerError, LedgerRef, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType, InvoiceRecord, LedgerRecord
from ledger_sync.core.reissue import ReversalRecord, application, reissued, reversal_of
from ledger_sync.engine.ports import LedgerWriter

ZERO = Decimal("0.00")


class StepFailed(Exception):
    """A step the ledger refused, or whose outcome is unknown: the reissue stops there, with that step's outcome."""

    def __init__(self, outcome: WriteOutcome) -> None:
        super().__init__(str(outcome.error))
        self.outcome = outcome


@dataclass(frozen=True)
class Reissue:
    """One refused correction: `record` (the corrected invoice, as the sync builds it) replaces `held`, the
    invoice the ledger holds at `held_ref`."""

    record: InvoiceRecord
    held: InvoiceRecord
    held_ref: LedgerRef
    on: date
    """The day the correction is made: the date of the credit note, the new invoice and the applications."""
    update_key: str
    """The refused update's idempotency key: the reissue's keys derive from it, so a deliberate resend (after the
    retry window of a refusal) is a fresh request and a resend after an unknown outcome is not."""

    @property
    def replacement(self) -> InvoiceRecord:
        return reissued(self.record, self.held, self.on)

    @property
    def reversal(self) -> ReversalRecord:
        return reversal_of(self.held, self.on)


def reissue(ledger: LedgerWriter, job: Reissue, key: str) -> WriteOutcome:
    """Take whatever steps are left; the outcome is the reissued invoice's (a ref once every step is done), or
    the first step that was refused or left unknown. `key` is the reissued invoice's idempotency key; each other
    step's key is derived from it. A failure of a whole call (a transport error) raises `LedgerError`."""
    replacement, reversal = job.replacement, job.reversal
    try:
        note = _ensure(ledger, reversal, f"{key}:reversal")
        invoice = _ensure(ledger, replacement, key)
        _apply(ledger, reversal, note, job.held, job.held_ref, f"{key}:held")
        _apply(ledger, reversal, note, replacement, invoice, f"{key}:reissued")
    except StepFailed as failed:
        return WriteOutcome(WriteOp(replacement, key, job.held_ref), error=failed.outcome.error)
    return WriteOutcome(WriteOp(replacement, key, job.held_ref), ref=invoice)


def _ensure(ledger: LedgerWriter, record: LedgerRecord, key: str) -> LedgerRef:
    """The record as the ledger holds it (found by its stamp), else created now."""
    found = ledger.find_by_external_id(record.entity_type, [record]).get(record.source_id)
    if found is not None:
        return found
    return _written(ledger, WriteOp(record, key))


def _apply(
    ledger: LedgerWriter,
    reversal: ReversalRecord,
    note: LedgerRef,
    invoice: InvoiceRecord,
    invoice_ref: LedgerRef,
    key: str,
) -> None:
    """As much of the reversal's remaining credit as the invoice's open balance takes (nothing when either is
    spent), unless this application was made already."""
    probe = application(reversal, note.id, invoice_ref.id, ZERO, reversal.issue_date)
    if ledger.find_by_external_id(EntityType.CREDIT_APPLICATION, [probe]):
        return
    amount = min(_balance(ledger, reversal, note), _balance(ledger, invoice, invoice_ref))
    if amount > 0:
        _written(ledger, WriteOp(application(reversal, note.id, invoice_ref.id, amount, reversal.issue_date), key))


def _balance(ledger: LedgerWriter, record: LedgerRecord, ref: LedgerRef) -> Decimal:
    """An invoice's open balance, or a credit note's remaining credit, as the ledger reads it now."""
    snapshots = ledger.read_back(record.entity_type, [record]).get(record.source_id, [])
    for snapshot in snapshots:
        if snapshot.ledger_id == ref.id and snapshot.present:
            return snapshot.balance or ZERO
    unread = LedgerError(ErrorKind.UNAVAILABLE, f"{record.external_id} was not read back from the ledger")
    raise StepFailed(WriteOutcome(WriteOp(record, ""), error=unread))


def _written(ledger: LedgerWriter, op: WriteOp) -> LedgerRef:
    (outcome,) = ledger.write(op.record.entity_type, [op])
    if outcome.ref is None:
        raise StepFailed(outcome)
    return outcome.ref
