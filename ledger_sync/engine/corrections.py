"""Corrections: what happens when a record already in the ledger changes in Service Opus.

The rule:
1. A changed record is updated in place: the same ledger record, its content replaced by the current
   Service Opus version (QBO: the current SyncToken, re-read once when it is stale; Xero: POST by its id).
   An invoice unlocked, edited and locked again thus keeps its ledger id, number and payments.
2. Where the ledger refuses to edit it (`ErrorKind.LOCKED`: Xero with a payment or credit note allocated,
   a closed period or a lock date), the correction is a credit note for the invoice as the ledger holds it plus a
   new invoice for the current version (`engine.reissue`, the documents and stamps in `core.reissue`), made step
   by step after its intent is committed. What cannot be reissued is parked with a reason that says what
   changed, why the ledger refuses and what to do (`refused_correction`): an invoice with an invoice discount
   (a credit note carries none), one synced before its written version was kept, one written as a credit note.
   A reissue a step of which the ledger refuses is parked naming that step (`refused_reissue`) and resumed, not
   restarted, when it is retried.

Either way it is as crash-safe as a create: an update carries the record's deterministic idempotency
key, and one whose outcome is unknown is resent on the next run against the same ledger id (a resend
that meets a stale SyncToken because the first one landed is re-read and sent again, with the same
content, so nothing is duplicated).
"""

from datetime import datetime

from ledger_sync.core.ledger import LedgerError, WriteOp, WriteOutcome
from ledger_sync.core.records import InvoiceRecord
from ledger_sync.core.reissue import ReversalApplicationRecord, ReversalRecord
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.reissue import Reissue

CORRECTION_REFUSED = "correction-refused"
"""The parking's detail: a correction the ledger would not take in place and that cannot be reissued."""
REISSUE_REFUSED = "reissue-refused"
"""The parking's detail: a step of a reissue the ledger refused."""


def refused_correction(op: WriteOp, error: LedgerError, ledger_name: str, retry_after: datetime) -> Parking:
    """The parking of an update the ledger refuses to make in place, in words a bookkeeper acts on."""
    record = op.record
    if isinstance(record, InvoiceRecord):
        what = f"Invoice {record.number} changed in Service Opus after it was synced (it now totals {record.total})"
        then = (
            f"It cannot be corrected with a credit note and a new invoice (it has an invoice discount, which a "
            f"credit note cannot carry, or it was synced before the sync kept the invoices it writes), so the "
            f"invoice in {ledger_name} is left as it was. To correct it, remove the allocation or reopen the period "
            f"in {ledger_name} and the next sync updates it in place"
        )
    else:
        what = f"This {record.entity_type.value} changed in Service Opus after it was synced"
        then = f"The {record.entity_type.value} in {ledger_name} is left as it was until it can be edited"
    return Parking(
        source_id=record.source_id,
        cause=ParkingCause.LEDGER,
        reason=f"{what}, but {ledger_name} refuses to edit it: {error.message}. {then}.",
        detail=f"{CORRECTION_REFUSED} {error.kind.value} {error.code or ''}".strip(),
        fingerprint=record.content_hash,
        retry_after=retry_after,
    )


def refused_reissue(outcome: WriteOutcome, job: Reissue, ledger_name: str, retry_after: datetime) -> Parking:
    """The parking of a reissue one step of which the ledger refused, naming the step and what is done already."""
    error = outcome.error
    assert error is not None
    record, failed = job.record, outcome.op.record
    if isinstance(failed, ReversalApplicationRecord):
        step = f"applying credit note {job.reversal.number} to an invoice"
    elif isinstance(failed, ReversalRecord):
        step = f"the credit note {failed.number} for the invoice it holds"
    else:
        step = f"the new invoice {job.replacement.number}"
    return Parking(
        source_id=record.source_id,
        cause=ParkingCause.LEDGER,
        reason=(
            f"Invoice {job.held.number} changed in Service Opus after it was synced (it now totals {record.total}) "
            f"and {ledger_name} refuses to edit it, so it is being corrected with a credit note for "
            f"{job.held.number} and a new invoice {job.replacement.number}; {ledger_name} refused {step}: "
            f"{error.message}. The steps already taken stay; the next sync after the cause is fixed does the rest"
        ),
        detail=f"{REISSUE_REFUSED} {error.kind.value} {error.code or ''}".strip(),
        fingerprint=record.content_hash,
        retry_after=retry_after,
    )
