"""Subprocesses of a chaos run, on `ledger_sync.stack`'s process groups (each child in its own group, all stopped at
the end even when the run fails), plus what only chaos needs: SIGKILL of a sync, children included, at a chosen
moment."""

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ledger_sync.stack import BIN, Children

LEDGER_SYNC = str(BIN / "ledger-sync")


@contextmanager
def children(log_dir: Path) -> Iterator[Children]:
    """Children logging to `log_dir/<name>.log`; every one still running is stopped when the block ends."""
    started = Children(log_dir)
    try:
        yield started
    finally:
        started.stop_all(timeout=5)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole process group (a no-op when it is already gone) and reap the leader."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
