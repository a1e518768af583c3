"""The live sync: what Service Opus's events (a lock, a void, a credit note, a customer edit, a collection, a
failed or charged-back payment, a refund) call for, in the ledger seconds later.

`serve_live` is the long-running process that serves it (`ledger-sync live`, started by `ledger-sync up`). It
follows the Service Opus events on the Prefect server (`events.following`: catching up from the outbox on those a
server restart hid), gathers each company's events for a short moment
(`events.coalesce`: a burst of 50 locks costs one run, not 50) and runs `live_sync` for the batch in its own warm
interpreter, a few companies at a time. A run syncs only the entity types its events call for
(`emitter.EVENT_KINDS`), and only where that type's automatic sync toggle is on: with Automatic Invoice Sync
off, an invoice-locked event syncs nothing. Each run holds its company's slot like any other sync.

The process keeps each connection's ledger chart warm between its runs (`tasks.warm_chart`): the gates check
every run against it, and it is read again once stale, when the mapping changes, when the gates fail on it and
when the ledger refuses a write.

Its runs set their Great Expectations checks aside (`expectations.context.checks_set_aside`: on disk) rather than
validate them and build Data Docs in their report, most of a live run's CPU: the company's next run no longer waits
for them. The process validates them and builds the pages together (`DocsPublisher`) once it is idle, or once they
have waited a minute however busy it is, and when it stops; one that died leaves them on disk to the next
publication, its own when it starts again or any sync's report.
"""

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Literal

from prefect import flow, get_run_logger

from ledger_sync.core.ledger import ErrorKind, LedgerChart, LedgerConnector, LedgerError, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunSummary, SkippedSync
from ledger_sync.events.coalesce import Batch, Coalescer
from ledger_sync.events.emitter import EVENT_KINDS
from ledger_sync.events.following import Follower
from ledger_sync.events.outbox import sent_since
from ledger_sync.expectations.context import checks_set_aside, publish_docs
from ledger_sync.expectations.last_checks import gx_dir
from ledger_sync.flows.hourly import RateLimited, toggled_sync
from ledger_sync.flows.sync import whole
from ledger_sync.limits import RateLimitedLedger
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore
from ledger_sync.tasks.gate import read_ledger_chart
from ledger_sync.tasks.job import SyncJob
from ledger_sync.tasks.warm_chart import WarmCharts, chart_key

log = logging.getLogger(__name__)

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

CHART_TTL_SECONDS = 60.0
"""How long a connection's ledger chart serves its live runs before it is read again: a chart changed in the
ledger (an account or tax rate deactivated) shows at the latest this late in the gates, and at once in a write
the ledger refuses."""

WARM_CHARTS = WarmCharts(CHART_TTL_SECONDS)
"""The charts this process keeps (the live process is one long-running interpreter)."""


class _RefusalWatch(RateLimitedLedger):
    """A rate-limited ledger that forgets the connection's kept chart as soon as the ledger refuses a write: an
    account, tax rate or tracking option changed in the ledger explains many refusals, so the next run reads the
    chart again (any refusal, not only those naming the chart: vendors word them too loosely to tell)."""

    def __init__(self, inner: LedgerConnector, company_id: int, refused: Callable[[], object]) -> None:
        super().__init__(inner, company_id)
        self._refused = refused

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        try:
            outcomes = super().write(entity_type, ops)
        except LedgerError as error:
            if error.kind is ErrorKind.VALIDATION:
                self._refused()
            raise
        if any(o.error is not None and o.error.kind is ErrorKind.VALIDATION for o in outcomes):
            self._refused()
        return outcomes


class WarmChart(RateLimited):
    """A live run's hooks: rate-limited, with the connection's chart kept from its earlier runs (`charts`)."""

    def __init__(self, charts: WarmCharts) -> None:
        self.charts = charts
        self.served_kept = False

    def opened(self, job: SyncJob) -> None:
        job.ledger = _RefusalWatch(job.ledger, job.company_id, lambda: self.charts.forget(chart_key(job)))

    def chart(self, job: SyncJob) -> LedgerChart:
        kept = self.charts.kept(job)
        self.served_kept = kept is not None
        if kept is not None:
            get_run_logger().info(
                "Ledger chart kept from an earlier live run (read again after %.0f s or on a change)",
                self.charts.ttl_seconds,
            )
            return kept
        read_at = self.charts.now()
        chart = read_ledger_chart(whole(job))
        self.charts.keep(job, chart, read_at)
        return chart

    def gate_failed(self, job: SyncJob) -> bool:
        self.charts.forget(chart_key(job))
        return self.served_kept


@flow(name="live-sync")
def live_sync(company_id: int, events: list[OpusEventName], page_size: int = 500) -> list[RunSummary | SkippedSync]:
    """Sync what a company's Service Opus events are about, in each of its connected ledgers."""
    if not events:
        raise ValueError("a live sync needs at least one Service Opus event")
    store = StateStore.open(Settings())
    try:
        ledgers = [c.ledger for c in store.connected(company_id)]
    finally:
        store.close()
    entities = frozenset(EVENT_KINDS[event].syncs for event in events)
    return [
        toggled_sync(company_id, ledger, entities, RunKind.LIVE, page_size, WarmChart(WARM_CHARTS))
        for ledger in ledgers
    ]


