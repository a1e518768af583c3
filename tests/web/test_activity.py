"""Sync activity over a connected QBO sandbox: runs and their progress, per-record states with their reasons and
ledger links, Retry now, Ignore (and undo), the parked CSV (formula-safe), Sync now; GETs write nothing."""

import csv
import io
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind
from ledger_sync.core.sync_state import Parking, ParkingCause, Synced
from ledger_sync.state import activity
from ledger_sync.state.db import make_engine
from ledger_sync.state.models import ParkedRecord
from ledger_sync.status import IGNORED
from ledger_sync.web import sync_now
from ledger_sync.web.csv_export import safe_cell
from tests.web.stack import WebStack, connect, csrf_of

PAGE = "/settings/integrations/accounting/activity?company=1&ledger=qbo"
HOSTILE = '=HYPERLINK("http://evil.example","<script>alert(1)</script>")'


def _locked_invoices(stack: WebStack) -> list[int]:
    engine = make_engine(stack.settings.resolved_source_url)
    try:
        with engine.connect() as conn:
            query = select(Invoice.id).where(Invoice.status == InvoiceStatus.LOCKED).order_by(Invoice.id)
            return list(conn.scalars(query))
    finally:
        engine.dispose()


def _number(stack: WebStack, invoice_id: int) -> str:
    engine = make_engine(stack.settings.resolved_source_url)
    try:
        with engine.connect() as conn:
            return str(conn.scalar(select(Invoice.number).where(Invoice.id == invoice_id)))
    finally:
        engine.dispose()


@pytest.fixture
def history(stack: WebStack, client: TestClient) -> dict[str, int]:
    """A finished run that synced one invoice and parked another (its reason names a hostile customer), and a
    backfill in progress at 3 of 8 records."""
    connect(client)
    synced, parked, *_ = _locked_invoices(stack)
    store = stack.store()
    try:
        cid = stack.connection().id
        done = store.start_run(cid, RunKind.SYNC)
        store.record_batch(
            cid,
            EntityType.INVOICE,
            synced=[Synced(synced, "147", "0", "hash")],
            parked=[Parking(parked, ParkingCause.LEDGER, f"QuickBooks Online refused it: {HOSTILE}", "6240")],
        )
        summary = {"entities": {"invoice": {"created": 1, "parked": 1}}, "api_calls": 4}
        store.finish_run(done, "completed", summary, None)  # type: ignore[arg-type]
        running = store.start_run(cid, RunKind.BACKFILL)
        activity.set_total(store, running, 8)
        activity.set_progress(store, running, 3)
    finally:
        store.close()
    return {"synced": synced, "parked": parked, "running": running}


def _row(page: str, kind: str, source_id: int) -> str:
    found = re.search(rf'<tr data-record="{kind}-{source_id}" data-state="(\w+)">(.*?)</tr>', page, re.S)
    assert found, f"{kind} {source_id} is not listed"
    return f"{found[1]} {found[2]}"


def test_runs_progress_states_reasons_and_ledger_links(
    stack: WebStack, client: TestClient, history: dict[str, int]
) -> None:
    page = client.get(PAGE).text
    assert 'data-running="yes"' in page and "backfill run in progress:" in page and "3 of 8 records read" in page
    assert "created 1, parked 1" in page and "<td>4</td>" in page  # the finished run's counts and API calls
    progress = client.get("/integrations/accounting/qbo/activity/progress?company=1").json()
    assert progress == {
        "run_id": history["running"], "kind": "backfill", "running": True, "outcome": "running",
        "done": 3, "total": 8, "percent": 37,
    }  # fmt: skip
    synced = _row(page, "invoice", history["synced"])
    assert synced.startswith("synced") and 'href="https://app.qbo.intuit.com/app/invoice?txnId=147"' in synced
    parked = _row(page, "invoice", history["parked"])
    assert parked.startswith("parked") and "&lt;script&gt;alert(1)&lt;/script&gt;" in parked
    assert "<script>alert" not in page  # escaped output
    only_parked = client.get(PAGE + "&state=parked&q=hyperlink").text
    assert re.findall(r'data-record="([\w-]+)"', only_parked) == [f"invoice-{history['parked']}"]
    number = _number(stack, history["synced"])
    by_number = client.get(PAGE + f"&q={number.lower()}&kind=invoice").text  # a bookkeeper searches by number
    assert f'data-record="invoice-{history["synced"]}"' in by_number and f"Invoice {number}" in by_number


