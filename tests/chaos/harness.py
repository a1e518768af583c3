"""A chaos run: seed Service Opus, serve a faulty sandbox, sync in subprocesses that get SIGKILLed at seeded random
moments, reconnect when the grant is revoked, and check the ledger against the source at the end.

Shared by `tests/chaos` (small and bounded) and `bench/soak.py` (longer and bigger). Everything lives in `workdir`:
the Service Opus and state databases, the sandbox ledger, the Prefect home, and one log per process.
"""

import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.sandboxes.faults import FaultPlan
from ledger_sync.sandboxes.serve import free_port
from ledger_sync.settings import Settings
from ledger_sync.stack import Children, prefect_env, start_prefect_server, wait_until_up
from ledger_sync.state.db import make_engine
from tests.chaos.books import QBO_BOOKS, XERO_BOOKS, Findings, LedgerBooks, Row, compare, expected_from_source
from tests.chaos.corrections import correct
from tests.chaos.processes import LEDGER_SYNC, children, kill_group

COMPANY_ID = 1


@dataclass(frozen=True)
class LedgerUnderTest:
    name: str
    sandbox_module: str
    env_prefix: str
    books: LedgerBooks
    client_env: Callable[[str, float], dict[str, str]]
    """(base URL, time scale) -> the LEDGER_SYNC_* variables pointing the connector at the sandbox."""


def ledgers() -> dict[str, LedgerUnderTest]:
    from ledger_sync.sandboxes.endpoints import qbo_sandbox_env, xero_sandbox_env

    return {
        "qbo": LedgerUnderTest("qbo", "ledger_sync.sandboxes.qbo", "QBO_SANDBOX_", QBO_BOOKS, qbo_sandbox_env),
        "xero": LedgerUnderTest("xero", "ledger_sync.sandboxes.xero", "XERO_SANDBOX_", XERO_BOOKS, xero_sandbox_env),
    }


def default_plan(seed_value: int) -> FaultPlan:
    """The acceptance mix: 5 % 5xx, 5 % 429, 3 % slow past the timeout, 3 % commit-then-drop, a revoke, edits."""
    return FaultPlan(
        seed=seed_value,
        server_error_rate=0.05,
        throttle_rate=0.05,
        slow_rate=0.03,
        slow_seconds=3.0,
        drop_after_commit_rate=0.03,
        revoke_after=[40],
        touch_after_writes=[10, 30, 50],
    )


@dataclass(frozen=True)
class ChaosConfig:
    ledger: str = "qbo"
    invoices: int = 2000
    kills: int = 4
    seed: int = 1
    plan: FaultPlan | None = None
    """None: `default_plan(seed)`."""
    http_timeout_seconds: float = 2.0
    """The client's timeout; slow faults answer later than this."""
    time_scale: float = 20.0
    """Sandbox seconds per real second: rate windows and token lifetimes pass quickly."""
    kill_after_writes: tuple[int, int] = (1, 8)
    """A killed run dies once the sandbox has seen this many of its ledger writes (seeded draw in the range)..."""
    kill_delay_seconds: tuple[float, float] = (0.0, 1.0)
    """... plus this long (seeded draw), so the kill lands anywhere between a request and the state commit."""
    kill_phase_seconds: float | None = None
    """Stop killing after this long even if fewer than `kills` runs died (the soak's --minutes)."""
    max_runs: int = 30
    run_timeout_seconds: float = 600.0
    voids: int = 0
    """Locked invoices with a collected payment that Service Opus voids after the first run that completes (seeded
    draw; most are synced with their payments by then, and are voided in the ledger with the payments removed;
    any other is never sent); the run after is SIGKILLed as well."""
    corrections: int = 0
    """Invoices unlocked, edited and relocked (and their customers renamed) in Service Opus once the ledger holds as
    many, between killed runs, so later runs, killed too, must correct the ledger in place."""


@dataclass
class RunRecord:
    number: int
    started_at: float
    """Sandbox clock, to line up with fault events and the ledger's creation times."""
    ended_at: float
    outcome: str
    """completed | failed (exit code) | killed."""
    log: Path


