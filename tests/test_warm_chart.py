"""The live process keeps a connection's ledger chart between runs: only while it is fresh and read for the
connection's current mapping, and never past a write the ledger refused or gates that failed on it."""

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerChart, LedgerError, WriteOp, WriteOutcome
from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.records import EntityType
from ledger_sync.flows import live
from ledger_sync.tasks.job import SyncJob
from ledger_sync.tasks.warm_chart import WarmCharts, chart_key

CHART = LedgerChart(accounts={}, tax_rates={})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def job(mapping: LedgerMapping | None = None, *, connection_id: int = 1, home: str = "/tmp/a") -> SyncJob:
    connection = SimpleNamespace(id=connection_id, tenant_id="realm-1")
    fake = SimpleNamespace(settings=SimpleNamespace(home=Path(home)), connection=connection, company_id=1)
    fake.mapping = mapping or LedgerMapping(accounts={AccountRole.SALES_INCOME: "1"})
    return cast(SyncJob, fake)


def test_a_kept_chart_serves_its_connection_until_it_is_stale() -> None:
    clock = Clock()
    charts = WarmCharts(60.0, clock)
    assert charts.kept(job()) is None
    charts.keep(job(), CHART, read_at=clock.now)
    clock.now += 59.0
    assert charts.kept(job()) is CHART
    assert charts.kept(job(connection_id=2)) is None
    assert charts.kept(job(home="/tmp/b")) is None  # another state store's connection 1
    clock.now += 1.0
    assert charts.kept(job()) is None


def test_a_changed_mapping_reads_the_chart_again() -> None:
    charts = WarmCharts(60.0, Clock())
    charts.keep(job(), CHART, read_at=100.0)
    assert charts.kept(job(LedgerMapping(accounts={AccountRole.SALES_INCOME: "2"}))) is None


def test_failed_gates_forget_the_chart_and_check_again_only_if_it_was_kept() -> None:
    charts = WarmCharts(60.0, Clock())
    charts.keep(job(), CHART, read_at=100.0)
    hooks = live.WarmChart(charts)
    hooks.served_kept = True
    assert hooks.gate_failed(job()) is True
    assert charts.kept(job()) is None
    hooks.served_kept = False  # read fresh for this run: checking again would read the same chart
    assert hooks.gate_failed(job()) is False


class Refusing:
    """A ledger whose writes answer `outcomes`, or raise `error`."""

    ledger = "qbo"

    def __init__(self, outcomes: list[WriteOutcome], error: LedgerError | None = None) -> None:
        self.outcomes, self.error = outcomes, error

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        if self.error:
            raise self.error
        return self.outcomes


@pytest.mark.parametrize(
    ("outcomes", "error", "forgotten"),
    [
        ([WriteOutcome(op=cast(WriteOp, None), error=LedgerError(ErrorKind.VALIDATION, "inactive"))], None, True),
        ([], LedgerError(ErrorKind.VALIDATION, "Invalid account"), True),
        ([WriteOutcome(op=cast(WriteOp, None), error=LedgerError(ErrorKind.UNAVAILABLE, "503"))], None, False),
        ([], LedgerError(ErrorKind.THROTTLED, "429"), False),
    ],
)
def test_a_write_the_ledger_refuses_forgets_the_chart(
    monkeypatch: pytest.MonkeyPatch, outcomes: list[WriteOutcome], error: LedgerError | None, forgotten: bool
) -> None:
    monkeypatch.setattr("ledger_sync.limits.rate_limit", lambda *a, **k: None)
    charts = WarmCharts(60.0, Clock())
    charts.keep(job(), CHART, read_at=100.0)
    watched = live._RefusalWatch(cast(Any, Refusing(outcomes, error)), 1, lambda: charts.forget(chart_key(job())))
    try:
        watched.write(EntityType.INVOICE, [])
    except LedgerError:
        assert error is not None
    assert (charts.kept(job()) is None) is forgotten