@dataclass(frozen=True)
class LiveOptions:
    quiet_seconds: float = 0.5
    """A company's events go once it has been quiet this long..."""
    max_wait_seconds: float = 2.0
    """...or once its first event has waited this long."""
    concurrency: int = 4
    """Companies synced at once (threads of this process); each also holds its company's slot."""
    page_size: int = 500


PUBLISH_WHEN_IDLE_SECONDS = 3.0
"""The set-aside checks are validated once no run has been going for this long..."""
PUBLISH_AT_LATEST_SECONDS = 60.0
"""...or once a run's checks have waited this long, however busy the process is."""


class DocsPublisher:
    """Validates the checks the live runs set aside and builds their Data Docs on a thread of its own, when the
    process is idle (validating beside a run would slow it: one interpreter), batched across runs; at once when
    the process starts (one that died may have left some)."""

    def __init__(self, publish: Callable[[], object], idle_seconds: float, at_latest_seconds: float) -> None:
        self._publish = publish
        self._idle_seconds, self._at_latest_seconds = idle_seconds, at_latest_seconds
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-docs")
        self._waiting_since: float | None = -math.inf
        """When the oldest unpublished run ended (None: nothing waits)."""
        self._busy_at = -math.inf
        self._publishing: Future[None] | None = None

    def run_ended(self, now: float) -> None:
        if self._waiting_since is None:
            self._waiting_since = now

    def tick(self, now: float, idle: bool) -> "Future[None] | None":
        """Publish now if something waits and the process has been idle long enough, or it has waited too long;
        the publication started, if one was."""
        if not idle:
            self._busy_at = now
        if self._waiting_since is None or (self._publishing is not None and not self._publishing.done()):
            return None
        if now - self._busy_at < self._idle_seconds and now - self._waiting_since < self._at_latest_seconds:
            return None
        self._waiting_since = None
        self._publishing = self._thread.submit(self._publish_logged)
        return self._publishing

    def close(self) -> None:
        """Publish what is left (the runs have ended) and stop the thread."""
        self._thread.submit(self._publish_logged)
        self._thread.shutdown(wait=True)

    def _publish_logged(self) -> None:
        try:
            self._publish()
        except Exception:  # a disagreement or a broken GX store: said loudly; the checks not validated stay on disk
            log.exception("live sync: the set-aside Great Expectations checks could not all be validated")


@dataclass(frozen=True)
class _Seen:
    company_id: int
    event: str


@dataclass(frozen=True)
class _Finished:
    company_id: int


def serve_live(stop: threading.Event, options: LiveOptions = LiveOptions()) -> None:
    """Follow Service Opus's events and sync each company's batch until `stop` is set (then let running syncs
    finish). One thread follows the events, this one gathers them, a bounded pool runs the syncs."""
    if options.concurrency < 1:
        raise ValueError("live sync concurrency must be at least 1")
    inbox: queue.Queue[_Seen | _Finished] = queue.Queue()
    coalescer = Coalescer(options.quiet_seconds, options.max_wait_seconds)
    settings = Settings()
    outbox = make_engine(settings.resolved_source_url)
    docs = DocsPublisher(
        partial(publish_docs, gx_dir(settings.home)), PUBLISH_WHEN_IDLE_SECONDS, PUBLISH_AT_LATEST_SECONDS
    )
    events = Follower(partial(sent_since, outbox), lambda event: inbox.put(_Seen(event.company_id, event.event)))
    follower = threading.Thread(target=events.follow_until, args=(stop,), name="live-events")
    follower.start()
    try:
        with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="live-sync") as pool:
            while not stop.is_set():
                due_in = coalescer.next_due_in(time.monotonic())
                _take(inbox, coalescer, docs, wait=1.0 if due_in is None else min(due_in, 1.0))
                for batch in coalescer.due(time.monotonic()):
                    pool.submit(_sync_batch, batch, options.page_size, inbox)
                docs.tick(time.monotonic(), idle=coalescer.idle)
    finally:
        stop.set()
        follower.join()
        outbox.dispose()
        docs.close()


def _take(inbox: "queue.Queue[_Seen | _Finished]", coalescer: Coalescer, docs: DocsPublisher, wait: float) -> None:
    """Everything the inbox holds, waiting up to `wait` seconds for the first item."""
    try:
        item = inbox.get(timeout=max(wait, 0.01))
        while True:
            if isinstance(item, _Seen):
                coalescer.add(item.company_id, item.event, time.monotonic())
            else:
                coalescer.finished(item.company_id)
                docs.run_ended(time.monotonic())
            item = inbox.get_nowait()
    except queue.Empty:
        return


def _sync_batch(batch: Batch, page_size: int, inbox: "queue.Queue[_Seen | _Finished]") -> None:
    """One live-sync run for a company's batch, then the company's next batch may go. A failed run is logged (its
    Prefect run says why), the others go on, and the hourly sync retries what it left."""
    log.info("company %s: %d event(s) -> one live sync", batch.company_id, batch.count)
    try:
        run = live_sync.with_options(flow_run_name=f"live-company-{batch.company_id}")
        with checks_set_aside():  # validated by the process's `DocsPublisher`, not in the run's report
            state = run(
                company_id=batch.company_id, events=sorted(batch.events), page_size=page_size, return_state=True
            )
        if not state.is_completed():
            log.error("live sync of company %s ended %s: %s", batch.company_id, state.name, state.message)
    except Exception:  # the run could not even start (Prefect server away): the hourly sync catches up
        log.exception("live sync of company %s could not run", batch.company_id)
    finally:
        inbox.put(_Finished(batch.company_id))
