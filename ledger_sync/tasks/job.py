"""What one company's sync run holds open, and the task that opens it."""

from dataclasses import dataclass, field

from prefect import task
from prefect.cache_policies import NO_CACHE

from ledger_sync.connectors.registry import get, ledger_label
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.ledger import ErrorKind, LedgerConnector, LedgerError
from ledger_sync.core.mapping import LedgerMapping, SourceTaxRate
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import FailedRunSummary, RunKind, RunOutcome
from ledger_sync.core.scope import SyncScope
from ledger_sync.engine.numbers import RunNumbers
from ledger_sync.engine.push import Carried
from ledger_sync.engine.rehearsal import Rehearsal
from ledger_sync.engine.stats import RunStats
from ledger_sync.ledger_access import open_ledger
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import ConnectionInfo, StateStore


@dataclass
class SyncJob:
    settings: Settings
    company_id: int
    connection: ConnectionInfo
    run_id: int
    store: StateStore
    source: ServiceOpusSource
    ledger: LedgerConnector
    mapping: LedgerMapping
    tax_rates: dict[int, SourceTaxRate]
    """The readable ones."""
    unreadable_tax_rates: dict[int, str]
    """Tax rates holding a value the sync cannot read, and why: invoices using one are parked."""
    home_currency: str
    """The company's home currency in Service Opus, which its ledger must keep its books in too."""
    scope: SyncScope = field(default_factory=SyncScope)
    stats: RunStats = field(default_factory=RunStats)
    checkpoint_held: set[EntityType] = field(default_factory=set)
    """Types with a record whose outcome this run left unknown: their checkpoint must not move past it,
    so later pages of the run do not move it either."""
    carried_writes: dict[EntityType, Carried] = field(default_factory=dict)
    """Partly full batches held back for the next page (see `engine.push.Carried`); written before the run ends."""
    invoice_numbers: RunNumbers = field(default_factory=RunNumbers)
    """The ledger's invoice numbers, read at the run's first check (see `engine.numbers`)."""
    rehearsal: Rehearsal = field(default_factory=Rehearsal)
    """A dry run's pretend ledger, shared by its pages (see `engine.rehearsal`)."""

    @property
    def ledger_name(self) -> str:
        return get(self.connection.ledger).label

    def record_failure(self, failure: Exception) -> None:
        """A run that died still ends in the state store, so `status` never shows it running forever."""
        auth = isinstance(failure, LedgerError) and failure.kind is ErrorKind.AUTH
        outcome = RunOutcome.NEEDS_RECONNECT if auth else RunOutcome.FAILED
        message = failure.message if isinstance(failure, LedgerError) else type(failure).__name__
        self.store.finish_run(self.run_id, outcome, FailedRunSummary(outcome=outcome, error=message), None)

    def close(self) -> None:
        self.ledger.close()
        self.source.engine.dispose()
        self.store.close()
        self.rehearsal.close()


class NotConnected(RuntimeError):
    pass


@task(name="open-job", cache_policy=NO_CACHE)
def open_job(
    settings: Settings, company_id: int, ledger: str, kind: RunKind, scope: SyncScope | None = None
) -> SyncJob:
    """Open the state store, the source and the ledger connector, and record the run's start."""
    store = StateStore.open(settings)
    connection = store.connection(company_id, ledger)
    if connection is None:
        store.close()
        raise NotConnected(f"company {company_id} has no {ledger_label(ledger)} connection yet")
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    ledger_connector = open_ledger(settings, store, connection)  # before the run starts: no run left "running"
    tax_rates = source.read_tax_rates(company_id)
    return SyncJob(
        settings=settings,
        company_id=company_id,
        connection=connection,
        run_id=store.start_run(connection.id, kind),
        store=store,
        source=source,
        ledger=ledger_connector,
        mapping=store.load_mapping(connection.id),
        tax_rates={r.id: r for r in tax_rates.records},
        unreadable_tax_rates={u.id: u.problem for u in tax_rates.unreadable},
        home_currency=source.home_currency(company_id),
        scope=scope or SyncScope(),
    )
