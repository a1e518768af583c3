"""Corrections: what happens when a record already in the ledger changes in Service Opus.

The rule:
1. A changed record is updated in place: the same ledger record, its content replaced by the current
   Service Opus version (QBO: the current SyncToken, re-read once when it is stale; Xero: POST by its id).
   An invoice unlocked, edited and locked again thus keeps its ledger id, number and payments.
2. Where the ledger refuses to edit it (`ErrorKind.LOCKED`: Xero with a payment or credit note allocated,
   a closed period), the correction is a credit note for the invoice as the ledger holds it plus a new
   invoice for the current version. Until that path exists (credit notes are synced separately), the
   correction is parked with a reason that says what changed, why the ledger refuses and what will
   happen; the invoice in the ledger is left as it was, and the correction is retried like any refusal
   (at once when the invoice changes again, else after the retry window), so removing the allocation in
   the ledger is enough to let it land.

Either way it is as crash-safe as a create: an update carries the record's deterministic idempotency
key, and one whose outcome is unknown is resent on the next run against the same ledger id (a resend
that meets a stale SyncToken because the first one landed is re-read and sent again, with the same
content, so nothing is duplicated).
"""

from datetime import datetime

from ledger_sync.core.ledger import LedgerError, WriteOp
from ledger_sync.core.records import InvoiceRecord
from ledger_sync.core.sync_state import Parking, ParkingCause

CORRECTION_REFUSED = "correction-refused"
"""The parking's detail: a correction the ledger would not take in place (the credit-and-reissue seam)."""


def refused_correction(op: WriteOp, error: LedgerError, ledger_name: str, retry_after: datetime) -> Parking:
    """The parking of an update the ledger refuses to make in place, in words a bookkeeper acts on."""
    record = op.record
    if isinstance(record, InvoiceRecord):
        what = f"Invoice {record.number} changed in Service Opus after it was synced (it now totals {record.total})"
        then = (
            f"It will be corrected with a credit note for the invoice {ledger_name} holds and a new invoice; until "
            f"then the invoice in {ledger_name} is left as it was. To correct it now, remove the allocation in "
            f"{ledger_name} and the next sync updates it in place"
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
