"""What the benchmarks share: a ledger sandbox in a process of its own (so our CPU time is ours alone), a seeded,
connected and mapped company, and the sandbox's request log read back as figures.

Every benchmark script runs one measurement in its own process and, with `--json`, prints one JSON object last
(`bench/all.py` collects them); without it, it prints its figures beside their goals.
"""

import json
import math
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")  # no telemetry from the temporary server
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "600")  # slow on a loaded machine

from ledger_sync.connectors.registry import get
from ledger_sync.demo import connect_with_auto_consent, ledger_api_paths
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.sandboxes.plugin import load_sandbox
from ledger_sync.sandboxes.serve import free_port
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore

VENV_BIN = Path(sys.executable).parent
STARTUP_CEILING = 120.0
"""Seconds a sandbox process may take to answer (only bounds a hang: the machine may be loaded)."""

WRITE_LIMITS = {"qbo": ("batch calls", 40), "xero": ("calls", 60)}
"""The per-minute limit that binds a backfill: QBO's 40 batch calls per realm (30 writes each: 1,200 writes a
minute), Xero's 60 calls per tenant (50 records each)."""


def minimum_calls(written: dict[str, int], batch_size: int, books: "XeroBooks | None" = None) -> int:
    """The fewest calls the ledger's API allows for the records written: ceil(records / batch size) per type, plus,
    on Xero (`books`), the calls its API takes one record at a time or in a step of their own (see `XeroBooks`)."""
    batches = {kind: math.ceil(n / batch_size) for kind, n in written.items()}
    if books is None:
        return sum(batches.values())
    credits = books.credits
    payments = written.get("payment", 0) - credits
    batches["payment"] = math.ceil(payments / batch_size) + math.ceil(credits / batch_size) + books.credit_allocations
    batches["refund"] = 2 * batches.get("refund", 0)
    batches["credit_application"] = written.get("credit_application", 0)
    batches["payout"] = written.get("payout", 0) + math.ceil(books.payout_fees / batch_size)
    return sum(batches.values())


@dataclass(frozen=True)
class XeroBooks:
    """What a Xero organisation holds that takes calls beyond one per batch of its type: a deposit or overpayment is
    a receipt (batched: `PUT /BankTransactions`) then, for an invoice, an allocation of its own (`PUT
    /{Prepayments|Overpayments}/{id}/Allocations`: one credit per path); a refund is a credit note and a payment
    (two batched calls); a credit application is an allocation of its own (`PUT /CreditNotes/{id}/Allocations`); a
    payout is its fees (batched: a SPEND bank transaction) and a bank transfer of its own (Xero documents "create a
    bank transfer"; its spec answers "an array of one")."""

    credits: int
    """Prepayments and overpayments (each a payment written)."""
    credit_allocations: int
    payout_fees: int
    """SPEND bank transactions (a payout's fees)."""

    @classmethod
    def read(cls, base_url: str, tenant: str) -> "XeroBooks":
        """Counted in the sandbox's books through its admin API (not an API call of the run)."""

        def every(collection: str) -> list[dict[str, Any]]:
            url = f"{base_url}/_sandbox/tenants/{tenant}/{collection}"
            found: list[dict[str, Any]] = httpx.get(url, timeout=120).json()[collection]
            return found

        credits = every("Prepayments") + every("Overpayments")
        return cls(
            credits=len(credits),
            credit_allocations=sum(
                1 for credit in credits for a in credit.get("Allocations") or [] if not a.get("IsDeleted")
            ),
            payout_fees=sum(1 for t in every("BankTransactions") if t.get("Type") == "SPEND"),
        )


def seed_source(home: Path, invoices: int, companies: int = 1) -> None:
    """Seed Service Opus in a child process, so the benchmark's peak RSS is the sync's, not the seed's."""
    env = {**os.environ, "LEDGER_SYNC_SOURCE_URL": f"sqlite:///{home / 'service_opus.db'}"}
    command = [str(VENV_BIN / "ledger-sync"), "seed", "--invoices", str(invoices), "--companies", str(companies)]
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)


@dataclass(frozen=True)
class SandboxProcess:
    base_url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The sandbox process's CPU time so far (user + system)."""
        return process_cpu_seconds(self.pid)


@contextmanager
def sandbox_process(ledger: str, home: Path, time_scale: float) -> Iterator[SandboxProcess]:
    """`ledger-sync sandbox <ledger>` as a process of its own; sets the LEDGER_SYNC_* variables that point the
    connector at it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [str(VENV_BIN / "ledger-sync"), "sandbox", ledger, "--port", str(port)]
    command += ["--db", str(home / f"{ledger}-sandbox.db"), "--time-scale", str(time_scale), "--auto-consent"]
    with (home / f"{ledger}-sandbox.log").open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_serving(base_url, process)
            sandbox = load_sandbox(get(ledger).sandbox or "")
            os.environ.update(sandbox.connector_env(base_url, time_scale))
            yield SandboxProcess(base_url, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=60)


def _wait_until_serving(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_CEILING
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}")
        try:
            httpx.get(f"{base_url}/_sandbox/requests", timeout=5)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"the sandbox at {base_url} did not answer")


def connect(home: Path, ledger: str, companies: int = 1) -> None:
    """Point the app at `home`, connect each company to the running sandbox and save the suggested mapping."""
    os.environ.update({"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true"})
    settings = Settings()
    store = StateStore.open(settings)
    try:
        for company_id in range(1, companies + 1):
            connect_with_auto_consent(settings, store, company_id, ledger)
            apply_suggested_mapping(settings, store, company_id, ledger)
    finally:
        store.close()


def automatic_sync_on(ledger: str, companies: int) -> None:
    """Both Automatic Sync toggles on for every company, as the hourly fan-out and the live sync need them."""
    store = StateStore.open(Settings())
    try:
        for company_id in range(1, companies + 1):
            connection = store.connection(company_id, ledger)
            assert connection is not None
            store.set_auto_sync(connection.id, invoices=True, payments=True)
    finally:
        store.close()


def warm_prefect() -> None:
    """Start the temporary Prefect server (and its client) before anything is timed: a worker keeps it warm."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        client.hello()


