"""Links to customers and items the ledger already holds: what the admin is asked to review, and the link made once
they accept it.

Books that already exist hold our customers and items under names typed by other hands. Before such a record is
created, `review` proposes its ledger counterpart (`core.matching`); the record then waits, parked for review
(`ParkingCause.REVIEW`, held until the admin decides, whatever changes meanwhile), so nothing is created twice.
A create the ledger refuses because the name is taken (QBO 6240, Xero "already exists") waits the same way
(`name_taken`). Accepting stamps the ledger
record with our external id (`link`; nothing else of it changes, its name neither) and the entity map then holds
it with the Service Opus version it stands for, so it is ours from then on and an unchanged record is not rewritten.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ledger_sync.core.ledger import LedgerError, LedgerListing, LedgerRef
from ledger_sync.core.matching import Proposal, SourceParty, propose
from ledger_sync.core.records import CustomerRecord, EntityType, ItemRecord, LedgerRecord
from ledger_sync.core.snapshots import SourceCustomer, SourceProduct
from ledger_sync.core.sync_state import Parking, ParkingCause, Synced
from ledger_sync.core.transform import customer_record

LINKABLE = (CustomerRecord, ItemRecord)
LinkableRecord = CustomerRecord | ItemRecord
REVIEW_PAGE = "Settings → Integrations → Accounting → Existing records"


class LedgerBooks(Protocol):
    """The half of the ledger protocol that links existing records (`core.ledger.LedgerConnector`)."""

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]: ...

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef: ...


def party(record: LinkableRecord) -> SourceParty:
    if isinstance(record, CustomerRecord):
        return SourceParty(record.source_id, record.external_id, record.display_name, record.email)
    return SourceParty(record.source_id, record.external_id, record.name)


def customer_party(customer: SourceCustomer) -> SourceParty:
    return party(customer_record(customer))


def product_party(product: SourceProduct) -> SourceParty:
    """Only the name and the external id count for matching: the income account is the mapping's, read on accept."""
    return party(ItemRecord(product.id, product.name.strip(), product.description, product.unit_price, ""))


@dataclass(frozen=True)
class Review:
    """One Service Opus record to review: its proposed ledger counterpart, or none for a name the ledger says is
    taken by a record matching could not find (another kind of record: a QBO supplier or employee)."""

    entity_type: EntityType
    party: SourceParty
    proposal: Proposal | None
    ledger_email: str | None = None

    @property
    def reason(self) -> str:
        if self.proposal is None:
            return "The name is taken by a record that cannot be linked (another of yours, or not a customer or item)"
        return self.proposal.reason(self.ledger_email)

    def parking(self, ledger_name: str) -> Parking:
        """The record waits for the admin, saying what for and where."""
        noun = self.entity_type.value
        if self.proposal is None:
            what = f"{ledger_name} already has a record named '{self.party.name}' that cannot be linked to it"
            todo = f"rename it in Service Opus or in {ledger_name}, or pick the {noun} to link it to under"
        else:
            what = f"{ledger_name} may already have this {noun}: '{self.proposal.ledger_name}' ({self.reason})"
            todo = f"accept the link or create a new {noun} under"
        return Parking(
            self.party.source_id,
            ParkingCause.REVIEW,
            f"{what}. Nothing is written until you decide: {todo} {REVIEW_PAGE}",
        )


def review(
    books: LedgerBooks,
    entity_type: EntityType,
    parties: Sequence[SourceParty],
    *,
    collided: Collection[int] = (),
) -> list[Review]:
    """The records with a proposed counterpart among every one the ledger holds of the type (one paged read), and
    those in `collided` (their name is taken) whether or not one was found."""
    if not parties:
        return []
    listings = books.list_existing(entity_type)
    emails = {listing.id: listing.email for listing in listings}
    proposals = {p.source_id: p for p in propose(parties, listings)}
    reviews = []
    for source in parties:
        proposal = proposals.get(source.source_id)
        if proposal is not None or source.source_id in collided:
            reviews.append(Review(entity_type, source, proposal, emails.get(proposal.ledger_id) if proposal else None))
    return reviews


def name_taken(record: LinkableRecord, error: LedgerError, ledger_name: str) -> Parking:
    """A create the ledger refused because the name is taken: it waits for review (a proposal follows), in the
    ledger's words. Held while its content is the one refused (`fingerprint`): renamed in Service Opus, it is sent
    again at once."""
    noun = record.entity_type.value
    return Parking(
        record.source_id,
        ParkingCause.REVIEW,
        f"{ledger_name} refused this {noun}: {error.message}. The name is taken: rename it (here or in {ledger_name}), "
        f"or link it to the {noun} that holds the name, under {REVIEW_PAGE}",
        detail=f"{error.kind.value} {error.code or ''}".strip(),
        fingerprint=record.content_hash,
    )


def create_new(parking: Parking, now: datetime) -> Parking:
    """The admin said the record is not in the ledger: it is created by the next sync, as a deliberate resend (a
    refusal whose window has passed: `engine.push.deliberate_resend`), so it goes with a fresh idempotency key and
    the vendor cannot replay the refusal of its first create (QBO replays a Fault for a reused `requestid`)."""
    return Parking(
        parking.source_id,
        ParkingCause.LEDGER,
        f"To be created as a new record by the next sync (decided under {REVIEW_PAGE})",
        parking.detail,
        retry_after=now,
    )


def link(books: LedgerBooks, record: LinkableRecord, ledger_id: str) -> Synced:
    """Stamp the ledger record with ours (idempotent: a re-run after a lost answer finds the stamp) and return the
    entity map row that makes it ours, holding this Service Opus version so it is not rewritten unchanged."""
    ref = books.stamp(record, ledger_id)
    return Synced(record.source_id, ref.id, ref.sync_token, record.content_hash)
