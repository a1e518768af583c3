"""Faults a real ledger API inflicts, injected on purpose so the sync can be proven to survive them.

Outages (5xx), throttling (429 in the vendor's own words), answers slower than the client's timeout, and the
worst case: a write that commits and then loses its answer (the connection drops after the status line).
Scheduled events revoke the grant of the Nth request's token and edit a record behind the client's back.

Every decision comes from a RNG keyed by (seed, request number), so the same seed replays the same faults for
the same sequence of requests. One `FaultPlan` (a setting of each sandbox) and one ASGI middleware serve both
sandboxes; each sandbox supplies only its vendor's voice as `VendorFaults`. `GET /_sandbox/faults` reports
what was injected.
"""

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

from fastapi import FastAPI
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_sync.sandboxes.clock import ScaledClock

FaultKind = Literal["server_error", "throttle", "slow", "drop_after_commit"]
KINDS: tuple[FaultKind, ...] = ("server_error", "throttle", "slow", "drop_after_commit")
ADMIN_PREFIX = "/_sandbox/"
ADMIN_PATH = "/_sandbox/faults"
MAX_EVENTS = 10_000
"""Injected events kept for `GET /_sandbox/faults` (counters keep counting past it)."""


class FaultPlan(BaseModel):
    """What to inject and how often. All rates are per accounting API request, in 0..1, and add up to <= 1."""

    seed: int = 0
    server_error_rate: float = Field(0.0, ge=0, le=1)
    """Answer 5xx before doing anything."""
    throttle_rate: float = Field(0.0, ge=0, le=1)
    """Answer 429 before doing anything, as the vendor throttles."""
    slow_rate: float = Field(0.0, ge=0, le=1)
    """Do the request, then hold the answer `slow_seconds` (past the client's timeout): a write DID happen."""
    slow_seconds: float = Field(5.0, ge=0)
    """Real seconds, whatever the sandbox's time scale."""
    drop_after_commit_rate: float = Field(0.0, ge=0, le=1)
    """Writes only: commit, send the status line, then drop the connection without the body."""
    retry_after_seconds: int = Field(1, ge=0)
    """What an injected 429 asks the client to wait, where the vendor sends Retry-After."""
    revoke_after: list[int] = Field(default_factory=list)
    """Request numbers after which the grant of that request's bearer token is revoked (next refresh fails)."""
    touch_after_writes: list[int] = Field(default_factory=list)
    """Write numbers after which a record is edited behind the client's back (QBO: its SyncToken moves)."""
    include_token_endpoint: bool = False
    """Also inject into the OAuth token endpoint (a refresh is then a write)."""

    @model_validator(mode="after")
    def _rates_fit(self) -> "FaultPlan":
        if sum(self.rate(kind) for kind in KINDS) > 1:
            raise ValueError("the fault rates add up to more than 1")
        return self

    def rate(self, kind: FaultKind) -> float:
        return float(getattr(self, f"{kind}_rate"))

    @property
    def enabled(self) -> bool:
        return any(self.rate(kind) for kind in KINDS) or bool(self.revoke_after or self.touch_after_writes)


@dataclass(frozen=True)
class VendorFaults:
    """How one vendor's API looks and says things; the middleware decides when."""

    api_prefixes: tuple[str, ...]
    token_path: str
    is_write: Callable[[str, str], bool]
    """(method, path) -> does this request change the ledger."""
    server_error: Callable[[random.Random], Response]
    throttled: Callable[[int], Response]
    """The 429 answer, given the Retry-After seconds to ask for."""
    revoke: Callable[[str], None]
    """Revoke the whole grant a bearer token belongs to."""
    touch: Callable[[str, Mapping[str, str], random.Random], str | None]
    """(path, headers, rng): edit a record of the company the request is for; what was edited, if anything."""


@dataclass(frozen=True)
class Decision:
    request: int
    write: int | None
    kind: FaultKind | None
    revoke: bool
    touch: bool