@dataclass
class ChaosReport:
    ledger: str
    records: dict[str, int]
    faults: dict[str, int]
    runs: list[RunRecord]
    reconnects: int
    findings: Findings
    status: dict[str, Any]
    fault_events: list[dict[str, Any]] = field(repr=False, default_factory=list)
    corrected: int = 0
    """Invoices corrected in Service Opus during the run (`ChaosConfig.corrections`)..."""
    corrected_in_ledger: int = 0
    """... of which the ledger held this many already (corrected in place, not created in their new version)."""
    kills_after_corrections: int = 0

    @property
    def kills(self) -> int:
        return sum(1 for r in self.runs if r.outcome == "killed")

    @property
    def pending(self) -> int:
        entities: dict[str, dict[str, int]] = self.status.get("entities", {})
        return sum(counts["pending"] for counts in entities.values())

    @property
    def ok(self) -> bool:
        return self.findings.ok and self.pending == 0

    def summary(self) -> str:
        """The figures a person reads first, then every problem with the faults and runs around it."""
        lines = [
            f"ledger {self.ledger}: records {self.records}",
            f"faults injected {self.faults}",
            f"runs {len(self.runs)}, kills {self.kills}, reconnects {self.reconnects}, pending {self.pending}, "
            f"invoices corrected {self.corrected} ({self.corrected_in_ledger} already in the ledger, "
            f"{self.kills_after_corrections} kills after)",
            f"duplicates found {len(self.findings.duplicates)}, records lost {len(self.findings.lost)}, "
            f"wrong amounts {len(self.findings.wrong_amounts)}, parked {len(self.findings.parked)}, "
            f"parked although in the ledger {len(self.findings.parked_but_in_ledger)}",
        ]
        for title, problems in (
            ("DUPLICATE", self.findings.duplicates),
            ("LOST", self.findings.lost),
            ("WRONG AMOUNT", self.findings.wrong_amounts),
            ("MUST NOT BE IN THE LEDGER", self.findings.forbidden),
            ("VOIDED IN SERVICE OPUS BUT WRITTEN TWICE OR STILL LIVE", self.findings.voids),
            ("PARKED WITHOUT REASON", self.findings.parked_without_reason),
            ("PARKED ALTHOUGH IN THE LEDGER", self.findings.parked_but_in_ledger),
        ):
            lines += [f"  {title}: {problem}" for problem in problems[:20]]
            if len(problems) > 20:
                lines.append(f"  ... and {len(problems) - 20} more {title.lower()}")
        lines += [f"  parked: {kind} {source_id}: {reason}" for kind, source_id, reason in self.findings.parked[:20]]
        lines += self.timeline(self.findings.duplicate_rows[:10])
        return "\n".join(lines)

    def timeline(self, rows: list[Row]) -> list[str]:
        """For each duplicated record: which run wrote each copy, and the last write faults of that run before it."""
        lines = []
        for row in rows:
            created = _epoch(row.created)
            run_of = next((r for r in self.runs if created is not None and r.started_at <= created <= r.ended_at), None)
            since = run_of.started_at if run_of else 0.0
            near = [
                e
                for e in self.fault_events
                if created is not None and since <= e["at"] <= created + 1 and e["write"] is not None
            ]
            label = f"run {run_of.number} ({run_of.outcome}, log {run_of.log.name})" if run_of else "no run"
            faults = "; ".join(
                f"{e['kind']} on {e['method']} {e['path']} requestid={e['request_id']}" for e in near[-3:]
            )
            lines.append(
                f"  copy {row.kind} {row.key} id {row.ledger_id}: written in {label}; faults before: {faults or 'none'}"
            )
        return lines


def _epoch(stamp: str) -> float | None:
    """A ledger creation time (QBO MetaData, ISO 8601) in epoch seconds; None for formats it cannot place."""
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


