"""Live sync latency: from an invoice's lock in Service Opus to the invoice in the ledger, as a running stack does
it. A real Prefect server, the QBO sandbox, the outbox relay (`ledger-sync relay --follow`) and the live sync
(`ledger-sync live`), each a process of its own; the company is synced once first (its backlog is the hourly
sync's, not the live sync's), one lock warms the live process, then each of `--locks` drafts is locked alone
(outbox row in the lock's transaction) and timed until the sandbox holds it. Prints p50 and p95, the median
time from the lock to its live-sync run's start (the event's path; the rest is the run itself), the median moment
of each stage of a lock's path, in seconds after the lock (`stage_*`: the relay marks it sent, the Prefect server
receives it, the live process creates the run (after the company's previous run ended: `previous_run_ended`),
the run starts, its gates, its invoice page, its write (`flush_writes`, when the invoice reaches the ledger), its
report, its end), and the live process's CPU per lock (`live_cpu_seconds_per_lock`: a load-proof figure).

    .venv/bin/python bench/live_latency.py --locks 10
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import automatic_sync_on, connect, emit, process_cpu_seconds, sandbox_process, seed_source
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus
from ledger_sync.events.outbox import lock_invoice
from ledger_sync.sandboxes.serve import free_port
from ledger_sync.settings import Settings
from ledger_sync.stack import BIN, Children, prefect_env, start_prefect_server
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore

COMPANY = 1
CEILING = 120.0
"""Seconds one lock may take to reach the ledger before the benchmark gives up (only bounds a hang)."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locks", type=int, default=10)
    parser.add_argument("--invoices", type=int, default=200, help="Invoices seeded (the drafts among them get locked).")
    parser.add_argument("--pause", type=float, default=1.0, help="Seconds between one lock's arrival and the next.")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args()
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from ledger_sync.flows.sync import sync_company

    with tempfile.TemporaryDirectory(prefix="live-latency-bench-") as folder:
        home = Path(folder)
        seed_source(home, args.invoices)
        children = Children(home / "logs")
        try:
            with sandbox_process("qbo", home, 1.0) as sandbox:
                connect(home, "qbo")
                automatic_sync_on("qbo", 1)
                port = free_port()
                base = {**os.environ, **prefect_env(f"http://127.0.0.1:{port}/api", home / "prefect")}
                api_url = start_prefect_server(children, port, base)
                with temporary_settings({PREFECT_API_URL: api_url}):
                    sync_company(company_id=COMPANY, ledger="qbo")
                live = children.start("live-sync", [str(BIN / "ledger-sync"), "live"], base)
                _wait_until_following(children)
                children.start("outbox-relay", [str(BIN / "ledger-sync"), "relay", "--follow"], base)
                ledger = LedgerInvoices(sandbox.base_url, _realm())
                drafts = _drafts(args.locks + 1)
                _lock_and_time(drafts[0], ledger, children)  # the live process's first run, not counted
                locks: list[tuple[datetime, str]] = []
                seconds = []
                cpu_before = process_cpu_seconds(live.pid)
                for draft in drafts[1:]:
                    locked_at = datetime.now(UTC)
                    event_id, took = _lock_and_time(draft, ledger, children)
                    locks.append((locked_at, event_id))
                    seconds.append(took)
                    time.sleep(args.pause)
                live_cpu = process_cpu_seconds(live.pid) - cpu_before
                with temporary_settings({PREFECT_API_URL: api_url}):
                    stages = _stages(locks)
        finally:
            children.stop_all()
    ordered = sorted(seconds)
    emit(
        {
            "locks": len(ordered),
            "p50_seconds": statistics.median(ordered),
            "p95_seconds": ordered[math.ceil(0.95 * len(ordered)) - 1],
            "max_seconds": ordered[-1],
            "p50_to_run_start_seconds": stages["run_started"],
            "live_cpu_seconds_per_lock": live_cpu / len(ordered),
            **{f"stage_{name}": at for name, at in stages.items()},
        },
        args.json,
    )


def _wait_until_following(children: Children) -> None:
    """Until the live process follows the events (a live process that starts later misses what the server has
    not stored yet: the hourly sync's to catch)."""
    started = time.monotonic()
    while "following Service Opus events" not in children.log_tail("live-sync", lines=200):
        if dead := children.exited():
            raise SystemExit(f"{dead} exited: {children.log_tail(next(iter(dead)))}")
        if time.monotonic() - started > CEILING:
            raise SystemExit(f"the live process did not follow the events within {CEILING:.0f} s")
        time.sleep(0.2)


STAGE_TASKS = {
    "gates": "check-run-gates",
    "invoice_page": "sync-invoice-page",
    "flush_writes": "flush-writes",
    "report_started": "report-run",
}
"""The live run's tasks whose end (the report's: start) marks a stage."""


