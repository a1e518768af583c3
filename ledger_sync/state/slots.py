"""The company's sync slot on this machine: an exclusive lock file per company, held for a whole run.

Every sync entry point takes it (`flows.sync.run_sync`: the CLI, hourly, backfill and live runs), on
top of the Prefect concurrency limit the deployments hold, which a CLI run without a Prefect server
cannot see. The operating system releases the lock when its process ends, even a SIGKILLed one, so a
crashed run never blocks the next. The file says who holds it, for the "already syncing" message.
"""

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

POLL_SECONDS = 0.2


class CompanyBusy(RuntimeError):
    """Another run holds the company's slot and did not let go within the wait."""


def slot_path(home: Path, company_id: int) -> Path:
    return home / "locks" / f"company-{company_id}.lock"


@contextmanager
def company_lock(
    home: Path,
    company_id: int,
    wait_seconds: float,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold company `company_id`'s slot for the block; raise `CompanyBusy` after `wait_seconds` without it."""
    path = slot_path(home, company_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if monotonic() >= deadline:
                    holder = path.read_text().strip() or "an unknown time"
                    raise CompanyBusy(f"company {company_id} is already syncing, started at {holder}") from None
                sleep(POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC (process {os.getpid()})\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