@dataclass
class FaultInjector:
    """Numbers the requests, decides each one's fault and counts what was injected."""

    plan: FaultPlan
    vendor: VendorFaults
    clock: ScaledClock
    """The sandbox's clock: events carry its time, so they line up with the ledger's MetaData and request log."""
    counts: Counter[str] = field(default_factory=Counter)
    events: list[dict[str, Any]] = field(default_factory=list)

    def covers(self, path: str) -> bool:
        if path.startswith(ADMIN_PREFIX):
            return False
        if path.startswith(self.vendor.api_prefixes):
            return True
        return self.plan.include_token_endpoint and path == self.vendor.token_path

    def decide(self, method: str, path: str) -> Decision:
        """The fault for the next request (no awaits here, so numbering is atomic on the event loop)."""
        self.counts["requests"] += 1
        number = self.counts["requests"]
        write = None
        if method != "GET" and (path == self.vendor.token_path or self.vendor.is_write(method, path)):
            self.counts["writes"] += 1
            write = self.counts["writes"]
        draw = random.Random(f"{self.plan.seed}:{number}").random()
        kind = None
        for candidate in KINDS:
            if draw < self.plan.rate(candidate):
                kind = candidate
                break
            draw -= self.plan.rate(candidate)
        if kind == "drop_after_commit" and write is None:
            kind = None
        revoke = number in self.plan.revoke_after
        touch = write is not None and write in self.plan.touch_after_writes
        return Decision(number, write, kind, revoke, touch)

    def note(self, kind: str, decision: Decision, scope: Scope, detail: str = "") -> None:
        self.counts[kind] += 1
        if len(self.events) < MAX_EVENTS:
            self.events.append(
                {
                    "at": self.clock.seconds(),
                    "request": decision.request,
                    "write": decision.write,
                    "kind": kind,
                    "method": scope["method"],
                    "path": scope["path"],
                    "request_id": _request_id(scope),
                    "detail": detail,
                }
            )

    def report(self) -> dict[str, Any]:
        counts = {key: self.counts[key] for key in ("requests", "writes", *KINDS, "revoke", "touch")}
        return {"now": self.clock.seconds(), "plan": self.plan.model_dump(), "counts": counts, "events": self.events}

    def rng(self, purpose: str, number: int) -> random.Random:
        return random.Random(f"{self.plan.seed}:{purpose}:{number}")


def _request_id(scope: Scope) -> str:
    """QBO's `requestid` parameter or Xero's Idempotency-Key header: what ties a retry to the first try."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return (query.get("requestid") or [""])[0] or Headers(scope=scope).get("idempotency-key", "")


def _bearer(scope: Scope) -> str:
    scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class ConnectionDropped(Exception):
    """Raised after the status line went out: uvicorn then aborts the connection, the body never arrives."""


class FaultMiddleware:
    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self._app = app
        self._injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        injector = self._injector
        if scope["type"] != "http" or not injector.covers(scope["path"]):
            await self._app(scope, receive, send)
            return
        decision = injector.decide(scope["method"], scope["path"])
        try:
            if decision.kind == "server_error":
                injector.note("server_error", decision, scope)
                await injector.vendor.server_error(injector.rng("5xx", decision.request))(scope, receive, send)
            elif decision.kind == "throttle":
                injector.note("throttle", decision, scope)
                await injector.vendor.throttled(injector.plan.retry_after_seconds)(scope, receive, send)
            elif decision.kind is None:
                await self._app(scope, receive, send)
            else:
                await self._late_or_lost(decision, scope, receive, send)
        finally:  # a dropped connection still counts as the Nth request
            await self._scheduled(decision, scope)

    async def _late_or_lost(self, decision: Decision, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request to the end, then answer late, or send only the status line and drop."""
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self._app(scope, receive, hold)
        if decision.kind == "slow":
            self._injector.note("slow", decision, scope, f"answered after {self._injector.plan.slow_seconds} s")
            await asyncio.sleep(self._injector.plan.slow_seconds)
            for message in held:
                await send(message)
            return
        start = next(m for m in held if m["type"] == "http.response.start")
        self._injector.note("drop_after_commit", decision, scope, f"status {start['status']} lost")
        await send(start)
        raise ConnectionDropped(f"fault injection: request {decision.request} answered {start['status']}, then dropped")

    async def _scheduled(self, decision: Decision, scope: Scope) -> None:
        vendor = self._injector.vendor
        token = _bearer(scope)
        if decision.revoke and token:
            await run_in_threadpool(vendor.revoke, token)
            self._injector.note("revoke", decision, scope, "grant revoked")
        if decision.touch and decision.write is not None:
            rng = self._injector.rng("touch", decision.write)
            touched = await run_in_threadpool(vendor.touch, scope["path"], Headers(scope=scope), rng)
            if touched:
                self._injector.note("touch", decision, scope, touched)


def install_faults(app: FastAPI, plan: FaultPlan, vendor: VendorFaults) -> FaultInjector:
    """Add the fault middleware (outermost: a 5xx or 429 happens before anything else) and its admin route."""
    injector = FaultInjector(plan, vendor, app.state.clock)

    async def report() -> JSONResponse:
        return JSONResponse(injector.report())

    app.add_api_route(ADMIN_PATH, report, methods=["GET"], include_in_schema=False)
    if plan.enabled:
        app.add_middleware(FaultMiddleware, injector=injector)
    return injector
