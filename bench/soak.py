"""Soak: the chaos test longer and bigger. Prints records, faults injected by kind, kills, duplicates found and
records lost; exits 1 unless the last two are 0 (and nothing is pending, no amount is wrong).

    .venv/bin/python bench/soak.py --ledger qbo --invoices 5000 --kills 10 --seed 3 --minutes 30

`--minutes` bounds the killing phase: runs are killed at random moments until `--kills` kills or the time is up,
then runs go to completion. The run folder (every process's log, the databases) is kept with `--keep`.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the chaos harness lives with the tests

from tests.chaos.harness import ChaosConfig, ChaosRun, ledgers


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ledger", choices=sorted(ledgers()), default="qbo")
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--minutes", type=float, default=30.0, help="Bound on the killing phase.")
    parser.add_argument("--keep", type=Path, help="Run in this folder and keep it (default: a temporary one).")
    args = parser.parse_args()
    config = ChaosConfig(
        ledger=args.ledger,
        invoices=args.invoices,
        kills=args.kills,
        seed=args.seed,
        kill_phase_seconds=args.minutes * 60,
        max_runs=args.kills + 30,
    )
    started = time.monotonic()
    if args.keep:
        report = ChaosRun(config, args.keep).run()
    else:
        with tempfile.TemporaryDirectory(prefix="soak-") as folder:
            report = ChaosRun(config, Path(folder)).run()
    minutes = (time.monotonic() - started) / 60
    print(report.summary())
    faults = ", ".join(f"{kind} {count}" for kind, count in report.faults.items())
    records = sum(count for kind, count in report.records.items() if kind != "seeded invoices")
    print(f"records {records:,} ({report.records})")
    print(f"faults injected: {faults}")
    print(f"kills {report.kills}, runs {len(report.runs)}, reconnects {report.reconnects}, {minutes:.1f} min")
    print(f"duplicates found {len(report.findings.duplicates)}")
    print(f"records lost {len(report.findings.lost)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
