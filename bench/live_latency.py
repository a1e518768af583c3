"""Live sync latency: from an invoice's lock in Service Opus to the invoice in the ledger, as a running stack does
it. A real Prefect server, the QBO sandbox, the outbox relay (`ledger-sync relay --follow`) and the live sync
(`ledger-sync live`), each a process of its own; the company is synced once first (its backlog is the hourly
sync's, not the live sync's), one lock warms the live process, then each of `--locks` drafts is locked alone
(outbox row in the lock's transaction) and timed until the sandbox holds it. Prints p50 and p95, and the median
time from the lock to its live-sync run's start (the event's path; the rest is the run itself).

    .venv/bin/python bench/live_latency.py --locks 10
"""

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import automatic_sync_on, connect, emit, sandbox_process, seed_source
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
                children.start("live-sync", [str(BIN / "ledger-sync"), "live"], base)
                _wait_until_following(children)
                children.start("outbox-relay", [str(BIN / "ledger-sync"), "relay", "--follow"], base)
                ledger = LedgerInvoices(sandbox.base_url, _realm())
                drafts = _drafts(args.locks + 1)
                _lock_and_time(drafts[0], ledger, children)  # the live process's first run, not counted
                seconds, to_start = [], []
                for draft in drafts[1:]:
                    locked_at = datetime.now(UTC)
                    seconds.append(_lock_and_time(draft, ledger, children))
                    with temporary_settings({PREFECT_API_URL: api_url}):
                        to_start.append(_run_started_after(locked_at))
                    time.sleep(args.pause)
        finally:
            children.stop_all()
    ordered = sorted(seconds)
    emit(
        {
            "locks": len(ordered),
            "p50_seconds": statistics.median(ordered),
            "p95_seconds": ordered[math.ceil(0.95 * len(ordered)) - 1],
            "max_seconds": ordered[-1],
            "p50_to_run_start_seconds": statistics.median(to_start),
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


def _run_started_after(locked_at: datetime) -> float:
    """Seconds from the lock to the start of the first live-sync run after it: the event's path (relay, server,
    live process, the quiet moment); the rest of the latency is the run itself."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["live-sync"])))
    starts = [r.start_time for r in runs if r.start_time is not None and r.start_time >= locked_at]
    return (min(starts) - locked_at).total_seconds()


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


def _lock_and_time(invoice_id: int, ledger: LedgerInvoices, children: Children) -> float:
    """Lock the draft as Service Opus does (outbox row in the same transaction); seconds until the ledger has it."""
    from sqlalchemy.orm import Session

    engine = make_engine(Settings().resolved_source_url)
    with Session(engine) as session, session.begin():
        invoice = session.get_one(Invoice, invoice_id)
        lock_invoice(session, invoice)
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
    return time.monotonic() - locked


if __name__ == "__main__":
    main()
