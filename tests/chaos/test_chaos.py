"""Exactly once under faults: a faulty sandbox, sync processes SIGKILLed at random, and the ledger must still equal
Service Opus: every record once, to the cent, nothing for drafts and voids, 0 pending; invoices voided in Service
Opus during the run (with their payments) are voided in the ledger or were never sent; invoices corrected (unlocked,
edited, relocked) and customers renamed between killed runs are corrected in place.

One bounded run per ledger the project supports (`bench/soak.py` is the long version). On failure the message names
each duplicate and lost record, and for each duplicate the run that wrote each copy and the faults just before it;
the whole run folder (logs of every process, databases) is kept under pytest's tmp_path.
"""

from pathlib import Path

import pytest

from tests.chaos.harness import ChaosConfig, ChaosRun, ledgers
from tests.status_invariant import accounting_errors


@pytest.mark.chaos
@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.parametrize("ledger", sorted(ledgers()))
def test_the_ledger_equals_service_opus_after_faults_and_kills(ledger: str, tmp_path: Path) -> None:
    config = ChaosConfig(ledger=ledger, invoices=1500, kills=4, seed=11, voids=15, corrections=20)
    report = ChaosRun(config, tmp_path / ledger).run()
    print(report.summary())
    # + one for the voids' killed run (unless the data ran out first), + one when the corrections came late
    assert config.kills <= report.kills <= config.kills + 2, report.summary()
    assert report.corrected == config.corrections, "invoices corrected (and customers renamed) between killed runs"
    assert report.corrected_in_ledger > 0 and report.kills_after_corrections >= 1, report.summary()
    assert sum(report.faults[kind] for kind in ("server_error", "throttle", "slow", "drop_after_commit")) > 0
    assert report.faults["revoke"] == 1 and report.reconnects >= 1, report.summary()
    assert report.findings.duplicates == [], report.summary()
    assert report.findings.lost == [], report.summary()
    assert report.findings.wrong_amounts == [], report.summary()
    assert report.findings.forbidden == [], report.summary()
    assert report.findings.voids == [], report.summary()
    assert report.findings.parked_without_reason == [], report.summary()
    assert report.findings.parked_but_in_ledger == [], report.summary()
    assert report.pending == 0, report.summary()
    assert accounting_errors(report.status) == [], report.summary()
