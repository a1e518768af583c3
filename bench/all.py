"""`make bench`: every figure of issue 16 in one go, each beside its goal. Runs the benchmark scripts one after
another (each in a process of its own, so CPU and peak RSS are that run's; sandboxes in processes of their own),
then prints the table. At the default sizes (own CPU per record at 10,000 invoices, peak RSS of dry runs of
10,000 and 100,000) about 20 minutes on a quiet 2-core machine. Three of the issue's sizes are left to a flag, each
printed as a row saying so: a dry run of 1,000,000 invoices (seeding and the run take about as long as the rest
together), a QBO sync of 100,000 (about 10 minutes more) and a Xero sync of 100,000 (its calls come near Xero's
5,000-call day limit). API calls per minimum call are printed for both sizes of sync: the 10,000-invoice one is the
issue's measure, the 2,000-invoice one (the quota runs') has its few fixed reads weigh five times as much:

    .venv/bin/python bench/all.py --rss-sizes 100000,1000000 --cpu-sizes 10000,100000 --xero-cpu-sizes 10000,100000

Absolute timings depend on the machine's load: on a shared machine they are pessimistic.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy

BENCH = Path(__file__).resolve().parent
LEDGER_NAMES = {"qbo": "QBO", "xero": "Xero"}
QUOTA_TIME_SCALE = {"qbo": 4.0, "xero": 2.0}
"""Slow enough that the ledger's per-minute limit, not our CPU, sets the pace (so the quota figure means something)."""
PREFECT_POSTGRES = os.environ.get("BENCH_PREFECT_POSTGRES", "postgres@127.0.0.1:5432")
"""user@host:port of the PostgreSQL server the companies benchmarks' Prefect server keeps its database on."""
WORKER_PROCESSES = 2
"""`company-batch` processes one 2-core worker runs side by side (hourly-sync's `workers`): one per core."""
CPU_TIME_SCALE = 120.0
"""The syncs timed for our CPU per record run on a fast clock: the quota's waits would only stretch them."""
FLAGGED_SIZES = {"rss": 1_000_000, "cpu": 100_000}
"""Sizes of the issue's table that the default run leaves to a flag: printed as a row that names the flag."""
CPU_SIZE_LEFT_OUT = {
    "qbo": (
        "--cpu-sizes",
        "170,816 records through the QBO sandbox: about 10 minutes more",
    ),
    "xero": ("--xero-cpu-sizes", "its calls come near Xero's 5,000-call day limit"),
}
"""Why each ledger's sync at `FLAGGED_SIZES["cpu"]` is left out by default, and the flag that runs it."""
PEER_TIME_SCALE = 20.0
"""The peer outruns QBO's 10 requests a second and waits QBO's minute after each 429: a faster clock keeps those
waits short in real time (both runs beside each other use it)."""


@contextmanager
def prefect_database(postgres: bool) -> Iterator[dict[str, str]]:
    """The environment of a benchmark's temporary Prefect server: a database of its own, so no run waits on what
    earlier benchmarks and test runs left in ~/.prefect (that SQLite file grown big locked up: "database is
    locked"). With `postgres`, a fresh PostgreSQL database at `PREFECT_POSTGRES` (what a production Prefect server
    runs on; its SQLite serialises two worker processes' writes), dropped after; a fresh SQLite one where that
    server cannot be reached."""
    with tempfile.TemporaryDirectory(prefix="bench-prefect-") as prefect_home:
        env = {**os.environ, "PREFECT_HOME": prefect_home}
        name = f"bench_prefect_{uuid.uuid4().hex[:12]}"
        url = f"postgresql+psycopg://{PREFECT_POSTGRES}/postgres"
        server = sqlalchemy.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            if postgres:
                with server.connect() as conn:
                    conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
        except sqlalchemy.exc.OperationalError as error:
            print(f"PostgreSQL at {PREFECT_POSTGRES} unreachable, Prefect runs on SQLite: {error}", file=sys.stderr)
            postgres = False
        if postgres:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = f"postgresql+asyncpg://{PREFECT_POSTGRES}/{name}"
        try:
            yield env
        finally:
            if postgres:
                with server.connect() as conn:
                    conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            server.dispose()


def run(script: str, *args: str, postgres: bool = False) -> dict[str, Any]:
    """One benchmark in its own process, its Prefect server on a database of its own (`prefect_database`); its last
    output line is its figures as JSON."""
    started = time.monotonic()
    with prefect_database(postgres) as env:
        done = subprocess.run(
            [sys.executable, str(BENCH / script), *args, "--json"], capture_output=True, text=True, check=False, env=env
        )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        print(f"{script} {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}", file=sys.stderr)
        return {}
    figures: dict[str, Any] = json.loads(lines[-1])
    print(f"  ran {script} {' '.join(args)} in {time.monotonic() - started:.0f} s: {lines[-1]}", file=sys.stderr)
    return figures


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    goal: str
    met: bool | None
    """None: not measured."""


def _sizes(listed: str) -> list[int]:
    return [int(size) for size in listed.split(",") if size]


