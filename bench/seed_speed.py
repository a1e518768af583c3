"""How fast `seed` fills a SQLite file: rows and seconds for 100,000 invoices by default."""

import argparse
import tempfile
import time
from pathlib import Path

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.state.db import make_engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'service_opus.db'}")
        started = time.perf_counter()
        summary = seed(engine, invoices=args.invoices, companies=args.companies)
        seconds = time.perf_counter() - started
        engine.dispose()
    rows = summary.customers + summary.invoices + summary.invoice_lines + summary.payments
    print(
        f"seeded {summary.invoices:,} invoices, {summary.invoice_lines:,} lines, {summary.payments:,} payments and "
        f"{summary.customers:,} customers ({rows:,} rows) in {seconds:.1f} s"
    )
    print(f"{summary.invoices / seconds:,.0f} invoices/s, {rows / seconds:,.0f} rows/s")


if __name__ == "__main__":
    main()
