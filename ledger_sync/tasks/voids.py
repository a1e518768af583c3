"""The payments a void removes from the ledger, recorded with the void itself.

Neither ledger voids an invoice while payments are applied to it, so the connector removes them first (QBO
voids them, Xero deletes them). Service Opus no longer books a payment of a voided invoice either, so such a
payment is not re-created: it is kept as skipped (`ParkingCause.REMOVED`), saying what to do about the money.
It is recorded in the commit that records the void (`StoredConnectionState.voids`), so a run killed in between
cannot leave it counted as synced.
"""

from collections.abc import Sequence

from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.engine.candidates import Candidate, Push
from ledger_sync.state.connection_state import VoidRemovals
from ledger_sync.tasks.job import SyncJob


def removed_reason(ledger_name: str, invoice_number: str) -> str:
    return (
        f"Removed from {ledger_name} with voided invoice {invoice_number}: "
        f"refund it or record it as a credit in Service Opus"
    )


def void_removals(job: SyncJob, candidates: Sequence[Candidate]) -> dict[int, VoidRemovals]:
    """For each voided invoice about to be written, our synced payments of it, as they will be parked."""
    voided = {
        c.record.source_id: c.record
        for c in candidates
        if isinstance(c, Push) and isinstance(c.record, InvoiceRecord) and c.record.voided
    }
    if not voided:
        return {}
    paid = job.source.collected_before(sorted(voided))
    synced = job.store.mapped(job.connection.id, EntityType.PAYMENT, [p.id for ps in paid.values() for p in ps])
    removals: dict[int, VoidRemovals] = {}
    for invoice_id, record in voided.items():
        reason = removed_reason(job.ledger_name, record.number)
        parkings = [Parking(p.id, ParkingCause.REMOVED, reason) for p in paid.get(invoice_id, []) if p.id in synced]
        if parkings:
            removals[invoice_id] = VoidRemovals(record.content_hash, parkings)
    return removals
