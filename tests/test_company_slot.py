"""Two syncs of one company never run at once, the CLI's included: the second waits a short while for
the company's slot, then refuses with who holds it and exit code 3."""

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_sync.cli import app
from ledger_sync.state.slots import CompanyBusy, company_lock, slot_path


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_a_second_run_refuses_after_the_wait_naming_when_the_first_started(tmp_path: Path) -> None:
    clock = Clock()
    with company_lock(tmp_path, 7, 0):
        with (
            pytest.raises(CompanyBusy) as busy,
            company_lock(tmp_path, 7, 5, monotonic=clock.monotonic, sleep=clock.sleep),
        ):
            pytest.fail("two holders of one company's slot")
        assert str(busy.value).startswith("company 7 is already syncing, started at 20")
        assert "UTC (process " in str(busy.value)
        assert 5 <= clock.now < 5.5, "it waited the configured while, no longer"
        with company_lock(tmp_path, 8, 0):  # another company is not held up
            pass
    with company_lock(tmp_path, 7, 0):  # released at the end of the block
        pass


def test_a_killed_run_releases_the_slot(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, pathlib; from ledger_sync.state.slots import company_lock\n"
            f"with company_lock(pathlib.Path({str(tmp_path)!r}), 1, 0):\n"
            "    print('held', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(CompanyBusy), company_lock(tmp_path, 1, 0):
            pass
        holder.kill()
        holder.wait()
        with company_lock(tmp_path, 1, 0):
            assert slot_path(tmp_path, 1).read_text().strip().endswith(")")
    finally:
        holder.kill()
        holder.wait()


def test_the_cli_refuses_a_second_sync_of_one_company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefect_server: None
) -> None:
    monkeypatch.setenv("LEDGER_SYNC_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_SYNC_COMPANY_LOCK_WAIT_SECONDS", "0")
    with company_lock(tmp_path, 1, 0):
        result = CliRunner().invoke(app, ["sync", "--company", "1", "--ledger", "qbo"])
    assert result.exit_code == 3, result.output
    assert "company 1 is already syncing, started at" in " ".join(result.output.split())
    assert not (tmp_path / "state.db").exists(), "the refused run opened nothing"
