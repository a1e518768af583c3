"""Settings -> Integrations -> Accounting -> Sync activity: what the sync did and where each record stands.

Per connected ledger: the last runs (when, kind, outcome, counts, API calls), a progress bar for a run in
progress (the page polls `progress`, which reads the run's count in the state store), every record the sync
answers for with its state (synced, parked, waiting, skipped, pending) and why, a link that opens it in the
ledger, and the actions: Retry now, Ignore (with a note; Stop ignoring undoes it), Sync now and the parked
list as CSV. GETs only read; every action is a POST with the CSRF token.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from ledger_sync.connectors.registry import ledger_label, names
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunOutcome
from ledger_sync.core.sync_state import RecordState
from ledger_sync.settings import Settings
from ledger_sync.state import activity
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.status import entity_statuses
from ledger_sync.web.csv_export import csv_text
from ledger_sync.web.ledger_links import record_url
from ledger_sync.web.pages import notify, render
from ledger_sync.web.security import require_admin, require_csrf
from ledger_sync.web.sync_now import SyncNotStarted, start_sync

PAGE_ROWS = 200
"""Records listed at once; search and filters narrow the rest down."""
NOTE_LIMIT = 500
LISTED_ORDER = (RecordState.PARKED, RecordState.WAITING, RecordState.PENDING, RecordState.SKIPPED, RecordState.SYNCED)
"""What needs the bookkeeper first."""


def activity_url(company_id: int, ledger: str, **query: str) -> str:
    extra = "".join(f"&{key}={value}" for key, value in query.items() if value)
    return f"/settings/integrations/accounting/activity?company={company_id}&ledger={ledger}{extra}"


@dataclass(frozen=True)
class RecordRow:
    entity_type: str
    source_id: int
    name: str
    """How a bookkeeper knows it (a name, a document number)."""
    state: RecordState
    why: str
    link: str | None
    ignored: bool


@dataclass(frozen=True)
class Listing:
    rows: list[RecordRow]
    matching: int
    counts: dict[str, dict[str, int]]
    """Entity type -> state -> records, over every record (filters apart)."""


def _label(entity_type: str) -> str:
    return entity_type.replace("_", " ")


def run_counts(summary: dict[str, object]) -> dict[str, int]:
    """A finished run's counters summed over its entity types (created, updated, parked, skipped, ...)."""
    totals: dict[str, int] = {}
    entities = summary.get("entities")
    for counts in entities.values() if isinstance(entities, dict) else ():
        for name, value in counts.items():
            totals[name] = totals.get(name, 0) + int(value)
    return totals


