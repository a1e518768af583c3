"""`ledger-sync up` brings the whole stack up, deploys, and leaves no process behind on Ctrl-C;
on PostgreSQL (state store and Prefect server) where the machine runs it."""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from ledger_sync.sandboxes.serve import free_port
from ledger_sync.stack import descendants
from tests.conftest import POSTGRES_URL
from tests.waiting import CEILING, wait_for

pytestmark = pytest.mark.e2e

DEPLOYMENTS = {"hourly-sync", "company-sync", "company-batch", "backfill", "live-sync", "daily-reconcile", "reconcile"}


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the Prefect server (asyncpg URL), dropped afterwards."""
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"prefect_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def databases(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "sqlite":
        return {}
    return {
        "LEDGER_SYNC_STATE_URL": request.getfixturevalue("postgres_schema_url"),
        "PREFECT_API_DATABASE_CONNECTION_URL": request.getfixturevalue("prefect_database"),
    }


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_up_starts_deploys_and_stops_cleanly(tmp_path: Path, databases: dict[str, str]) -> None:
    ports = {name: free_port() for name in ("prefect", "qbo", "xero", "web")}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LEDGER_SYNC_"))}
    env |= {"LEDGER_SYNC_HOME": str(tmp_path / "home"), "LEDGER_SYNC_DEMO_MODE": "true", **databases}
    argv = [str(Path(sys.executable).parent / "ledger-sync"), "up"]
    argv += [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    up = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    api = f"http://127.0.0.1:{ports['prefect']}/api"
    family: list[int] = []
    try:

        def ready() -> bool:
            assert up.poll() is None, up.stdout.read() if up.stdout else ""
            try:
                deployments = httpx.post(f"{api}/deployments/filter", json={}, timeout=30).json()
                workers = httpx.post(f"{api}/work_pools/ledger-sync/workers/filter", json={}, timeout=30).json()
            except (httpx.TransportError, ValueError):
                return False
            return {d["name"] for d in deployments} == DEPLOYMENTS and any(w["status"] == "ONLINE" for w in workers)

        wait_for(ready, "the stack with its deployments and an online worker", interval=1)
        assert httpx.get(f"http://127.0.0.1:{ports['qbo']}/_sandbox/requests", timeout=30).status_code == 200
        limits = httpx.post(f"{api}/v2/concurrency_limits/filter", json={}, timeout=30)
        assert limits.status_code == 200
        if "PREFECT_API_DATABASE_CONNECTION_URL" in databases:
            url = databases["PREFECT_API_DATABASE_CONNECTION_URL"].replace("+asyncpg", "+psycopg")
            engine = sa.create_engine(url)
            with engine.connect() as conn:
                assert conn.execute(sa.text("SELECT count(*) FROM deployment")).scalar() == len(DEPLOYMENTS)
            engine.dispose()
        family = descendants(up.pid)
        assert len(family) >= 5  # server, sandboxes, worker, relay (and what they started)
        up.send_signal(signal.SIGINT)
        assert up.wait(CEILING) == 0
        output = up.stdout.read() if up.stdout else ""
        assert "Stopped." in output
        assert [pid for pid in family if _alive(pid)] == []
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
            up.wait(CEILING)
        for pid in family:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
