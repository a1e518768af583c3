"""Many small companies synced in one warm process as the hourly fan-out runs them (`flows/hourly.py`
`company_batch`: a `company-sync` run per company, `--concurrency` at a time, each in its company's slot and rate
limit; the Prefect client, imports and the ledger's sandbox stay up): prints seconds per company and companies per
hour, and the CPU seconds per company of this process (one interpreter: at most one core's worth of companies an
hour, whatever the machine's load) and of its children (the sandbox and the temporary Prefect server, which stand in
for the ledger and the Prefect server elsewhere), and the requests per company this process sent the Prefect server
(each a round trip a run waits on). Each company has its own ledger (a QBO realm, a Xero organisation)
in one sandbox process.

    .venv/bin/python bench/companies.py --companies 20 --invoices-each 10 --concurrency 4
"""

import argparse
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", choices=[n for n in names() if get(n).sandbox], default="qbo")
    parser.add_argument("--companies", type=int, default=20)
    parser.add_argument("--invoices-each", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4, help="Companies synced at once (hourly-sync's default).")
    parser.add_argument("--time-scale", type=float, default=120.0, help="Sandbox seconds per real second.")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args()
    from ledger_sync.flows.hourly import CompanyLedger, company_batch

    with tempfile.TemporaryDirectory(prefix="companies-bench-") as folder:
        home = Path(folder)
        seed_source(home, args.invoices_each * args.companies, args.companies)
        with sandbox_process(args.ledger, home, args.time_scale):
            connect(home, args.ledger, args.companies)
            automatic_sync_on(args.ledger, args.companies)
            warm_prefect()
            started, cpu_started, children_started = time.perf_counter(), time.process_time(), children_cpu_seconds()
            companies = [CompanyLedger(company_id=c, ledger=args.ledger) for c in range(1, args.companies + 1)]
            with prefect_requests_counted() as prefect_requests:
                runs = company_batch(companies=companies, concurrency=args.concurrency)
            seconds = time.perf_counter() - started
            cpu, children_cpu = time.process_time() - cpu_started, children_cpu_seconds() - children_started
    emit(
        {
            "ledger": args.ledger,
            "companies": args.companies,
            "invoices_each": args.invoices_each,
            "concurrency": args.concurrency,
            "completed": sum(1 for run in runs if run["state"] == "Completed"),
            "seconds_per_company": seconds / args.companies,
            "companies_per_hour": 3600 * args.companies / seconds,
            "cpu_seconds_per_company": cpu / args.companies,
            "companies_per_cpu_hour": 3600 * args.companies / cpu,
            "children_cpu_seconds_per_company": children_cpu / args.companies,
            "prefect_requests_per_company": prefect_requests[0] / args.companies,
            "load_average": os.getloadavg()[0],
            "peak_rss_mb": peak_rss_mb(),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