def _flagged(figure: str, goal: str, why: str, flag: str) -> Row:
    """A figure of the issue's table at a size the default run leaves out: the row says why and which flag runs it."""
    return Row(figure, f"not run by default ({why}): {flag}", goal, None)


def _row(figure: str, goal: str, figures: dict[str, Any], show: Callable[[dict[str, Any]], str], met: bool) -> Row:
    if not figures:
        return Row(figure, "failed (see above)", goal, None)
    return Row(figure, show(figures), goal, met)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000, help="Invoices of each ledger's sync run.")
    parser.add_argument("--cpu-sizes", default="10000", help="Invoices of QBO syncs timed for CPU per record.")
    parser.add_argument("--xero-cpu-sizes", default="10000", help="Invoices of Xero syncs timed for CPU per record.")
    parser.add_argument("--dry-run-invoices", type=int, default=10_000)
    parser.add_argument("--rss-sizes", default="100000", help="Also: peak RSS of a dry run at each size.")
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--live-locks", type=int, default=10, help="Invoice locks timed through the live sync.")
    parser.add_argument("--peer-invoices", type=int, default=500, help="Invoices of the peer's run and ours beside it.")
    parser.add_argument("--no-peer", action="store_true", help="Skip the one-call-per-record peer.")
    args = parser.parse_args()
    invoices = str(args.invoices)
    syncs = {
        ledger: run("sync_speed.py", "--ledger", ledger, "--invoices", invoices, "--time-scale", str(scale))
        for ledger, scale in QUOTA_TIME_SCALE.items()
    }
    cpu_sizes = {"qbo": _sizes(args.cpu_sizes), "xero": _sizes(args.xero_cpu_sizes)}
    cpu_runs = {
        (ledger, size): run(
            "sync_speed.py", "--ledger", ledger, "--invoices", str(size), "--time-scale", str(CPU_TIME_SCALE)
        )
        for ledger, sizes in cpu_sizes.items()
        for size in sizes
    }
    dry = run("sync_speed.py", "--dry-run", "--invoices", str(args.dry_run_invoices))
    rss_sizes = _sizes(args.rss_sizes)
    rss = {size: run("sync_speed.py", "--dry-run", "--invoices", str(size)) for size in rss_sizes}
    companies = run("companies.py", "--companies", str(args.companies), postgres=True)
    processes = str(WORKER_PROCESSES)
    worker = run("companies.py", "--companies", str(2 * args.companies), "--processes", processes, postgres=True)
    live = run("live_latency.py", "--locks", str(args.live_locks))
    peer_runs = (
        {}
        if args.no_peer
        else {
            script: run(script, "--invoices", str(args.peer_invoices), "--time-scale", str(PEER_TIME_SCALE))
            for script in ("peer.py", "sync_speed.py")
        }
    )

    def calls_row(figure: str, figures: dict[str, Any]) -> Row:
        return _row(
            figure,
            "<= 1.02, no 401",
            figures,
            lambda f: (
                f"{f['calls_per_minimum']:.3f} ({f['api_calls']:,} / {f['minimum_calls']:,}), "
                f"{f['answered_401']} answered 401"
            ),
            bool(figures) and figures["calls_per_minimum"] <= 1.02 and figures["answered_401"] == 0,
        )

    rows: list[Row] = []
    for (ledger, size), figures in cpu_runs.items():
        rows.append(calls_row(f"{LEDGER_NAMES[ledger]}: API calls / minimum ({size:,} invoices: the issue's)", figures))
        rows.append(
            _row(
                f"{LEDGER_NAMES[ledger]}: own CPU per record ({size:,} invoices, sandbox at {CPU_TIME_SCALE:g}x)",
                "<= 0.5 ms",
                figures,
                lambda f: (
                    f"{f['cpu_ms_per_record']:.2f} ms ({f['cpu_seconds']:.1f} s, {f['records']:,} records; "
                    f"peak RSS {f['peak_rss_mb']:.0f} MB)"
                ),
                bool(figures) and figures["cpu_ms_per_record"] <= 0.5,
            )
        )
    for ledger, (flag, why) in CPU_SIZE_LEFT_OUT.items():
        if FLAGGED_SIZES["cpu"] not in cpu_sizes[ledger]:
            sizes = ",".join(map(str, [*cpu_sizes[ledger], FLAGGED_SIZES["cpu"]]))
            rows.append(
                _flagged(
                    f"{LEDGER_NAMES[ledger]}: own CPU per record ({FLAGGED_SIZES['cpu']:,} invoices)",
                    "<= 0.5 ms",
                    why,
                    f"{flag} {sizes}",
                )
            )
    for ledger, figures in syncs.items():
        name = LEDGER_NAMES[ledger]
        rows.append(
            _row(
                f"{name}: own CPU per record ({args.invoices:,} invoices)",
                "<= 0.5 ms",
                figures,
                lambda f: (
                    f"{f['cpu_ms_per_record']:.2f} ms ({f['cpu_seconds']:.1f} s, {f['records']:,} records; "
                    f"GX import once per worker {f['gx_import_cpu_seconds']:.1f} s)"
                ),
                bool(figures) and figures["cpu_ms_per_record"] <= 0.5,
            )
        )
        rows.append(calls_row(f"{name}: API calls / minimum ({args.invoices:,} invoices)", figures))
        rows.append(
            _row(
                f"{name}: quota bound reached (sandbox at {QUOTA_TIME_SCALE[ledger]:g}x)",
                ">= 95 %, no 429",
                figures,
                lambda f: f"{f['quota_fraction']:.0%}, {f['answered_429']} answered 429",
                bool(figures) and figures["quota_fraction"] >= 0.95 and figures["answered_429"] == 0,
            )
        )
        rows.append(
            Row(
                f"{name} sandbox: its CPU per record written",
                f"{figures['sandbox_cpu_ms_per_record']:.2f} ms (compare --invoices sizes)" if figures else "failed",
                "flat in N (O(1) per write)",
                None,
            )
        )
        rows.append(
            _row(
                f"{name}: peak RSS ({args.invoices:,} invoices)",
                "<= 400 MB",
                figures,
                lambda f: f"{f['peak_rss_mb']:.0f} MB",
                bool(figures) and figures["peak_rss_mb"] <= 400,
            )
        )
    rows.append(
        _row(
            f"dry run of {args.dry_run_invoices:,} invoices: own CPU",
            "a few seconds (<= 5 s)",
            dry,
            lambda f: (
                f"{f['cpu_seconds']:.1f} s, {f['records']:,} records would be written ({f['written']}; "
                f"GX import once per worker {f['gx_import_cpu_seconds']:.1f} s)"
            ),
            bool(dry) and dry["cpu_seconds"] <= 5,
        )
    )
    for size, figures in {args.dry_run_invoices: dry, **rss}.items():
        rows.append(
            _row(
                f"peak RSS, dry run of {size:,} invoices",
                "<= 400 MB, flat in N",
                figures,
                lambda f: f"{f['peak_rss_mb']:.0f} MB",
                bool(figures) and figures["peak_rss_mb"] <= 400,
            )
        )
    if FLAGGED_SIZES["rss"] not in rss_sizes:
        rows.append(
            _flagged(
                f"peak RSS, dry run of {FLAGGED_SIZES['rss']:,} invoices",
                "<= 400 MB, flat in N",
                "seeding and the run take about as long as the rest together",
                f"--rss-sizes {','.join(map(str, [*rss_sizes, FLAGGED_SIZES['rss']]))}",
            )
        )
    rows.append(
        _row(
            f"live sync latency p50 / p95, lock to ledger ({args.live_locks} locks, running stack)",
            "p95 <= 5 s",
            live,
            lambda f: (
                f"{f['p50_seconds']:.1f} s / {f['p95_seconds']:.1f} s (max {f['max_seconds']:.1f} s; "
                f"its run starts {f['p50_to_run_start_seconds']:.1f} s after the lock)"
            ),
            bool(live) and live["p95_seconds"] <= 5,
        )
    )

    def per_hour(f: dict[str, Any]) -> str:
        return (
            f"{f['companies_per_hour']:,.0f} ({f['seconds_per_company']:.1f} s each; own CPU "
            f"{f['cpu_seconds_per_company']:.2f} s each, {f['companies_per_cpu_hour']:,.0f} per CPU-hour)"
        )

    rows.append(
        Row(
            f"companies per hour ({args.companies} small companies, one warm process: one core's share; "
            "Prefect server on PostgreSQL)",
            per_hour(companies) if companies else "failed (see above)",
            "(the worker's row below)",
            None,
        )
    )
    rows.append(
        _row(
            f"companies per hour ({2 * args.companies} small companies, {WORKER_PROCESSES} warm processes on this "
            "2-core worker, beside its sandbox and its Prefect server on PostgreSQL)",
            ">= 1,000",
            worker,
            per_hour,
            bool(worker) and worker["companies_per_hour"] >= 1000,
        )
    )
    if peer_runs:
        peer, ours = peer_runs["peer.py"], peer_runs["sync_speed.py"]
        rows.append(
            _row(
                f"one-call-per-record peer (python-quickbooks) vs us, QBO, {args.peer_invoices:,} invoices",
                "we keep the lead",
                peer,
                lambda f: (
                    f"peer {f['api_calls']:,} calls ({f['answered_429']} answered 429), "
                    f"{f['sandbox_minutes']:.1f} sandbox-min; us {ours.get('api_calls', 0):,} calls, "
                    f"{ours.get('sandbox_minutes', 0):.1f} sandbox-min"
                ),
                bool(peer) and bool(ours) and peer["api_calls"] > ours["api_calls"],
            )
        )
    _print(rows)
    return 0


def _print(rows: list[Row]) -> None:
    width = [max(len(r.figure) for r in rows), max(len(r.measured) for r in rows), max(len(r.goal) for r in rows)]
    print()
    print(f"{'figure':{width[0]}}  {'measured':{width[1]}}  {'goal':{width[2]}}  met")
    for r in rows:
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        print(f"{r.figure:{width[0]}}  {r.measured:{width[1]}}  {r.goal:{width[2]}}  {met}")


if __name__ == "__main__":
    sys.exit(main())
