"""The live deployment: triggered by Service Opus's events (a lock, a void, a credit note, a customer edit,
a collection, a failed or charged-back payment, a refund).

The deployment trigger (prefect.yaml) passes the company id from the event's resource label. The run
syncs only the entity type the event calls for (`emitter.EVENT_KINDS`), and only if that type's automatic
sync toggle is on: with Automatic Invoice Sync off, an invoice-locked event syncs nothing.
"""

from typing import Literal

from prefect import flow

from ledger_sync.core.runs import RunKind, RunSummary, SkippedSync
from ledger_sync.events.emitter import EVENT_KINDS
from ledger_sync.flows.hourly import toggled_sync
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore

OpusEventName = Literal[
    "service-opus.invoice.locked",
    "service-opus.invoice.voided",
    "service-opus.credit-note.issued",
    "service-opus.customer.updated",
    "service-opus.payment.collected",
    "service-opus.payment.reversed",
    "service-opus.payment.refunded",
    "service-opus.payment.applied",
]


@flow(name="live-sync")
def live_sync(company_id: int, event: OpusEventName, page_size: int = 500) -> list[RunSummary | SkippedSync]:
    """Sync what one Service Opus event is about, in each of the company's connected ledgers."""
    store = StateStore.open(Settings())
    try:
        ledgers = [c.ledger for c in store.connected(company_id)]
    finally:
        store.close()
    entity = frozenset({EVENT_KINDS[event].syncs})
    return [toggled_sync(company_id, ledger, entity, RunKind.LIVE, page_size) for ledger in ledgers]
