"""The payments a void removes from the ledger, sent and recorded with the void itself.

Neither ledger voids an invoice while payments are applied to it, so the connector removes them first (QBO
voids them, Xero deletes them). It also removes what it holds of the invoice's payments apart from the invoice: a
deposit whose application was not sent yet, an overpayment whose credit was received when a run died before
allocating it. So the voided invoice's record names every payment of it the ledger may hold (synced, or sent with
an outcome never learned: an intent), by `InvoiceRecord.removes_payments`. Service Opus no longer books a payment
of a voided invoice either, so such a payment is not re-created: it is kept as skipped (`ParkingCause.REMOVED`),
saying what to do about the money. It is recorded in the commit that records the void
(`StoredConnectionState.voids`), so a run killed in between cannot leave it counted as synced.
"""

from collections.abc import Sequence
from dataclasses import replace

from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Candidate, Push, sent_to_ledger
from ledger_sync.state.connection_state import StoredConnectionState, VoidRemovals
from ledger_sync.tasks.job import SyncJob


def removed_reason(ledger_name: str, invoice_number: str) -> str:
    return (
        f"Removed from {ledger_name} with voided invoice {invoice_number}: "
        f"refund it or record it as a credit in Service Opus"
    )


def with_void_removals(
    job: SyncJob, candidates: Sequence[Candidate]
) -> tuple[list[Candidate], dict[int, VoidRemovals]]:
    """The candidates, each voided invoice about to be written naming the payments the ledger may hold of it; and
    for each such invoice those payments, as they will be parked."""
    voided = {
        c.record.source_id: c.record
        for c in candidates
        if isinstance(c, Push) and isinstance(c.record, InvoiceRecord) and c.record.voided
    }
    if not voided:
        return list(candidates), {}
    paid = job.source.collected_before(sorted(voided))
    ids = [p.id for ps in paid.values() for p in ps]
    sent = sent_to_ledger(StoredConnectionState(job.store, job.connection.id), ids, EntityType.PAYMENT)
    removals: dict[int, VoidRemovals] = {}
    records: dict[int, InvoiceRecord] = {}
    for invoice_id, record in voided.items():
        removed = [p.id for p in paid.get(invoice_id, []) if p.id in sent]
        if removed:
            reason = removed_reason(job.ledger_name, record.number)
            parkings = [Parking(payment_id, ParkingCause.REMOVED, reason) for payment_id in removed]
            removals[invoice_id] = VoidRemovals(record.content_hash, parkings)
            records[invoice_id] = replace(record, removes_payments=tuple(removed))
    return [_naming(c, records) for c in candidates], removals


def _naming(candidate: Candidate, records: dict[int, InvoiceRecord]) -> Candidate:
    """The candidate, with its voided invoice's record naming its payments where `records` has it."""
    if isinstance(candidate, Push) and isinstance(candidate.record, InvoiceRecord) and candidate.record.voided:
        return replace(candidate, record=records.get(candidate.source_id, candidate.record))
    return candidate