def activity_router(settings: Settings, store: StateStore, source: ServiceOpusSource) -> APIRouter:
    router = APIRouter(dependencies=[Depends(require_admin)])

    def connection_of(company_id: int, ledger: str) -> ConnectionInfo:
        connection = store.connection(company_id, ledger) if ledger in names() else None
        if connection is None:
            raise HTTPException(404, f"Company {company_id} has never been connected to {ledger_label(ledger)}.")
        return connection

    def listing(connection: ConnectionInfo, state: str, kind: str, search: str) -> Listing:
        statuses = entity_statuses(settings, store, connection.company_id, connection.ledger)
        labels = source.labels(connection.company_id)
        ignored = {(p.entity_type, p.source_id) for p in activity.parked_rows(store, connection.id) if p.ignored_note}
        needle = search.strip().lower()
        matches: list[tuple[str, int, str, RecordState, str]] = []
        for record_state in LISTED_ORDER:
            if state and record_state.value != state:
                continue
            for entity_type, status in statuses.items():
                if kind and entity_type != kind:
                    continue
                named = labels.get(EntityType(entity_type), {})
                matches += [
                    (entity_type, source_id, named.get(source_id, ""), record_state, why)
                    for source_id, why in status.records[record_state].items()
                    if not needle
                    or needle == str(source_id)
                    or needle in named.get(source_id, "").lower()
                    or needle in why.lower()
                    or needle in entity_type
                ]
        shown = matches[:PAGE_ROWS]
        links: dict[tuple[str, int], str | None] = {}
        for entity_type in {m[0] for m in shown}:
            ids = activity.ledger_ids(store, connection.id, EntityType(entity_type), [m[1] for m in shown])
            for source_id, ledger_id in ids.items():
                links[(entity_type, source_id)] = record_url(
                    settings, connection.ledger, EntityType(entity_type), ledger_id
                )
        rows = [RecordRow(t, i, n, s, why, links.get((t, i)), (t, i) in ignored) for t, i, n, s, why in shown]
        counts = {entity_type: status.counts() for entity_type, status in statuses.items()}
        return Listing(rows, len(matches), counts)

    @router.get("/settings/integrations/accounting/activity")
    def activity_page(
        request: Request,
        admin: Annotated[str, Depends(require_admin)],
        company: int = 1,
        ledger: str = "",
        state: str = "",
        kind: str = "",
        q: str = "",
        watch: str = "",
    ) -> Response:
        connections = [c for c in (store.connection(company, name) for name in names()) if c is not None]
        chosen = next((c for c in connections if c.ledger == ledger), connections[0] if connections else None)
        state = state if state in {s.value for s in RecordState} else ""
        kind = kind if kind in {t.value for t in EntityType} else ""
        context = {
            "company": company,
            "admin": admin,
            "connections": [(c.ledger, ledger_label(c.ledger)) for c in connections],
            "connection": chosen,
            "ledger_name": ledger_label(chosen.ledger) if chosen else "",
            "runs": activity.recent_runs(store, chosen.id) if chosen else [],
            "listing": listing(chosen, state, kind, q) if chosen else None,
            "states": [s.value for s in RecordState],
            "kinds": [t.value for t in EntityType],
            "filters": {"state": state, "kind": kind, "q": q},
            "watch": bool(watch),
            "label": _label,
            "run_counts": run_counts,
            "page_rows": PAGE_ROWS,
        }
        return render(request, "activity.html", context)

    @router.get("/integrations/accounting/{ledger}/activity/progress")
    def progress(ledger: str, company: int = 1) -> Response:
        """The newest run and how far it has got, for the progress bar (polled while a run is expected)."""
        newest = activity.recent_runs(store, connection_of(company, ledger).id, limit=1)
        body: dict[str, object] = {"run_id": None}
        if newest:
            found = newest[0]
            body = {
                "run_id": found.id,
                "kind": found.kind.value,
                "running": found.outcome is RunOutcome.RUNNING,
                "outcome": found.outcome.value,
                "done": found.records_done,
                "total": found.records_total,
                "percent": found.percent,
            }
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.get("/integrations/accounting/{ledger}/activity/parked.csv")
    def parked_csv(ledger: str, company: int = 1) -> Response:
        """The parked list (ignored records included, marked) for a spreadsheet."""
        connection = connection_of(company, ledger)
        rows = [
            (
                _label(p.entity_type),
                p.source_id,
                "ignored" if p.ignored_note else p.cause,
                p.reason,
                p.detail,
                p.attempts,
                p.parked_at.isoformat(),
                p.last_attempt_at.isoformat(),
                p.ignored_note,
                p.ignored_by,
            )
            for p in activity.parked_rows(store, connection.id)
        ]
        header = (
            "record type",
            "Service Opus id",
            "cause",
            "reason",
            "ledger detail",
            "attempts",
            "parked at",
            "last attempt",
            "ignored note",
            "ignored by",
        )
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
        filename = f"parked-company-{company}-{ledger}-{stamp}.csv"
        return Response(
            csv_text(header, rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
        )

    def record_action(
        request: Request, ledger: str, company: int, entity_type: str, source_id: int, done: bool, text: str
    ) -> Response:
        if done:
            notify(request, "ok", text)
        else:
            notify(request, "error", f"{_label(entity_type).capitalize()} {source_id} is no longer parked.")
        return RedirectResponse(activity_url(company, ledger), 303)

    def record_type(entity_type: str) -> EntityType:
        if entity_type not in {t.value for t in EntityType}:
            raise HTTPException(404, "No such record type.")
        return EntityType(entity_type)

    @router.post(
        "/integrations/accounting/{ledger}/records/{entity_type}/{source_id}/retry",
        dependencies=[Depends(require_csrf)],
    )
    def retry(
        request: Request, ledger: str, entity_type: str, source_id: int, company: Annotated[int, Form()] = 1
    ) -> Response:
        connection = connection_of(company, ledger)
        done = activity.retry_now(store, connection.id, record_type(entity_type), source_id)
        text = f"{_label(entity_type).capitalize()} {source_id} will be retried by the next run (Sync now runs one)."
        return record_action(request, ledger, company, entity_type, source_id, done, text)

    @router.post(
        "/integrations/accounting/{ledger}/records/{entity_type}/{source_id}/ignore",
        dependencies=[Depends(require_csrf)],
    )
    def ignore(
        request: Request,
        admin: Annotated[str, Depends(require_admin)],
        ledger: str,
        entity_type: str,
        source_id: int,
        note: Annotated[str, Form()] = "",
        company: Annotated[int, Form()] = 1,
    ) -> Response:
        connection = connection_of(company, ledger)
        note = " ".join(note.split())[:NOTE_LIMIT]
        if not note:
            notify(request, "error", "Say why the record should not sync: Ignore needs a note.")
            return RedirectResponse(activity_url(company, ledger, state="parked"), 303)
        done = activity.ignore(store, connection.id, record_type(entity_type), source_id, note, admin)
        text = f"{_label(entity_type).capitalize()} {source_id} is ignored: it will not sync and counts as skipped."
        return record_action(request, ledger, company, entity_type, source_id, done, text)

    @router.post(
        "/integrations/accounting/{ledger}/records/{entity_type}/{source_id}/unignore",
        dependencies=[Depends(require_csrf)],
    )
    def unignore(
        request: Request, ledger: str, entity_type: str, source_id: int, company: Annotated[int, Form()] = 1
    ) -> Response:
        connection = connection_of(company, ledger)
        done = activity.unignore(store, connection.id, record_type(entity_type), source_id)
        text = f"{_label(entity_type).capitalize()} {source_id} is no longer ignored: the next run retries it."
        return record_action(request, ledger, company, entity_type, source_id, done, text)

    @router.post("/integrations/accounting/{ledger}/sync-now", dependencies=[Depends(require_csrf)])
    def sync_now(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        connection = connection_of(company, ledger)
        if connection.status != "connected":
            notify(request, "error", f"{ledger_label(ledger)} is not connected: reconnect it first.")
        else:
            try:
                where = start_sync(settings, company, ledger)
            except SyncNotStarted as exc:
                notify(request, "error", f"Could not start the sync: {exc}")
            else:
                notify(request, "ok", f"{ledger_label(ledger)} sync {where}; this page follows its progress.")
        return RedirectResponse(activity_url(company, ledger, watch="1"), 303)

    return router