def _stages(locks: list[tuple[datetime, str]]) -> dict[str, float]:
    """Each stage's median moment, in seconds after the lock: the outbox row marked sent (the relay), the event
    received by the Prefect server, the end of the company's previous live run, the lock's live run created (the
    live process handed its batch on), started, its tasks (`STAGE_TASKS`) and its end."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.events.filters import EventFilter, EventIDFilter, EventOccurredFilter
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from ledger_sync.connectors.service_opus.models import OutboxEvent

    engine = make_engine(Settings().resolved_source_url)
    with Session(engine) as session:
        sent = {
            row.event_id: row.sent_at.replace(tzinfo=UTC)
            for row in session.scalars(select(OutboxEvent).where(OutboxEvent.event_id.in_([e for _, e in locks])))
            if row.sent_at is not None
        }
    engine.dispose()
    with get_client(sync_client=True) as client:
        received = {
            str(event.id): event.received
            for event in client.read_events(
                EventFilter(
                    occurred=EventOccurredFilter(since=locks[0][0] - timedelta(minutes=1)),
                    id=EventIDFilter(id=[UUID(e) for _, e in locks]),
                ),
                limit=len(locks),
            ).events
        }
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["live-sync"])), sort=FlowRunSort.START_TIME_ASC
        )
        started = [r for r in runs if r.start_time is not None]
        moments: dict[str, list[float]] = {}

        def at(name: str, moment: datetime | None, locked_at: datetime) -> None:
            if moment is not None:
                moments.setdefault(name, []).append((moment - locked_at).total_seconds())

        for locked_at, event_id in locks:
            at("relayed", sent.get(event_id), locked_at)
            at("event_received", received.get(event_id), locked_at)
            index = next(i for i, r in enumerate(started) if r.start_time is not None and r.start_time >= locked_at)
            run = started[index]
            at("previous_run_ended", started[index - 1].end_time if index else None, locked_at)
            at("run_created", run.created, locked_at)
            at("run_started", run.start_time, locked_at)
            tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run.id])))
            for stage, task_name in STAGE_TASKS.items():
                for task in [t for t in tasks if t.name.startswith(f"{task_name}-")][:1]:
                    at(stage, task.start_time if stage == "report_started" else task.end_time, locked_at)
            at("run_ended", run.end_time, locked_at)
    return {name: statistics.median(values) for name, values in moments.items()}


class LedgerInvoices:
    def __init__(self, base_url: str, realm_id: str) -> None:
        self.url = f"{base_url}/_sandbox/realms/{realm_id}/Invoice"

    def holds(self, number: str) -> bool:
        body = httpx.get(self.url, timeout=60).json()
        invoices = body["Invoice"] if isinstance(body, dict) else body
        return any(str(i["DocNumber"]) == number for i in invoices)


def _realm() -> str:
    store = StateStore.open(Settings())
    try:
        connection = store.connection(COMPANY, "qbo")
    finally:
        store.close()
    assert connection is not None
    return connection.tenant_id


def _drafts(count: int) -> list[int]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    engine = make_engine(Settings().resolved_source_url)
    with Session(engine) as session:
        ids = list(
            session.scalars(
                select(Invoice.id)
                .where(Invoice.company_id == COMPANY, Invoice.status == InvoiceStatus.DRAFT)
                .order_by(Invoice.id)
                .limit(count)
            )
        )
    engine.dispose()
    if len(ids) < count:
        raise SystemExit(f"only {len(ids)} drafts seeded; raise --invoices")
    return ids


def _lock_and_time(invoice_id: int, ledger: LedgerInvoices, children: Children) -> tuple[str, float]:
    """Lock the draft as Service Opus does (outbox row in the same transaction); its event's id, and the seconds
    until the ledger has it."""
    from sqlalchemy.orm import Session

    engine = make_engine(Settings().resolved_source_url)
    with Session(engine) as session, session.begin():
        invoice = session.get_one(Invoice, invoice_id)
        event_id = lock_invoice(session, invoice).event_id
        number = invoice.number
    engine.dispose()
    locked = time.monotonic()
    while not ledger.holds(number):
        if dead := children.exited():
            raise SystemExit(f"{dead} exited: {children.log_tail(next(iter(dead)))}")
        if time.monotonic() - locked > CEILING:
            logs = "\n".join(f"{name}:\n{children.log_tail(name)}" for name in ("live-sync", "outbox-relay"))
            raise SystemExit(f"invoice {number} not in the ledger after {CEILING:.0f} s:\n{logs}")
        time.sleep(0.1)
    return event_id, time.monotonic() - locked


if __name__ == "__main__":
    main()
