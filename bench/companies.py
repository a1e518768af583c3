"""Many small companies synced in one warm process as the hourly fan-out runs them (`flows/hourly.py`
`company_batch`: a `company-sync` run per company, `--concurrency` at a time, each in its company's slot and rate
limit; the Prefect client, imports and the ledger's sandbox stay up): prints seconds per company and companies per
hour, and the CPU seconds per company of this process (one interpreter: at most one core's worth of companies an
hour, whatever the machine's load) and of its children (the sandbox and the temporary Prefect server, which stand in
for the ledger and the Prefect server elsewhere), and the requests per company this process sent the Prefect server
(each a round trip a run waits on). Each company has its own ledger (a QBO realm, a Xero organisation)
in one sandbox process.

With `--processes N`, N warm processes share the companies (each a `company_batch` of its share, as hourly-sync's
`workers` starts them, and as one worker runs them side by side on a machine of N cores), all against the one
sandbox and Prefect server; the time counts from the moment all N are warm and ready. The CPU figures then add up
the N processes'.

    .venv/bin/python bench/companies.py --companies 20 --invoices-each 10 --concurrency 4
    .venv/bin/python bench/companies.py --companies 40 --processes 2
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import (
    automatic_sync_on,
    children_cpu_seconds,
    connect,
    emit,
    peak_rss_mb,
    sandbox_process,
    seed_source,
    warm_prefect,
)
from ledger_sync.connectors.registry import get, names


@contextmanager
def prefect_requests_counted() -> Iterator[list[int]]:
    """Counts, in the one-item list it yields, the HTTP requests this process sends the Prefect API in the block (the
    Prefect client is httpx's, sync and async)."""
    import httpx
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        api_url = str(client.api_url)
    counted, lock = [0], threading.Lock()
    sync_send, async_send = httpx.Client.send, httpx.AsyncClient.send

    def count(request: httpx.Request) -> None:
        if str(request.url).startswith(api_url):
            with lock:
                counted[0] += 1

    def sent(self: httpx.Client, request: httpx.Request, **options: Any) -> httpx.Response:
        count(request)
        return sync_send(self, request, **options)

    async def sent_async(self: httpx.AsyncClient, request: httpx.Request, **options: Any) -> httpx.Response:
        count(request)
        return await async_send(self, request, **options)

    httpx.Client.send, httpx.AsyncClient.send = sent, sent_async  # type: ignore[method-assign]
    try:
        yield counted
    finally:
        httpx.Client.send, httpx.AsyncClient.send = sync_send, async_send  # type: ignore[method-assign]


def share_of(args: argparse.Namespace) -> list[int]:
    """The company ids one process syncs: every `processes`-th from its `share` (0-based), as hourly-sync splits."""
    return list(range(1, args.companies + 1))[args.share :: args.processes]


def batch(args: argparse.Namespace) -> tuple[int, float, int]:
    """This process's share synced as one `company_batch`: (completed runs, own CPU seconds, Prefect requests)."""
    from ledger_sync.flows.hourly import CompanyLedger, company_batch

    companies = [CompanyLedger(company_id=c, ledger=args.ledger) for c in share_of(args)]
    cpu_started = time.process_time()
    with prefect_requests_counted() as prefect_requests:
        runs = company_batch(companies=companies, concurrency=args.concurrency)
    completed = sum(1 for run in runs if run["state"] == "Completed")
    return completed, time.process_time() - cpu_started, prefect_requests[0]


def serve_share(args: argparse.Namespace) -> None:
    """A child process (`--share`): warm up, say "ready", wait for the go on stdin, sync its share, print its
    figures as one JSON line."""
    import ledger_sync.flows.hourly  # noqa: F401  (the imports a warm worker process holds)

    warm_prefect()
    print("ready", flush=True)
    sys.stdin.readline()
    completed, cpu, requests = batch(args)
    print(json.dumps({"completed": completed, "cpu_seconds": cpu, "prefect_requests": requests}), flush=True)


def side_by_side(args: argparse.Namespace) -> tuple[int, float, int]:
    """`--processes` children, each its share; timed from the go given once all are warm (see the docstring)."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        api_url = str(client.api_url)
    env = {**os.environ, "PREFECT_API_URL": api_url}
    command = [sys.executable, __file__, "--ledger", args.ledger, "--companies", str(args.companies)]
    command += ["--concurrency", str(args.concurrency), "--processes", str(args.processes)]
    children = [
        subprocess.Popen(
            [*command, "--share", str(share)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for share in range(args.processes)
    ]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready", "a child did not start"
        for child in children:
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        figures = [json.loads(child.communicate(timeout=3600)[0].strip().splitlines()[-1]) for child in children]
    finally:
        for child in children:
            child.kill()
    return (
        sum(int(f["completed"]) for f in figures),
        sum(float(f["cpu_seconds"]) for f in figures),
        sum(int(f["prefect_requests"]) for f in figures),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", choices=[n for n in names() if get(n).sandbox], default="qbo")
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--invoices-each", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="Companies synced at once (hourly-sync's default).")
    parser.add_argument("--processes", type=int, default=1, help="Warm processes sharing the companies.")
    parser.add_argument("--share", type=int, help=argparse.SUPPRESS)  # a child of --processes: its share
    parser.add_argument("--time-scale", type=float, default=120.0, help="Sandbox seconds per real second.")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args()
    if args.share is not None:
        serve_share(args)
        return
    if args.processes < 1:
        parser.error("--processes must be at least 1")

    with tempfile.TemporaryDirectory(prefix="companies-bench-") as folder:
        home = Path(folder)
        seed_source(home, args.invoices_each * args.companies, args.companies)
        with sandbox_process(args.ledger, home, args.time_scale):
            connect(home, args.ledger, args.companies)
            automatic_sync_on(args.ledger, args.companies)
            warm_prefect()
            if args.processes > 1:
                children_started = children_cpu_seconds()
                started = time.perf_counter()
                completed, cpu, requests = side_by_side(args)
                seconds = time.perf_counter() - started
            else:
                args.share = 0
                started, children_started = time.perf_counter(), children_cpu_seconds()
                completed, cpu, requests = batch(args)
                seconds = time.perf_counter() - started
            children_cpu = children_cpu_seconds() - children_started
    emit(
        {
            "ledger": args.ledger,
            "companies": args.companies,
            "invoices_each": args.invoices_each,
            "concurrency": args.concurrency,
            "processes": args.processes,
            "completed": completed,
            "seconds_per_company": seconds / args.companies,
            "companies_per_hour": 3600 * args.companies / seconds,
            "cpu_seconds_per_company": cpu / args.companies,
            "companies_per_cpu_hour": 3600 * args.companies / cpu,
            "children_cpu_seconds_per_company": children_cpu / args.companies,
            "prefect_requests_per_company": requests / args.companies,
            "load_average": os.getloadavg()[0],
            "peak_rss_mb": peak_rss_mb(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