class ChaosRun:
    """One chaos run in `workdir`; `run()` returns the report (the caller decides pass or fail)."""

    def __init__(self, config: ChaosConfig, workdir: Path) -> None:
        self.config = config
        self.ledger = ledgers()[config.ledger]
        self.workdir = workdir
        self.plan = config.plan or default_plan(config.seed)
        self.random = random.Random(f"chaos:{config.seed}")
        self.base_url = ""
        self.env: dict[str, str] = {}
        self.runs: list[RunRecord] = []
        self.reconnects = 0
        self.voided: frozenset[int] = frozenset()
        self.corrected: tuple[list[str], list[int]] = ([], [])
        self.corrected_in_ledger = 0
        self.kills_after_corrections = 0
        self.children: Children

    def run(self) -> ChaosReport:
        workdir, ledger = self.workdir, self.ledger
        workdir.mkdir(parents=True, exist_ok=True)
        port, prefect_port = free_port(), free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        prefect = prefect_env(f"http://127.0.0.1:{prefect_port}/api", workdir / "prefect")
        sandbox_env = {
            **os.environ,
            f"{ledger.env_prefix}DB_PATH": str(workdir / f"{ledger.name}-sandbox.db"),
            f"{ledger.env_prefix}AUTO_CONSENT": "true",
            f"{ledger.env_prefix}TIME_SCALE": str(self.config.time_scale),
            f"{ledger.env_prefix}FAULTS": self.plan.model_dump_json(),
        }
        with children(workdir / "logs") as self.children:
            start_prefect_server(self.children, prefect_port, {**os.environ, **prefect})
            sandbox = self.children.start(
                "sandbox", [sys.executable, "-m", ledger.sandbox_module, "--port", str(port)], sandbox_env
            )
            wait_until_up(f"{self.base_url}/_sandbox/faults", sandbox, 60, f"the {ledger.name} sandbox")
            self.env = {
                **os.environ,
                **prefect,
                "LEDGER_SYNC_HOME": str(workdir / "home"),
                "LEDGER_SYNC_DEMO_MODE": "true",
                "LEDGER_SYNC_HTTP_TIMEOUT_SECONDS": str(self.config.http_timeout_seconds),
                "LEDGER_SYNC_HTTP_WRITE_TIMEOUT_SECONDS": str(self.config.http_timeout_seconds),
                **ledger.client_env(self.base_url, self.config.time_scale),
            }
            settings = self.settings()
            engine = make_engine(settings.resolved_source_url)
            summary = seed(engine, invoices=self.config.invoices, seed=self.config.seed)
            engine.dispose()
            self.connect(settings, map_chart=True)
            self.sync_until_done()
            return self.report(settings, summary.invoices)

    def settings(self) -> Settings:
        values = {
            k.removeprefix("LEDGER_SYNC_").lower(): v for k, v in self.env.items() if k.startswith("LEDGER_SYNC_")
        }
        return Settings(**values)  # type: ignore[arg-type]

    def connect(self, settings: Settings, *, map_chart: bool = False) -> None:
        """Through the sandbox's OAuth, as a user would (the sandbox consents at once), then map the chart."""
        from ledger_sync.demo import connect_with_auto_consent
        from ledger_sync.onboarding import apply_suggested_mapping
        from ledger_sync.state.store import StateStore

        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, COMPANY_ID, self.ledger.name)
            if map_chart:
                apply_suggested_mapping(settings, store, COMPANY_ID, self.ledger.name)
        finally:
            store.close()

    def connection_status(self, settings: Settings) -> str:
        from ledger_sync.state.store import StateStore

        store = StateStore(settings.resolved_state_url)
        try:
            connection = store.connection(COMPANY_ID, self.ledger.name)
            return str(connection.status) if connection else "not_connected"
        finally:
            store.close()

    def sandbox(self) -> dict[str, Any]:
        """The fault report: the sandbox clock's `now`, the counters (API requests and writes so far), the events."""
        return dict(httpx.get(f"{self.base_url}/_sandbox/faults", timeout=30).json())

    def sync_once(self, kill: tuple[int, float] | None) -> RunRecord:
        """One `ledger-sync sync`; with `kill` (writes, seconds) it is SIGKILLed that many seconds after the
        sandbox saw that many of its writes (unless it finished first)."""
        number = len(self.runs) + 1
        name = f"sync-{number:02d}"
        command = [LEDGER_SYNC, "sync", "--company", str(COMPANY_ID), "--ledger", self.ledger.name]
        before = self.sandbox()
        process = self.children.start(name, command, self.env)
        deadline = time.monotonic() + self.config.run_timeout_seconds
        try:
            if kill is not None:
                target = before["counts"]["writes"] + kill[0]
                while process.poll() is None and self.sandbox()["counts"]["writes"] < target:
                    time.sleep(0.05)
                time.sleep(kill[1])
            if kill is not None and process.poll() is None:
                outcome = "killed"
            else:
                process.wait(max(1.0, deadline - time.monotonic()))
                outcome = "completed" if process.returncode == 0 else f"failed ({process.returncode})"
        finally:
            kill_group(process)
        record = RunRecord(number, before["now"], self.sandbox()["now"], outcome, self.workdir / "logs" / f"{name}.log")
        self.runs.append(record)
        return record

    def sync_until_done(self) -> None:
        """Kill the first runs at seeded random moments, then let runs finish until one leaves nothing pending.
        With corrections configured, they are made once the ledger holds that many invoices (or the planned kills
        are spent), and at least one run after them is killed too (one more than planned, if need be). With
        `voids`: after the first run that completes, Service Opus voids invoices, and the next run (which voids
        them in the ledger) is SIGKILLed too."""
        settings = self.settings()
        kills, after_corrections, started = 0, 0, time.monotonic()
        phase = self.config.kill_phase_seconds
        voiding = voided = False
        for _ in range(self.config.max_runs):
            owed = kills < self.config.kills or self._correction_kill_owed(after_corrections)
            killing = voiding or (owed and (phase is None or time.monotonic() - started < phase))
            kill = (
                self.random.randint(*self.config.kill_after_writes),
                self.random.uniform(*self.config.kill_delay_seconds),
            )
            record = self.sync_once(kill if killing else None)
            killed = record.outcome == "killed"
            kills += killed and not voiding
            after_corrections += killed and bool(self.corrected[0])
            self.kills_after_corrections = after_corrections
            voiding = False
            if self.config.corrections and not self.corrected[0] and (kills or record.outcome == "completed"):
                self.correct(settings, force=kills >= self.config.kills or record.outcome == "completed")
            if self.connection_status(settings) != "connected":
                self.connect(settings)
                self.reconnects += 1
                continue
            if record.outcome == "completed" and self.config.voids and not voided:
                self.voided, voiding, voided = self.void_invoices(settings), True, True
                continue
            done = record.outcome == "completed" and not self._correction_kill_owed(after_corrections)
            if done and self.pending(settings) == 0:
                return  # (a run meant to be killed that finished first means the data ran out before the kills)

    def void_invoices(self, settings: Settings) -> frozenset[int]:
        """Void a seeded draw of locked invoices that have a collected payment, as Service Opus does (outbox)."""
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment, PaymentStatus
        from ledger_sync.events.outbox import void_invoice

        engine = make_engine(settings.resolved_source_url)
        try:
            with Session(engine) as session, session.begin():
                paid = select(Payment.invoice_id).where(Payment.status == PaymentStatus.COLLECTED)
                locked = (Invoice.status == InvoiceStatus.LOCKED, Invoice.id.in_(paid))
                candidates = session.scalars(select(Invoice).where(*locked).order_by(Invoice.id)).all()
                chosen = self.random.sample(list(candidates), min(self.config.voids, len(candidates)))
                for invoice in chosen:
                    void_invoice(session, invoice)
                return frozenset(invoice.id for invoice in chosen)
        finally:
            engine.dispose()

    def _correction_kill_owed(self, kills_after_corrections: int) -> bool:
        return self.config.corrections > 0 and kills_after_corrections == 0

    def correct(self, settings: Settings, *, force: bool) -> None:
        """Make the configured corrections in Service Opus once the ledger holds as many invoices (or `force`), to
        invoices the ledger holds already where it can."""
        rows = self.ledger.books.rows(self.base_url, self.tenant(settings))
        held = {row.key for row in rows if row.kind == "invoice"}
        if len(held) < self.config.corrections and not force:
            return
        engine = make_engine(settings.resolved_source_url)
        try:
            self.corrected = correct(engine, COMPANY_ID, self.config.corrections, self.random, held)
        finally:
            engine.dispose()
        self.corrected_in_ledger = len(held & set(self.corrected[0]))

    def tenant(self, settings: Settings) -> str:
        from ledger_sync.state.store import StateStore

        store = StateStore(settings.resolved_state_url)
        try:
            connection = store.connection(COMPANY_ID, self.ledger.name)
            assert connection is not None
            return connection.tenant_id
        finally:
            store.close()

    def pending(self, settings: Settings) -> int:
        from ledger_sync.state.store import StateStore
        from ledger_sync.status import company_status

        store = StateStore(settings.resolved_state_url)
        try:
            entities: dict[str, dict[str, int]] = company_status(settings, store, COMPANY_ID, self.ledger.name)[
                "entities"
            ]  # type: ignore[assignment]
        finally:
            store.close()
        return sum(counts["pending"] for counts in entities.values())

    def status_json(self) -> dict[str, Any]:
        """`ledger-sync status --json`, exactly as an operator would run it."""
        out = self.workdir / "status.json"
        out.unlink(missing_ok=True)
        command = [LEDGER_SYNC, "status", "--company", str(COMPANY_ID), "--ledger", self.ledger.name, "--json"]
        with out.open("wb") as handle:
            subprocess.run(command, env=self.env, stdout=handle, check=True, timeout=120)
        return json.loads(out.read_text())

    def report(self, settings: Settings, invoices: int) -> ChaosReport:
        from ledger_sync.state.store import StateStore

        store = StateStore(settings.resolved_state_url)
        try:
            connection = store.connection(COMPANY_ID, self.ledger.name)
            assert connection is not None
            tenant = connection.tenant_id
            parked = store.parked_list(connection.id)
        finally:
            store.close()
        expected = expected_from_source(settings.resolved_source_url, COMPANY_ID, self.voided)
        rows = self.ledger.books.rows(self.base_url, tenant)
        faults = httpx.get(f"{self.base_url}/_sandbox/faults", timeout=30).json()
        return ChaosReport(
            ledger=self.ledger.name,
            records={kind: len(keys) for kind, keys in expected.records.items()} | {"seeded invoices": invoices},
            faults=faults["counts"],
            runs=self.runs,
            reconnects=self.reconnects,
            findings=compare(expected, rows, parked),
            status=self.status_json(),
            fault_events=faults["events"],
            corrected=len(self.corrected[0]),
            corrected_in_ledger=self.corrected_in_ledger,
            kills_after_corrections=self.kills_after_corrections,
        )