def test_retry_ignore_and_undo_and_counts(stack: WebStack, client: TestClient, history: dict[str, int]) -> None:
    parked = history["parked"]
    base = f"/integrations/accounting/qbo/records/invoice/{parked}"
    token = csrf_of(client.get(PAGE).text)
    assert client.post(f"{base}/ignore", data={"company": "1", "note": "x"}).status_code == 403  # no CSRF token
    store = stack.store()
    try:
        cid = stack.connection().id
        with store.sessions() as session:
            row = session.scalars(select(ParkedRecord).where(ParkedRecord.source_id == parked)).one()
            row.retry_after, row.fingerprint = datetime(2099, 1, 1, tzinfo=UTC), "hash"
            session.commit()

        retried = client.post(f"{base}/retry", data={"company": "1", "csrf_token": token})
        assert f"Invoice {parked} will be retried by the next run" in retried.text
        kept = store.parked(cid, EntityType.INVOICE)[parked]
        assert kept.retry_after is not None and kept.retry_after <= datetime.now(UTC)  # the window is closed now
        assert kept.fingerprint == "hash" and kept.reason.startswith("QuickBooks Online refused it")

        before = client.get(PAGE).text
        parked_count = int(re.search(r'data-kind="invoice">.*?data-state="parked">(\d+)', before, re.S)[1])  # type: ignore[index]
        empty = client.post(f"{base}/ignore", data={"company": "1", "note": "  ", "csrf_token": token})
        assert "Ignore needs a note" in empty.text
        ignored = client.post(f"{base}/ignore", data={"company": "1", "note": "test invoice", "csrf_token": token})
        assert f"Invoice {parked} is ignored" in ignored.text
        row_html = _row(ignored.text, "invoice", parked)
        assert row_html.startswith("skipped") and f"{IGNORED}: test invoice" in row_html and "Stop ignoring" in row_html
        after = re.search(r'data-kind="invoice">.*?data-state="parked">(\d+)', ignored.text, re.S)
        assert after and int(after[1]) == parked_count - 1
        assert store.parked_list(cid) == []  # run reports leave it out of the parked list

        undone = client.post(f"{base}/unignore", data={"company": "1", "csrf_token": token})
        assert _row(undone.text, "invoice", parked).startswith("parked")
        gone = client.post(
            f"/integrations/accounting/qbo/records/invoice/{history['synced']}/retry",
            data={"company": "1", "csrf_token": token},
        )
        assert f"Invoice {history['synced']} is no longer parked" in gone.text
    finally:
        store.close()


def test_parked_csv_is_formula_safe_and_gets_write_nothing(
    stack: WebStack, client: TestClient, history: dict[str, int]
) -> None:
    store = stack.store()
    try:
        cid = stack.connection().id
        activity.ignore(store, cid, EntityType.INVOICE, history["parked"], HOSTILE, "finance-admin")
        before = (activity.parked_rows(store, cid), activity.recent_runs(store, cid))
        answer = client.get("/integrations/accounting/qbo/activity/parked.csv?company=1")
        client.get(PAGE + "&state=parked")
        client.get("/integrations/accounting/qbo/activity/progress?company=1")
        assert (activity.parked_rows(store, cid), activity.recent_runs(store, cid)) == before
    finally:
        store.close()
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith('attachment; filename="parked-company-1-qbo-')
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:4] == ["record type", "Service Opus id", "cause", "reason"]
    assert rows[1][:3] == ["invoice", str(history["parked"]), "ignored"]
    assert rows[1][8] == f"'{HOSTILE}"  # the note starts like a formula: a spreadsheet shows it as text
    assert rows[1][3].startswith("QuickBooks Online refused it: =HYPERLINK")  # not at the cell's start: harmless
    assert [safe_cell(v) for v in ("=1+2", "+1", "-1", "@SUM(A1)", "\t=1", "plain", None)] == [
        "'=1+2", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "plain", "",
    ]  # fmt: skip


def test_sync_now_without_a_prefect_api_runs_the_sync_command_in_the_background(
    stack: WebStack, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect(client)
    started: list[list[str]] = []

    class Child:
        pid = 1

        def __init__(self, args: list[str], **_: object) -> None:
            started.append(args)

        def wait(self) -> int:
            return 0

    monkeypatch.setattr(sync_now.subprocess, "Popen", Child)
    # No Prefect API, whatever another test of this worker configured (the session's Prefect test harness).
    monkeypatch.setattr(sync_now, "PREFECT_API_URL", SimpleNamespace(value=lambda: None))
    token = csrf_of(client.get(PAGE).text)
    answer = client.post("/integrations/accounting/qbo/sync-now", data={"company": "1", "csrf_token": token})
    assert "QuickBooks Online sync started on this server" in answer.text
    assert 'data-watch="yes"' in answer.text
    assert started and started[0][0].endswith("ledger-sync") and started[0][1:] == [
        "sync", "--company", "1", "--ledger", "qbo",
    ]  # fmt: skip


def test_every_activity_page_and_action_needs_the_admin(stack: WebStack) -> None:
    with TestClient(stack.app) as anonymous:
        for path in (
            PAGE,
            "/integrations/accounting/qbo/activity/progress?company=1",
            "/integrations/accounting/qbo/activity/parked.csv?company=1",
        ):
            answer = anonymous.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next="), path
        posted = anonymous.post("/integrations/accounting/qbo/sync-now", data={"company": "1"}, follow_redirects=False)
        assert posted.status_code == 303 and posted.headers["location"].startswith("/login")
