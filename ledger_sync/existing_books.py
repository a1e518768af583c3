"""Books that already exist: matching on connect and on demand, and carrying out the admin's decisions.

The glue between Service Opus, the ledger and the link proposals (`core.linking`, `state.links`): matching reads
every Service Opus customer and product not yet linked or decided, and every customer and item of the ledger (one
paged read each), and stores what it proposes, parking the records for review. Accepting stamps the ledger record
and enters it in the entity map; "create new" lets the next sync create the record. Nothing is linked, merged or
renamed in the ledger without an accept.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.ledger import LedgerConnector, LedgerError
from ledger_sync.core.linking import LinkableRecord, customer_party, link, product_party, review
from ledger_sync.core.matching import SourceParty, normalise_name
from ledger_sync.core.records import EntityType
from ledger_sync.core.snapshots import Cursor, SourceCustomer
from ledger_sync.core.transform import TransformProblem, customer_record, item_record
from ledger_sync.state.links import PICKED, LinkStore, ProposedLink
from ledger_sync.state.store import ConnectionInfo, StateStore

CUSTOMER_PAGE = 1000
LINKABLE_TYPES = (EntityType.CUSTOMER, EntityType.ITEM)


@dataclass
class ExistingBooks:
    """One connection's review of the records its ledger already holds."""

    source: ServiceOpusSource
    store: StateStore
    connection: ConnectionInfo
    ledger: LedgerConnector

    def __post_init__(self) -> None:
        self._links = LinkStore(self.store)
        self._label = ledger_label(self.connection.ledger)

    def match(self) -> dict[EntityType, int]:
        """Propose links for every customer and product not linked or decided yet; the number proposed per type."""
        found: dict[EntityType, int] = {}
        for entity_type in LINKABLE_TYPES:
            done = self.store.synced_ids(self.connection.id, entity_type) | self._links.decided(
                self.connection.id, entity_type
            )
            parties = [p for p in self._parties(entity_type) if p.source_id not in done]
            reviews = review(self.ledger, entity_type, parties)
            self._links.propose(self.connection.id, entity_type, reviews, self._label)
            found[entity_type] = len(reviews)
        return found

    def _parties(self, entity_type: EntityType) -> list[SourceParty]:
        company = self.connection.company_id
        if entity_type is EntityType.CUSTOMER:
            return [customer_party(c) for c in self._customers(company)]
        return [product_party(p) for p in self.source.company_products(company).records]

    def _customers(self, company_id: int) -> Iterable[SourceCustomer]:
        after: Cursor | None = None
        while True:
            page = self.source.customers_changed(company_id, after=after, limit=CUSTOMER_PAGE)
            yield from page.records
            cursors = [c.cursor for c in page.records] + [u.cursor for u in page.unreadable]
            if len(cursors) < CUSTOMER_PAGE:
                return
            after = max(c for c in cursors if c is not None)

    def pending(self) -> list[ProposedLink]:
        return self._links.pending(self.connection.id)

    def accept(self, proposal_ids: Iterable[int]) -> list[str]:
        """Link each proposal's record to its ledger counterpart; what could not be linked, in words."""
        problems = []
        for proposal_id in proposal_ids:
            proposal = self._links.get(self.connection.id, proposal_id)
            if proposal is None or proposal.ledger_id is None:
                problems.append(f"Proposal {proposal_id} has no ledger record to link: pick one")
                continue
            problem = self._link(proposal, proposal.ledger_id, proposal.ledger_name, proposal.rule or "")
            if problem:
                problems.append(problem)
        return problems

    def accept_exact(self) -> list[str]:
        """Accept every exact proposal (our stamp, or the same name with no email against it)."""
        return self.accept([p.id for p in self.pending() if p.exact])

    def pick(self, proposal_id: int, wanted: str) -> str | None:
        """Link the proposal's record to the ledger record the admin named (its name, as the ledger spells it, or its
        id) instead of the proposed one; a problem in words, or None."""
        proposal = self._links.get(self.connection.id, proposal_id)
        if proposal is None:
            return f"Proposal {proposal_id} does not exist"
        try:
            record = self._record(proposal)
        except TransformProblem as problem:
            return f"{proposal.source_name}: not linked: {problem}"
        listings = self.ledger.list_existing(proposal.entity_type)
        found = [x for x in listings if x.id == wanted.strip()] or [
            x for x in listings if normalise_name(x.name) == normalise_name(wanted)
        ]
        free = [x for x in found if x.stamp in (None, record.external_id)]
        if len(free) != 1:
            noun = proposal.entity_type.value
            what = "no" if not free else "more than one"
            return f"{self._label} has {what} {noun} named '{wanted}' free to link: give the exact name or its id"
        return self._link(proposal, free[0].id, free[0].name, PICKED, record)

    def _link(
        self, proposal: ProposedLink, ledger_id: str, ledger_name: str, rule: str, record: LinkableRecord | None = None
    ) -> str | None:
        try:
            synced = link(self.ledger, record or self._record(proposal), ledger_id)
        except (TransformProblem, LedgerError) as problem:
            return f"{proposal.source_name}: not linked: {problem}"
        self._links.linked(self.connection.id, proposal, synced, ledger_name, rule)
        return None

    def _record(self, proposal: ProposedLink) -> LinkableRecord:
        """The record as the sync builds it now, so the entity map holds the version that is in the ledger."""
        if proposal.entity_type is EntityType.CUSTOMER:
            customers = self.source.customers([proposal.source_id])
            if proposal.source_id not in customers:
                raise TransformProblem(f"Service Opus no longer has customer {proposal.source_id}")
            return customer_record(customers[proposal.source_id])
        products = self.source.products([proposal.source_id]).records
        if not products:
            raise TransformProblem(f"Service Opus cannot read product {proposal.source_id}")
        return item_record(products[0], self.store.load_mapping(self.connection.id))
