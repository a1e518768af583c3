"""Sync now: start one company's sync from the settings page, without waiting for it.

With a Prefect API configured (`PREFECT_API_URL`, as `ledger-sync up` sets it) the company-sync deployment
is started, so the run holds the company's Prefect slot and rate limit like any other and shows in the
Prefect UI (it syncs what the Automatic Sync toggles allow). Without one, `ledger-sync sync` runs in a
child process of the web server (the sync in full, as the command line runs it; its output goes to
`<home>/logs/`), so a slow ledger never holds up a page. Either way the run shows in Sync activity.
"""

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.settings import PREFECT_API_URL

from ledger_sync.core.runs import COMPANY_SYNC_DEPLOYMENT
from ledger_sync.settings import Settings


class SyncNotStarted(RuntimeError):
    """Neither the deployment nor the local run could be started; the message says why."""


def _command() -> str:
    """The `ledger-sync` next to this interpreter (a virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ledger-sync")
    found = str(beside) if beside.exists() else shutil.which("ledger-sync")
    if found is None:
        raise SyncNotStarted("the ledger-sync command is not installed next to the web server")
    return found


def _run_locally(settings: Settings, company_id: int, ledger: str) -> None:
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / f"sync-now-company-{company_id}-{ledger}.log").open("ab") as log:
        child = subprocess.Popen(
            [_command(), "sync", "--company", str(company_id), "--ledger", ledger],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    threading.Thread(target=child.wait, name=f"sync-now-{child.pid}", daemon=True).start()  # reaps it


def start_sync(settings: Settings, company_id: int, ledger: str) -> str:
    """Start the sync; returns where it runs, for the notice."""
    if not PREFECT_API_URL.value():
        _run_locally(settings, company_id, ledger)
        return "started on this server"
    try:
        run_deployment(COMPANY_SYNC_DEPLOYMENT, parameters={"company_id": company_id, "ledger": ledger}, timeout=0)
    except (ObjectNotFound, httpx.HTTPError) as exc:
        raise SyncNotStarted(f"Prefect could not start the company-sync deployment: {exc}") from exc
    return "started on the Prefect workers (it syncs what the Automatic Sync toggles allow)"
