"""The ledger chart kept warm in a long-running process (the live sync), so a run does not read it again.

Reading the chart (accounts, tax rates, tracking options, currencies) cost a live run about a quarter of its
time. A kept chart serves a connection's runs for `ttl_seconds`, and only while the connection's mapping is the
one it was read for; the process forgets it at once when the ledger refuses a write (an account or tax rate
deactivated or deleted since would explain it) or a run's gates fail on it. The gates still run on every run,
against the kept chart. Runs of several companies share it from threads.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.mapping import LedgerMapping
from ledger_sync.tasks.job import SyncJob

ChartKey = tuple[str, int, str]
"""The state store's home, the connection's id and the ledger company (tenant) it is connected to."""


def chart_key(job: SyncJob) -> ChartKey:
    return (str(job.settings.home), job.connection.id, job.connection.tenant_id)


@dataclass(frozen=True)
class _Kept:
    chart: LedgerChart
    mapping: LedgerMapping
    read_at: float


class WarmCharts:
    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if ttl_seconds <= 0:
            raise ValueError("a kept ledger chart needs a time to live above 0 seconds")
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._kept: dict[ChartKey, _Kept] = {}
        self._lock = threading.Lock()

    def kept(self, job: SyncJob) -> LedgerChart | None:
        """The job's connection's chart, if one is kept, is fresh and was read for the job's mapping."""
        with self._lock:
            kept = self._kept.get(chart_key(job))
        if kept is None or kept.mapping != job.mapping or self._clock() - kept.read_at >= self.ttl_seconds:
            return None
        return kept.chart

    def keep(self, job: SyncJob, chart: LedgerChart, read_at: float) -> None:
        """`read_at`: the clock before the read (a chart is never younger than the ledger it was read from)."""
        with self._lock:
            self._kept[chart_key(job)] = _Kept(chart, job.mapping, read_at)

    def now(self) -> float:
        return self._clock()

    def forget(self, key: ChartKey) -> bool:
        """Drop the connection's kept chart; True if there was one."""
        with self._lock:
            return self._kept.pop(key, None) is not None
