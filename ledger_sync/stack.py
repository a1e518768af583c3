"""`ledger-sync up`: the whole local stack in one command, stopped cleanly on Ctrl-C.

Children: the Prefect server, each registered ledger's sandbox, a process worker of the `ledger-sync` pool,
the live sync (`ledger-sync live`), the outbox relay and the settings page. Each child runs in its own process
group and logs to `<home>/logs/<name>.log`; stopping sends SIGTERM to every group (newest first), waits, then SIGKILLs
stragglers, including flow-run processes that left the group.

PostgreSQL: set LEDGER_SYNC_STATE_URL (psycopg) for the state store and
PREFECT_API_DATABASE_CONNECTION_URL (`postgresql+asyncpg://...`) for the Prefect server; both are
passed through to the children. Without them both use SQLite files under `<home>`.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ledger_sync.connectors.registry import get, ledger_label, names
from ledger_sync.sandboxes.plugin import SandboxPlugin, load_sandbox
from ledger_sync.settings import Settings

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Where prefect.yaml lives; the deployments' working directory."""
BIN = Path(sys.executable).parent


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`, read from /proc (empty where there is no /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stat = entry.read_text()
        except OSError:  # the process ended while we looked
            continue
        parents[int(entry.parent.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _kill(pids: list[int], sig: signal.Signals, *, group: bool = False) -> None:
    for pid in pids:
        with suppress(ProcessLookupError):
            (os.killpg if group else os.kill)(pid, sig)


@dataclass
class Children:
    """Child processes, each in its own process group, stopped together."""

    log_dir: Path
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.Popen[bytes]:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with (self.log_dir / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(
                argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.running[name] = process
        return process

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.log_dir / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def exited(self) -> dict[str, int]:
        return {name: code for name, p in self.running.items() if (code := p.poll()) is not None}

    def stop(self, name: str, timeout: float = 15.0) -> None:
        process = self.running.pop(name)
        self._terminate({name: process}, timeout)

    def stop_all(self, timeout: float = 15.0) -> None:
        running = dict(reversed(self.running.items()))
        self.running.clear()
        self._terminate(running, timeout)

    @staticmethod
    def _terminate(processes: dict[str, subprocess.Popen[bytes]], timeout: float) -> None:
        """SIGTERM each group, wait up to `timeout`, then SIGKILL whatever is left (groups and descendants)."""
        stragglers = [pid for p in processes.values() for pid in descendants(p.pid)]
        _kill([p.pid for p in processes.values() if p.poll() is None], signal.SIGTERM, group=True)
        deadline = time.monotonic() + timeout
        for process in processes.values():
            with suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        left = [p for p in processes.values() if p.poll() is None]
        _kill([p.pid for p in left], signal.SIGKILL, group=True)
        for process in left:
            process.wait(10)
        _kill(stragglers, signal.SIGKILL)


def prefect_env(api_url: str, prefect_home: Path) -> dict[str, str]:
    """What every Prefect client and server child needs: the API, a private PREFECT_HOME, no telemetry.

    The write engine logs through stdlib logging (it knows nothing of Prefect): its warnings reach the
    flow run's log because its logger is one of Prefect's extra loggers.
    """
    return {
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(prefect_home),
        "PREFECT_LOGGING_EXTRA_LOGGERS": "ledger_sync.engine",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": api_url,
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    """Poll `url` until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} before it was up")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{what} did not answer {url} within {timeout:.0f} s")


def start_prefect_server(children: Children, port: int, env: dict[str, str]) -> str:
    """`prefect server start` on 127.0.0.1:`port`; returns the API URL once it is healthy."""
    api_url = f"http://127.0.0.1:{port}/api"
    process = children.start(
        "prefect-server",
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env,
    )
    try:
        wait_until_up(f"{api_url}/health", process, 180, "the Prefect server")
    except (RuntimeError, TimeoutError) as exc:
        raise RuntimeError(f"{exc}\n{children.log_tail('prefect-server')}") from exc
    return api_url


def create_work_pool(name: str) -> None:
    """The process work pool the deployments run on (kept as is when it exists)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(WorkPoolCreate(name=name, type="process", base_job_template=template))


def deploy_all(env: dict[str, str]) -> None:
    """`prefect deploy --all` from the repository root, as prefect.yaml describes."""
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"prefect deploy failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )


def start_worker(children: Children, pool: str, env: dict[str, str], name: str = "worker") -> subprocess.Popen[bytes]:
    return children.start(name, [str(BIN / "prefect"), "worker", "start", "--pool", pool, "--type", "process"], env)


@dataclass(frozen=True)
class Ports:
    prefect: int = 4200
    web: int = 8000
    sandboxes: Mapping[str, int] = field(default_factory=dict)
    """Sandbox port per ledger; a ledger not named here gets its sandbox's default port."""


def start_sandboxes(
    children: Children, ports: Ports, home: Path, env: dict[str, str], announce: Callable[[str], None]
) -> dict[str, str]:
    """`ledger-sync sandbox <ledger>` for every registered ledger that ships one, each with its ledger file
    under `home`; returns the LEDGER_SYNC_* settings that point the connectors at them, once all are up."""
    started: dict[str, tuple[str, SandboxPlugin]] = {}
    for ledger in names():
        module = get(ledger).sandbox
        if module is None:
            continue
        sandbox = load_sandbox(module)
        port = ports.sandboxes.get(ledger, sandbox.default_port)
        db = str(home / f"{ledger}-sandbox.db")
        argv = [str(BIN / "ledger-sync"), "sandbox", ledger, "--port", str(port), "--db", db]
        children.start(f"{ledger}-sandbox", argv, env)
        started[ledger] = (f"http://127.0.0.1:{port}", sandbox)
    endpoints: dict[str, str] = {}
    for ledger, (url, sandbox) in started.items():
        label = f"{ledger_label(ledger)} sandbox"
        wait_until_up(f"{url}/_sandbox/requests", children.running[f"{ledger}-sandbox"], 60, f"the {label}")
        announce(f"{label}  {url}")
        endpoints |= sandbox.connector_env(url, 1.0)
    return endpoints


def run_stack(settings: Settings, ports: Ports, stop: threading.Event, announce: Callable[[str], None]) -> int:
    """Start everything, deploy, then wait for `stop` (or a child's death); always stops every child."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = settings.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    children = Children(home / "logs")
    ledger_sync = str(BIN / "ledger-sync")
    try:
        base = {**os.environ, **prefect_env(f"http://127.0.0.1:{ports.prefect}/api", home / "prefect")}
        api_url = start_prefect_server(children, ports.prefect, base)
        announce(f"Prefect UI     http://127.0.0.1:{ports.prefect}")
        endpoints = start_sandboxes(children, ports, home, base, announce)
        env = {**base, "LEDGER_SYNC_HOME": str(home), **endpoints}
        with temporary_settings({PREFECT_API_URL: api_url}):
            prepare_prefect(settings)
        deploy_all(env)
        announce("Deployed hourly-sync, company-sync, company-batch, backfill, live-sync, daily-reconcile, reconcile")
        start_worker(children, settings.work_pool, env)
        children.start("live-sync", [ledger_sync, "live"], env)
        children.start("outbox-relay", [ledger_sync, "relay", "--follow"], env)
        children.start("web", [ledger_sync, "web", "--port", str(ports.web)], env)
        announce(f"Settings page  http://127.0.0.1:{ports.web}")
        announce(f"Logs in {children.log_dir}; Ctrl-C stops everything")
        while not stop.wait(1.0):
            dead = children.exited()
            if "web" in dead:  # the stack works without its settings page (e.g. no admin password set)
                announce(f"the settings page exited with {dead.pop('web')}: {children.log_tail('web', 3)}")
                children.running.pop("web")
            if dead:
                announce(f"stopping: {', '.join(f'{n} exited with {c}' for n, c in dead.items())}")
                return 1
        return 0
    finally:
        children.stop_all()
        announce("Stopped.")


def prepare_prefect(settings: Settings) -> list[str]:
    """The work pool, every connected company's limits and the notification automation (when a webhook is set),
    on the server PREFECT_API_URL names; what was set up, named."""
    from ledger_sync.limits import CompanyLimits, setup_limits
    from ledger_sync.notifications import setup_notifications
    from ledger_sync.state.store import StateStore

    create_work_pool(settings.work_pool)
    store = StateStore.open(settings)
    try:
        companies = sorted({c.company_id for c in store.connected()})
    finally:
        store.close()
    limits = setup_limits([CompanyLimits.from_settings(settings, c) for c in companies])
    return [f"limit {name}" for name in limits] + setup_notifications(settings)