def warm_great_expectations() -> float:
    """Import Great Expectations (and pandas with it) before anything is timed, as a worker has since its first run:
    the import is seconds of CPU once per process, not per record. Returns the CPU seconds it took, which the
    benchmarks print beside the run's own figures."""
    from ledger_sync.expectations.deferred_modules import defer_unused_modules

    started = time.process_time()
    defer_unused_modules()  # as in a worker, which imports GX only through `ledger_sync.expectations`
    import great_expectations  # noqa: F401

    return time.process_time() - started


def request_log(base_url: str, since: int = 0) -> list[dict[str, Any]]:
    """The sandbox's API requests after request id `since` (token and admin requests left out)."""
    body = httpx.get(f"{base_url}/_sandbox/requests", params={"since": since}, timeout=120).json()
    entries: list[dict[str, Any]] = body["requests"] if isinstance(body, dict) else body
    return [entry for entry in entries if entry["path"].startswith(ledger_api_paths())]


def sandbox_seconds(entry: dict[str, Any]) -> float:
    """When the sandbox took a request, in its own (time-scaled) seconds."""
    at = entry.get("at", entry.get("time"))
    return float(at) if isinstance(at, int | float) else datetime.fromisoformat(str(at)).timestamp()


@dataclass(frozen=True)
class CallFigures:
    """What the request log says about a run: calls, refusals, the minimum, and the pace in sandbox time."""

    calls: int
    writes: int
    unauthorized: int
    throttled: int
    minimum: int
    sandbox_minutes: float
    """From the first API call to the last, on the sandbox's clock."""
    limited_per_sandbox_minute: float
    limit_per_minute: int

    @classmethod
    def of(cls, ledger: str, log: list[dict[str, Any]], written: dict[str, int], minimum: int) -> "CallFigures":
        limited = [e for e in log if e["path"].endswith("/batch")] if ledger == "qbo" else log
        span = sandbox_seconds(log[-1]) - sandbox_seconds(log[0]) if len(log) > 1 else 0.0
        return cls(
            calls=len(log),
            writes=sum(1 for e in log if e["write"]),
            unauthorized=sum(1 for e in log if e["status"] == 401),
            throttled=sum(1 for e in log if e["status"] == 429),
            minimum=minimum,
            sandbox_minutes=span / 60,
            limited_per_sandbox_minute=len(limited) / (span / 60) if span else 0.0,
            limit_per_minute=WRITE_LIMITS[ledger][1],
        )

    @property
    def ratio(self) -> float:
        """API calls per minimum call (`minimum_calls`): 1.0 is every batch full, no call the vendor does not need."""
        return self.calls / self.minimum if self.minimum else 0.0

    @property
    def quota_fraction(self) -> float:
        """The pace of the binding limit's calls over the run, in sandbox time, as a fraction of the limit. It means
        something over runs of several sandbox minutes only: a short run fits in one window and may pass 1."""
        return self.limited_per_sandbox_minute / self.limit_per_minute


_LEDGER_ID = re.compile(r"/(?:[0-9a-f]{8}-[0-9a-f-]{27}|\d+)(?=/|$)")
"""A QBO realm or entity id, or a Xero GUID, in a path: one kind of call whatever record it names."""
_QUERIED_ENTITY = re.compile(r"\bfrom\s+(\w+)", re.IGNORECASE)


def calls_by_kind(log: list[dict[str, Any]]) -> dict[str, int]:
    """How many calls of each kind a run made, most first: method and path with its ids left out, and for a QBO
    query the entity it selects (so the calls over the minimum can be told apart)."""
    kinds: Counter[str] = Counter()
    for entry in log:
        path = _LEDGER_ID.sub("/{id}", entry["path"])
        if path.endswith("/query"):
            statement = (parse_qs(entry.get("query", "")).get("query") or [""])[0]
            entity = _QUERIED_ENTITY.search(statement)
            path += f" {entity.group(1)}" if entity else ""  # QBO's connector posts its statements: not logged
        kinds[f"{entry['method']} {path}"] += 1
    return dict(kinds.most_common())


def process_cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """The CPU time so far of this process's running children (the sandbox, the temporary Prefect server)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                total += process_cpu_seconds(int(stat.parent.name))
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended while we looked
    return total


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(figures: dict[str, Any], as_json: bool) -> None:
    """The figures as the last line of JSON (for `bench/all.py`), else one per line."""
    if as_json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name}: {value:,.3f}" if isinstance(value, float) else f"{name}: {value}")
