"""The hourly fan-out syncs many companies inside one warm process, a bounded few at a time, each as a child run
of the fan-out; one company that fails does not stop the others."""

import os
import threading

import pytest

from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind, RunOutcome, SkippedSync
from ledger_sync.flows import hourly
from ledger_sync.flows.hourly import CompanyLedger, company_batch
from tests.waiting import CEILING

CONCURRENCY = 3
COMPANIES = range(1, 9)
BAD = 5


class FakeSyncs:
    """Stands in for each company's sync: notes where and how many at once it ran; company BAD fails."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0
        self.where: dict[int, tuple[int, str]] = {}
        self.first_ones_met = threading.Barrier(CONCURRENCY, timeout=CEILING)

    def __call__(
        self, company_id: int, ledger: str, requested: frozenset[EntityType], kind: RunKind, page_size: int
    ) -> SkippedSync:
        with self.lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
            first = len(self.where) < CONCURRENCY
            self.where[company_id] = (os.getpid(), threading.current_thread().name)
        try:
            if first:
                self.first_ones_met.wait()  # the first CONCURRENCY syncs run at once, or this breaks
            if company_id == BAD:
                raise RuntimeError(f"the ledger refused company {company_id}")
            return SkippedSync(company_id=company_id, ledger=ledger, outcome=RunOutcome.OFF, entity_types=[])
        finally:
            with self.lock:
                self.running -= 1


def test_companies_sync_in_this_process_a_bounded_few_at_a_time_and_a_bad_one_stops_none(
    monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    syncs = FakeSyncs()
    monkeypatch.setattr(hourly, "toggled_sync", syncs)
    companies = [CompanyLedger(company_id=c, ledger="qbo") for c in COMPANIES]
    state = company_batch(companies=companies, concurrency=CONCURRENCY, return_state=True)

    assert state.is_completed(), "one company's failure does not fail the fan-out"
    # Sync even where Prefect guesses an async caller (a run context an earlier test left in this worker thread).
    results = state.result(_sync=True)  # type: ignore[call-overload]
    expected = {c: "Failed" if c == BAD else "Completed" for c in COMPANIES}
    assert {r["company_id"]: r["state"] for r in results} == expected
    assert sorted(syncs.where) == list(COMPANIES)
    assert {pid for pid, _ in syncs.where.values()} == {os.getpid()}, "every company synced in this one process"
    assert all(thread.startswith("company-sync") for _, thread in syncs.where.values())
    assert syncs.most_at_once == CONCURRENCY
    assert not syncs.first_ones_met.broken
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[state.state_details.flow_run_id])
            )
        )
    assert sorted(run.parameters["company_id"] for run in children) == list(COMPANIES)
    assert {str(run.id) for run in children} == {r["flow_run_id"] for r in results}


def test_a_fan_out_needs_at_least_one_company_at_a_time() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        hourly.sync_companies([], concurrency=0, page_size=500)


def test_spread_over_workers_the_companies_go_in_that_many_company_batch_runs(
    monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    from types import SimpleNamespace
    from uuid import uuid4

    from prefect.client.schemas.objects import FlowRun

    connections = [
        SimpleNamespace(company_id=c, ledger="qbo", auto_invoice_sync=c != 3, auto_payment_sync=c != 3)
        for c in range(1, 6)
    ]
    store = SimpleNamespace(connected=lambda: connections, close=lambda: None)
    monkeypatch.setattr(hourly.StateStore, "open", lambda settings: store)
    started: list[tuple[str, dict]] = []

    def run_deployment(name: str, parameters: dict, flow_run_name: str, timeout: int) -> FlowRun:
        started.append((name, parameters))
        return FlowRun(id=uuid4(), flow_id=uuid4(), name=flow_run_name)

    monkeypatch.setattr(hourly, "run_deployment", run_deployment)
    result = hourly.hourly_sync(concurrency=2, workers=2)

    assert [name for name, _ in started] == [hourly.COMPANY_BATCH_DEPLOYMENT] * 2
    shares = [[c["company_id"] for c in parameters["companies"]] for _, parameters in started]
    assert shares == [[1, 4], [2, 5]], "company 3 (automatic sync off) is left out, the rest dealt in turn"
    assert all(parameters["concurrency"] == 2 for _, parameters in started)
    assert sorted(r["company_id"] for r in result) == [1, 2, 4, 5]
