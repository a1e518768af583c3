"""How many Xero API calls a big sync spends: seeds N invoices, syncs them and their payments to the local
Xero sandbox (time-scaled so its 60/minute limit does not stretch the run to hours), and prints records,
write calls, records per write call, total calls and how close the tenant came to its 5,000/day limit.

The figure of record is the run summary's `api_calls`; the sandbox's request log is shown beside it.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

import httpx

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from the temporary server

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import LEDGER_API_PATHS, connect_with_auto_consent, sandbox_for
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore

DAY_LIMIT = 5000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--time-scale", type=float, default=120.0, help="Sandbox seconds per real second.")
    args = parser.parse_args()
    from ledger_sync.flows.sync import sync_company

    with tempfile.TemporaryDirectory(prefix="xero-bench-") as folder:
        home = Path(folder)
        engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
        seeded = seed(engine, invoices=args.invoices)
        engine.dispose()
        with sandbox_for("xero", home, args.time_scale) as (base_url, endpoints, _):
            os.environ.update({"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true", **endpoints})
            settings = Settings()
            store = StateStore.open(settings)
            try:
                connect_with_auto_consent(settings, store, 1, "xero")
                apply_suggested_mapping(settings, store, 1, "xero")
                started = time.perf_counter()
                summary = sync_company(company_id=1, ledger="xero")
                seconds = time.perf_counter() - started
            finally:
                store.close()
            log = httpx.get(f"{base_url}/_sandbox/requests", timeout=60).json()["requests"]
    api = [entry for entry in log if entry["path"].startswith(LEDGER_API_PATHS)]
    writes = [entry for entry in api if entry["write"]]
    throttled = [entry for entry in api if entry["status"] == 429]
    entities: dict[str, dict[str, int]] = summary["entities"]  # type: ignore[assignment]
    records = sum(counts["created"] + counts["updated"] for counts in entities.values())
    calls = int(summary["api_calls"])  # type: ignore[call-overload]
    print(f"seeded {seeded.invoices:,} invoices ({seeded.locked:,} locked), {seeded.collected_payments:,} payments")
    print(f"outcome: {summary['outcome']} in {seconds:.0f} s at sandbox time scale {args.time_scale:g}")
    for name, counts in entities.items():
        print(
            f"  {name:9} created {counts['created']:6,}  parked {counts['parked']:4,}  unknown {counts['unknown']:3,}"
        )
    print(f"records written: {records:,}")
    print(f"write calls: {len(writes):,}  ->  {records / max(1, len(writes)):.1f} records per write call")
    print(f"api_calls (run summary): {calls:,}; sandbox saw {len(api):,} API calls, {len(throttled)} answered 429")
    print(
        f"day limit: {len(api):,} of {DAY_LIMIT:,} calls ({len(api) / DAY_LIMIT:.0%}); "
        f"{'TRIPPED' if any(e['status'] == 429 for e in api) else 'never tripped'}"
    )


if __name__ == "__main__":
    main()
