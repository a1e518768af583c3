"""Names the ledger says are taken: a customer or item whose create was refused as a duplicate (QBO 6240, Xero
"already exists") waits for review (`core.linking.name_taken`), and here gets its proposal, so the admin sees
which ledger record it probably is (or that none matches) on the review page."""

from collections.abc import Mapping

from ledger_sync.core.linking import review
from ledger_sync.core.matching import SourceParty
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.state.links import LinkStore
from ledger_sync.tasks.job import SyncJob


def propose_for_collisions(job: SyncJob, entity_type: EntityType, parties: Mapping[int, SourceParty]) -> None:
    """Proposals for this page's records parked for review without one yet (one paged read of the ledger's list,
    only when there are some)."""
    if job.scope.dry_run:
        return
    links = LinkStore(job.store)
    known = links.known(job.connection.id, entity_type)
    collided = [
        source_id
        for source_id, parking in job.store.parked(job.connection.id, entity_type).items()
        if parking.cause is ParkingCause.REVIEW and source_id in parties and source_id not in known
    ]
    if collided:
        reviews = review(job.ledger, entity_type, [parties[i] for i in collided], collided=collided)
        links.propose(job.connection.id, entity_type, reviews, job.ledger_name)
