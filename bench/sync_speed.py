"""How a big sync goes against a ledger sandbox running in a process of its own: seeds N invoices, syncs them and
their payments (the sync-company flow, or with `--dry-run` a backfill dry run of everything), and prints our own
CPU per record written, API calls per minimum call (and the calls by kind), 401s and 429s, the pace of the binding
quota in sandbox time, peak RSS, and (Xero) the share of the 5,000-call day limit.

The sandbox's clock is time-scaled: fast (the default) so a big run takes minutes, or slow enough that the
ledger's per-minute limit binds (`bench/all.py` uses 4x for QBO and 2x for Xero) to measure the quota figure.
Our CPU is `time.process_time()` of this process around the flow: the sandbox's CPU is not in it, nor the one-time
import of Great Expectations a worker pays once (printed on its own as `gx_import_cpu_seconds`).

    .venv/bin/python bench/sync_speed.py --ledger xero --invoices 10000
"""

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    CallFigures,
    XeroBooks,
    calls_by_kind,
    connect,
    emit,
    minimum_calls,
    peak_rss_mb,
    request_log,
    sandbox_process,
    seed_source,
    warm_great_expectations,
    warm_prefect,
)
from ledger_sync.connectors.registry import get, names

XERO_DAY_LIMIT = 5000


@contextmanager
def profiled(path: Path | None) -> Iterator[None]:
    """pyinstrument over the block, its text report written to `path`; None: nothing. It samples this thread's wall
    time (a CPU-time timer would be read at every call and triple the run's CPU): on a loaded machine compare the
    shares, not the seconds."""
    if path is None:
        yield
        return
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.005, async_mode="disabled")
    with profiler:
        yield
    path.write_text(profiler.output_text(unicode=True, show_all=False, timeline=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", choices=[n for n in names() if get(n).sandbox], default="qbo")
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--time-scale", type=float, default=120.0, help="Sandbox seconds per real second.")
    parser.add_argument("--dry-run", action="store_true", help="A backfill dry run of everything: nothing written.")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    parser.add_argument("--profile", type=Path, help="Also write a pyinstrument profile of the run (text) here.")
    args = parser.parse_args()
    from ledger_sync.flows.backfill import backfill
    from ledger_sync.flows.sync import sync_company

    with tempfile.TemporaryDirectory(prefix=f"{args.ledger}-bench-") as folder:
        home = Path(folder)
        seed_source(home, args.invoices)
        with sandbox_process(args.ledger, home, args.time_scale) as sandbox:
            connect(home, args.ledger)
            warm_prefect()
            import_cpu = warm_great_expectations()
            since, sandbox_cpu = len(request_log(sandbox.base_url)), sandbox.cpu_seconds()
            with profiled(args.profile):
                cpu, wall = time.process_time(), time.perf_counter()
                if args.dry_run:
                    summary = backfill(1, date(2000, 1, 1), date(2100, 1, 1), ledger=args.ledger, dry_run=True)
                else:
                    summary = sync_company(company_id=1, ledger=args.ledger)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            sandbox_cpu = sandbox.cpu_seconds() - sandbox_cpu
            log = request_log(sandbox.base_url)[since:]
            books = XeroBooks.read(sandbox.base_url, log[0]["tenant"]) if args.ledger == "xero" and log else None
    entities: dict[str, dict[str, int]] = summary["entities"]  # type: ignore[assignment]
    tally = ("would_write",) if args.dry_run else ("created", "updated")
    written = {name: sum(counts[t] for t in tally) for name, counts in entities.items()}
    records = sum(written.values())
    minimum = minimum_calls(written, get(args.ledger).max_batch_size, books)
    calls = CallFigures.of(args.ledger, log, written, minimum)
    figures = {
        "ledger": args.ledger,
        "invoices": args.invoices,
        "dry_run": args.dry_run,
        "time_scale": args.time_scale,
        "outcome": summary["outcome"],
        "records": records,
        "written": written,
        "parked": sum(counts["parked"] for counts in entities.values()),
        "cpu_seconds": cpu,
        "wall_seconds": wall,
        "cpu_ms_per_record": 1000 * cpu / max(1, records),
        "gx_import_cpu_seconds": import_cpu,
        "sandbox_cpu_ms_per_record": 1000 * sandbox_cpu / max(1, records),
        "api_calls": calls.calls,
        "write_calls": calls.writes,
        "minimum_calls": calls.minimum,
        "calls_per_minimum": calls.ratio,
        "calls_by_kind": calls_by_kind(log),
        "answered_401": calls.unauthorized,
        "answered_429": calls.throttled,
        "sandbox_minutes": calls.sandbox_minutes,
        "quota_fraction": calls.quota_fraction,
        "peak_rss_mb": peak_rss_mb(),
    }
    if args.ledger == "xero":
        figures["day_limit_fraction"] = calls.calls / XERO_DAY_LIMIT
    emit(figures, args.json)


if __name__ == "__main__":
    main()
