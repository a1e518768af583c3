"""How fast the local QBO sandbox takes a big sync: seeds N invoices, syncs them and their payments to the
sandbox in-process (rate limits raised out of the way: this measures the sandbox, not throttling) and prints
invoices, seconds and invoices per second.

A sandbox whose writes scan the whole company slows down as it fills; with indexed lookups the rate stays flat.
"""

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from the temporary server

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import connect_with_auto_consent
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.sandboxes.endpoints import qbo_sandbox_env
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.serve import serving
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore

NO_LIMIT = 1_000_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=2_000)
    args = parser.parse_args()
    from ledger_sync.flows.sync import sync_company

    with tempfile.TemporaryDirectory(prefix="qbo-bench-") as folder:
        home = Path(folder)
        engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
        seeded = seed(engine, invoices=args.invoices)
        engine.dispose()
        config = QboSandboxConfig(
            db_path=home / "qbo-sandbox.db",
            auto_consent=True,
            per_minute=NO_LIMIT,
            per_second=NO_LIMIT,
            concurrent=NO_LIMIT,
            batch_per_minute=NO_LIMIT,
        )
        with serving(create_app(config)) as base_url:
            os.environ.update({"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true"})
            os.environ.update(qbo_sandbox_env(base_url))
            settings = Settings()
            store = StateStore.open(settings)
            try:
                connect_with_auto_consent(settings, store, 1, "qbo")
                apply_suggested_mapping(settings, store, 1, "qbo")
                started = time.perf_counter()
                summary = sync_company(company_id=1, ledger="qbo")
                seconds = time.perf_counter() - started
            finally:
                store.close()
    entities: dict[str, dict[str, int]] = summary["entities"]  # type: ignore[assignment]
    invoices = entities.get("invoice", {}).get("created", 0)
    print(f"seeded {seeded.invoices:,} invoices ({seeded.locked:,} locked), {seeded.collected_payments:,} payments")
    print(f"outcome: {summary['outcome']}")
    for name, counts in entities.items():
        print(f"  {name:9} created {counts['created']:6,}  parked {counts['parked']:4,}")
    print(f"invoices: {invoices:,}  seconds: {seconds:.1f}  invoices/s: {invoices / seconds:.1f}")


if __name__ == "__main__":
    main()
