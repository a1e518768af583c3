"""Proposed links to customers and items a ledger already holds, and the admin's decisions (`core.linking`).

A proposal is stored with the record's review parking in one transaction, so a record never waits without a
proposal to decide nor has one while it could be created twice. A decision is final: a record linked or sent to
be created is not proposed again.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true, update
from sqlalchemy.orm import Session

from ledger_sync.core.linking import LedgerBooks, Review, create_new, review
from ledger_sync.core.matching import EXACT_SCORE, SourceParty
from ledger_sync.core.records import EntityType
from ledger_sync.core.sync_state import Parking, ParkingCause, Synced
from ledger_sync.state.db import session_scope
from ledger_sync.state.models import EntityMapEntry, LinkDecision, LinkProposal, ParkedRecord, utcnow
from ledger_sync.state.store import StateStore

PICKED = "picked"
"""The rule of a link the admin chose themselves."""


@dataclass(frozen=True)
class ProposedLink:
    id: int
    entity_type: EntityType
    source_id: int
    source_name: str
    source_email: str | None
    ledger_id: str | None
    ledger_name: str
    rule: str | None
    score: int
    reason: str
    decision: LinkDecision
    proposed_at: datetime

    @property
    def exact(self) -> bool:
        return self.score >= EXACT_SCORE


def _info(row: LinkProposal) -> ProposedLink:
    return ProposedLink(
        row.id,
        EntityType(row.entity_type),
        row.source_id,
        row.source_name,
        row.source_email,
        row.ledger_id,
        row.ledger_name,
        row.rule,
        row.score,
        row.reason,
        LinkDecision(row.decision),
        row.proposed_at,
    )


class LinkStore:
    """One state store's link proposals."""

    def __init__(self, store: StateStore) -> None:
        self._store = store

    def decided(self, connection_id: int, entity_type: EntityType) -> set[int]:
        """Source ids the admin decided about (linked or to be created): never proposed again."""
        return self._ids(connection_id, entity_type, LinkProposal.decision != LinkDecision.PROPOSED)

    def _ids(self, connection_id: int, entity_type: EntityType, condition: ColumnElement[bool]) -> set[int]:
        with session_scope(self._store.sessions) as session:
            return set(
                session.scalars(
                    select(LinkProposal.source_id).where(
                        LinkProposal.connection_id == connection_id,
                        LinkProposal.entity_type == entity_type.value,
                        condition,
                    )
                )
            )

    def propose(self, connection_id: int, entity_type: EntityType, reviews: Sequence[Review], ledger_name: str) -> None:
        """Store each review (replacing an undecided proposal of the same record) and park its record for review."""
        kind = entity_type.value
        with session_scope(self._store.sessions) as session:
            ids = [r.party.source_id for r in reviews]
            rows = {
                row.source_id: row
                for row in session.scalars(
                    select(LinkProposal).where(
                        LinkProposal.connection_id == connection_id,
                        LinkProposal.entity_type == kind,
                        LinkProposal.source_id.in_(ids),
                    )
                )
            }
            parked = {
                row.source_id: row
                for row in session.scalars(
                    select(ParkedRecord).where(
                        ParkedRecord.connection_id == connection_id,
                        ParkedRecord.entity_type == kind,
                        ParkedRecord.source_id.in_(ids),
                    )
                )
            }
            for item in reviews:
                source_id = item.party.source_id
                row = rows.get(source_id)
                if row is not None and row.decision != LinkDecision.PROPOSED:
                    continue
                if row is None:
                    row = LinkProposal(connection_id=connection_id, entity_type=kind, source_id=source_id)
                    session.add(row)
                row.source_name, row.source_email = item.party.name, item.party.email
                proposal = item.proposal
                row.ledger_id = proposal.ledger_id if proposal else None
                row.ledger_name = proposal.ledger_name if proposal else ""
                row.rule = proposal.rule.value if proposal else None
                row.score = proposal.score if proposal else 0
                row.reason, row.decision, row.proposed_at = item.reason, LinkDecision.PROPOSED, utcnow()
                parking = item.parking(ledger_name)
                park = parked.get(source_id)
                collided = park is not None and park.cause == ParkingCause.REVIEW and park.fingerprint is not None
                if park is None:
                    park = ParkedRecord(connection_id=connection_id, entity_type=kind, source_id=source_id, attempts=0)
                    session.add(park)
                if not collided:  # a taken name keeps the ledger's words and its fingerprint (`name_taken`)
                    park.cause, park.reason, park.detail = parking.cause, parking.reason, parking.detail
                    park.fingerprint, park.retry_after = parking.fingerprint, None
                park.attempts = (park.attempts or 0) + 1
                park.last_attempt_at = utcnow()

    def propose_for_collisions(
        self,
        connection_id: int,
        entity_type: EntityType,
        books: LedgerBooks,
        parties: Mapping[int, SourceParty],
        ledger_name: str,
    ) -> None:
        """Proposals for these records when parked for review without one: a create the ledger refused because the
        name is taken (`core.linking.name_taken`). One paged read of the ledger's list, only when there are some."""
        known = self._ids(connection_id, entity_type, true())
        collided = [
            source_id
            for source_id, parking in self._store.parked(connection_id, entity_type).items()
            if parking.cause is ParkingCause.REVIEW and source_id in parties and source_id not in known
        ]
        if collided:
            reviews = review(books, entity_type, [parties[i] for i in collided], collided=collided)
            self.propose(connection_id, entity_type, reviews, ledger_name)

    def pending(self, connection_id: int) -> list[ProposedLink]:
        """Undecided proposals of records not in the entity map, customers then items, best score first."""
        with session_scope(self._store.sessions) as session:
            mapped = select(EntityMapEntry.source_id).where(
                EntityMapEntry.connection_id == connection_id, EntityMapEntry.entity_type == LinkProposal.entity_type
            )
            rows = session.scalars(
                select(LinkProposal)
                .where(
                    LinkProposal.connection_id == connection_id,
                    LinkProposal.decision == LinkDecision.PROPOSED,
                    LinkProposal.source_id.not_in(mapped.scalar_subquery()),
                )
                .order_by(LinkProposal.entity_type, LinkProposal.score.desc(), LinkProposal.source_id)
            )
            return [_info(row) for row in rows]

    def get(self, connection_id: int, proposal_id: int) -> ProposedLink | None:
        with session_scope(self._store.sessions) as session:
            row = session.get(LinkProposal, proposal_id)
            return _info(row) if row is not None and row.connection_id == connection_id else None

    def linked(self, connection_id: int, proposal: ProposedLink, synced: Synced, ledger_name: str, rule: str) -> None:
        """The admin's link, stamped: the entity map holds it (its review parking goes), the proposal is decided."""
        self._store.record_batch(connection_id, proposal.entity_type, synced=[synced])
        with session_scope(self._store.sessions) as session:
            row = session.get(LinkProposal, proposal.id)
            assert row is not None
            row.decision, row.decided_at = LinkDecision.ACCEPTED, utcnow()
            if rule == PICKED:
                row.ledger_id, row.ledger_name, row.rule, row.reason = synced.ledger_id, ledger_name, rule, "Picked"

    def create_new(self, connection_id: int, proposal_id: int) -> None:
        """Not in the ledger, says the admin: the next sync creates the record (`core.linking.create_new`)."""
        with session_scope(self._store.sessions) as session:
            row = session.get(LinkProposal, proposal_id)
            if row is None or row.connection_id != connection_id or row.decision != LinkDecision.PROPOSED:
                return
            row.decision, row.decided_at = LinkDecision.CREATE_NEW, utcnow()
            park = session.scalars(
                select(ParkedRecord).where(
                    ParkedRecord.connection_id == connection_id,
                    ParkedRecord.entity_type == row.entity_type,
                    ParkedRecord.source_id == row.source_id,
                    ParkedRecord.cause == ParkingCause.REVIEW,
                )
            ).one_or_none()
            if park is not None:
                send_as_new(park)


def send_as_new(park: ParkedRecord) -> None:
    """Turn a record waiting for review into one the next sync creates, under a fresh key (`core.linking.create_new`):
    the review page's Create new, and Sync activity's Retry now on such a record."""
    decided = create_new(Parking(park.source_id, ParkingCause.REVIEW, park.reason, park.detail), utcnow())
    park.cause, park.reason, park.fingerprint, park.retry_after = (
        decided.cause,
        decided.reason,
        decided.fingerprint,
        decided.retry_after,
    )


def decide_created_new(session: Session, connection_id: int, entity_type: EntityType, source_id: int) -> None:
    """The record's open proposals are decided Create new (Retry now on a record waiting for review)."""
    session.execute(
        update(LinkProposal)
        .where(
            LinkProposal.connection_id == connection_id,
            LinkProposal.entity_type == entity_type.value,
            LinkProposal.source_id == source_id,
            LinkProposal.decision == LinkDecision.PROPOSED,
        )
        .values(decision=LinkDecision.CREATE_NEW, decided_at=utcnow())
    )
