"""How a big sync goes against a local ledger sandbox: seeds N invoices, syncs them and their payments in-process,
and prints seconds, invoices per second, write calls, records per write call, and API calls (with Xero's
5,000/day limit beside them).

The sandbox clock is time-scaled so the ledger's per-minute limits do not stretch the run to hours. The figure of
record is the run summary's `api_calls`; the sandbox's request log is shown beside it.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from the temporary server

from ledger_sync.connectors.registry import get, names
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import connect_with_auto_consent, ledger_api_paths, sandbox_for
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore

XERO_DAY_LIMIT = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ledger", choices=[n for n in names() if get(n).sandbox], default="qbo")
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--time-scale", type=float, default=120.0, help="Sandbox seconds per real second.")
    args = parser.parse_args()
    from ledger_sync.flows.sync import sync_company

    with tempfile.TemporaryDirectory(prefix=f"{args.ledger}-bench-") as folder:
        home = Path(folder)
        engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
        seeded = seed(engine, invoices=args.invoices)
        engine.dispose()
        with sandbox_for(args.ledger, home, args.time_scale) as (base_url, endpoints, _):
            os.environ.update({"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true", **endpoints})
            settings = Settings()
            store = StateStore.open(settings)
            try:
                connect_with_auto_consent(settings, store, 1, args.ledger)
                apply_suggested_mapping(settings, store, 1, args.ledger)
                started = time.perf_counter()
                summary = sync_company(company_id=1, ledger=args.ledger)
                seconds = time.perf_counter() - started
            finally:
                store.close()
            body = httpx.get(f"{base_url}/_sandbox/requests", timeout=60).json()
    log = body["requests"] if isinstance(body, dict) else body
    api = [entry for entry in log if entry["path"].startswith(ledger_api_paths())]
    writes = [entry for entry in api if entry["write"]]
    throttled = [entry for entry in api if entry["status"] == 429]
    entities: dict[str, dict[str, int]] = summary["entities"]  # type: ignore[assignment]
    records = sum(counts["created"] + counts["updated"] for counts in entities.values())
    invoices = entities["invoice"]["created"]
    print(f"seeded {seeded.invoices:,} invoices ({seeded.locked:,} locked), {seeded.collected_payments:,} payments")
    print(f"{args.ledger}: {summary['outcome']} in {seconds:.1f} s at sandbox time scale {args.time_scale:g}")
    for name, counts in entities.items():
        created, parked, unknown = counts["created"], counts["parked"], counts["unknown"]
        print(f"  {name:9} created {created:6,}  parked {parked:4,}  unknown {unknown:3,}")
    print(f"invoices/s: {invoices / seconds:.1f}")
    print(f"records written: {records:,}; write calls: {len(writes):,} -> {records / max(1, len(writes)):.1f} per call")
    print(f"api_calls (run summary): {summary['api_calls']}; sandbox saw {len(api):,}, {len(throttled)} answered 429")
    if args.ledger == "xero":
        print(f"day limit: {len(api):,} of {XERO_DAY_LIMIT:,} calls ({len(api) / XERO_DAY_LIMIT:.0%})")


if __name__ == "__main__":
    main()
