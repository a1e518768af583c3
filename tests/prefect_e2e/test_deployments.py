"""Acceptance of issue 6 against a real Prefect server and worker: backfill from the API, live sync on
Service Opus events (toggles honoured, nothing lost while the server is down), artifacts and Data Docs."""

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse
from urllib.request import url2pathname
from uuid import UUID

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, OutboxEvent
from ledger_sync.events.outbox import lock_invoice, relay, unlock_invoice, unsent
from ledger_sync.state.db import make_engine
from tests.prefect_e2e.conftest import COMPANY, Deployed, wait_for_run
from tests.waiting import CEILING_MS, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.e2e

BURST = 50


@pytest.fixture(scope="module")
def live_options() -> list[str]:
    """The live process waits for 5 quiet seconds (at most a minute) before a company's sync, so a burst relayed
    on a loaded machine still arrives as one batch."""
    return ["--quiet", "5", "--max-wait", "60"]


def _locked_in(deployed: Deployed, since: date, until: date) -> set[str]:
    engine = make_engine(deployed.settings.resolved_source_url)
    with Session(engine) as session:
        numbers = set(
            session.scalars(
                select(Invoice.number).where(
                    Invoice.company_id == COMPANY,
                    Invoice.status == InvoiceStatus.LOCKED,
                    Invoice.issue_date.between(since, until),
                )
            )
        )
    engine.dispose()
    return numbers


def _issue_dates(deployed: Deployed) -> list[date]:
    engine = make_engine(deployed.settings.resolved_source_url)
    with Session(engine) as session:
        dates = sorted(
            session.scalars(
                select(Invoice.issue_date).where(Invoice.company_id == COMPANY, Invoice.status == InvoiceStatus.LOCKED)
            )
        )
    engine.dispose()
    return dates


def _lock_a_draft(deployed: Deployed) -> str:
    """Lock a draft invoice the way Service Opus would: status and outbox row in one transaction."""
    engine = make_engine(deployed.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        draft = session.scalars(
            select(Invoice)
            .where(Invoice.company_id == COMPANY, Invoice.status == InvoiceStatus.DRAFT)
            .order_by(Invoice.id)
            .limit(1)
        ).one()
        lock_invoice(session, draft)
        number = draft.number
    engine.dispose()
    return number


def _relay(deployed: Deployed) -> int:
    engine = make_engine(deployed.settings.resolved_source_url)
    try:
        return relay(engine)
    finally:
        engine.dispose()


def _runs_of(deployed: Deployed, deployment: str) -> list[UUID]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    wanted = deployed.deployment_id(deployment)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[wanted])))
    return [r.id for r in runs]


def _live_runs() -> list[UUID]:
    """The runs of the live-sync flow (the live process runs them in itself, not through its deployment)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["live-sync"])))
    return [r.id for r in runs]


@pytest.fixture(scope="module")
def backfill_run(deployed: Deployed) -> tuple[UUID, set[str], int]:
    """A backfill of the first third of the seeded invoices, launched through the API with typed parameters."""
    dates = _issue_dates(deployed)
    since, until = dates[0], dates[len(dates) // 3]  # the problem records share the first date
    run_id = deployed.run_deployment(
        "backfill/backfill",
        {
            "company_id": COMPANY,
            "ledger": "qbo",
            "since": since.isoformat(),
            "until": until.isoformat(),
            "entity_types": ["invoice"],
            "dry_run": False,
        },
    )
    run = wait_for_run(run_id)
    assert run.state.is_completed(), run.state
    return run_id, _locked_in(deployed, since, until), deployed.ledger.last_request_id()


def test_backfill_deployment_puts_the_range_in_the_ledger(deployed: Deployed, backfill_run: tuple) -> None:
    _, expected, _ = backfill_run
    parked = {n for n in expected if n.startswith("PRB-")}
    in_ledger = deployed.ledger.doc_numbers()
    assert expected - parked <= in_ledger
    assert in_ledger <= expected, "the backfill wrote invoices outside its range"
    assert not deployed.ledger.entities("Payment"), "entity_types=['invoice'] wrote payments"
    from ledger_sync.state.activity import recent_runs

    connection = deployed.store.connection(COMPANY, "qbo")
    backfill = next(r for r in recent_runs(deployed.store, connection.id, limit=50) if r.kind == "backfill")
    assert backfill.records_total == backfill.records_done > 0 and backfill.percent == 100  # Sync activity's bar


def test_rerunning_the_backfill_writes_nothing(deployed: Deployed, backfill_run: tuple) -> None:
    first_id, _, mark = backfill_run
    with_same_parameters = wait_for_run(deployed.run_deployment("backfill/backfill", _parameters_of(first_id)))
    assert with_same_parameters.state.is_completed()
    assert deployed.ledger.writes_since(mark) == []


def _parameters_of(flow_run_id: UUID) -> dict:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).parameters


def test_a_run_publishes_summary_parked_records_and_data_docs(deployed: Deployed, backfill_run: tuple) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    run_id, _, _ = backfill_run
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[run_id])))
    by_key = {a.key: a for a in artifacts}
    summary = by_key[f"sync-summary-company-{COMPANY}"]
    rows = json.loads(summary.data)
    assert {r["entity"] for r in rows} >= {"invoice", "customer", "item", "total"}
    total = next(r for r in rows if r["entity"] == "total")
    assert total["api_calls"] > 0 and total["created"] > 0
    parked = json.loads(by_key[f"parked-records-company-{COMPANY}"].data)
    assert parked and not any("it is a credit" in r["reason"] for r in parked), parked  # a credit syncs
    assert float(by_key[f"backfill-progress-company-{COMPANY}"].data) == 100.0
    link = by_key[f"validation-report-company-{COMPANY}"].data
    uri = link[link.index("(file://") + 1 : link.rindex(")")]
    page = Path(url2pathname(urlparse(uri).path))
    assert page.is_relative_to(deployed.home / "gx" / "uncommitted" / "data_docs" / "local_site")
    html = page.read_text()
    assert "chart_mapping" in html or "run_gates" in html


def _pick_date(page: "Page", day: date) -> None:
    """Open the first empty date field's picker, type the date into its native input, apply."""
    from playwright.sync_api import expect

    empty = page.get_by_text("Select date")
    remaining = empty.count()
    empty.first.click()
    page.locator("input[type=date]:visible").fill(day.isoformat())
    page.get_by_role("button", name="Apply", exact=True).click()
    expect(empty).to_have_count(remaining - 1)  # applied: the next pick must not land in this field again


@pytest.mark.browser
def test_ops_launch_a_backfill_from_the_prefect_ui_form(
    deployed: Deployed, browser: "Browser", screenshots_dir: Path
) -> None:
    from playwright.sync_api import expect

    dates = _issue_dates(deployed)
    since, until = dates[len(dates) // 2], dates[-1]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(CEILING_MS)
    # What the browser saw, so a refusal names its cause: console errors and the create-run call's answer.
    seen: list[str] = []
    page.on("console", lambda message: seen.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: seen.append(f"page error: {error}"))
    page.on(
        "response",
        lambda response: (
            seen.append(f"{response.status} {response.request.method} {response.url}")
            if "create_flow_run" in response.url
            else None
        ),
    )
    page.on("requestfailed", lambda request: seen.append(f"failed {request.method} {request.url}: {request.failure}"))
    try:
        page.goto(f"{deployed.prefect.ui_url}/deployments/deployment/{deployed.deployment_id('backfill/backfill')}")
        page.get_by_role("button", name="Run", exact=True).first.click()
        page.get_by_text("Custom run").click()
        page.locator(".schema-form-property-integer input").first.fill(str(COMPANY))
        _pick_date(page, since)
        _pick_date(page, until)
        dry_run = page.locator(".schema-form-property", has_text="dry_run").last.get_by_role("switch")
        dry_run.click()
        expect(dry_run).to_be_checked()
        page.screenshot(path=str(screenshots_dir / "prefect-backfill-form.png"), full_page=True)
        before = set(_runs_of(deployed, "backfill/backfill"))
        page.get_by_role("button", name="Submit", exact=True).click()
        # The form answers with a toast once the server answered: "View run" when it created the run.
        created = page.get_by_role("button", name="View run")
        failed = page.locator(".p-toast-container__toast", has=page.locator(".p-toast__icon--error"))
        expect(created.or_(failed).first).to_be_visible()
        # A refusal names itself: the toasts' texts, what the browser saw and what the server logged about it, in
        # full (an assertion's message would be cut short in its middle).
        if failed.count():
            pytest.fail(
                "\n".join(
                    [
                        "the form's run was refused:",
                        *failed.all_inner_texts(),
                        "the browser saw:",
                        *seen,
                        "the server logged:",
                        deployed.prefect.children.log_tail("prefect-server"),
                    ]
                ),
                pytrace=False,
            )
        (run_id,) = set(_runs_of(deployed, "backfill/backfill")) - before
        run = wait_for_run(run_id)
        page.goto(f"{deployed.prefect.ui_url}/runs/flow-run/{run_id}")
        page.get_by_text("Completed").first.wait_for()
        page.screenshot(path=str(screenshots_dir / "prefect-backfill-completed.png"), full_page=True)
    finally:
        page.close()
    assert run.state.is_completed(), run.state
    assert run.parameters["company_id"] == COMPANY
    assert (run.parameters["since"], run.parameters["until"]) == (since.isoformat(), until.isoformat())
    assert run.parameters["dry_run"] is True


def test_the_hourly_cron_schedule_creates_runs(deployed: Deployed) -> None:
    """The server's scheduler turns the cron into scheduled runs (it cannot on SQLAlchemy 2.1)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

    with get_client(sync_client=True) as client:
        hourly = client.read_deployment_by_name("hourly-sync/hourly-sync")

    def scheduled() -> list[object]:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[hourly.id])))
        return [r for r in runs if r.state and r.state.is_scheduled() and r.expected_start_time.minute == 0]

    assert wait_for(scheduled, "the hourly schedule to create scheduled runs")


def test_hourly_sync_fans_out_to_each_company(deployed: Deployed) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    hourly = wait_for_run(deployed.run_deployment("hourly-sync/hourly-sync", {}))
    assert hourly.state.is_completed()
    with get_client(sync_client=True) as client:
        children = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[hourly.id]))
        )
    assert len(children) == 1
    child = wait_for_run(children[0].id)
    assert child.state.is_completed(), child.state
    assert child.parameters["company_id"] == COMPANY
    assert len(deployed.ledger.entities("Payment")) > 0


def test_a_locked_invoice_reaches_the_ledger_within_a_minute(deployed: Deployed) -> None:
    number = _lock_a_draft(deployed)
    assert _relay(deployed) == 1
    # The minute is the requirement under test (issue 6), not a wait: it stays a minute.
    wait_for(lambda: number in deployed.ledger.doc_numbers(), f"invoice {number} in the ledger", ceiling=60)


def _lock_a_burst(deployed: Deployed, events: int) -> set[str]:
    """`events` invoice locks in one transaction: a few drafts locked (some left for the other tests), and locked
    invoices unlocked and locked again (an edit) for the rest; the locked drafts' numbers."""
    engine = make_engine(deployed.settings.resolved_source_url)
    with Session(engine) as session, session.begin():
        invoices = session.scalars(select(Invoice).where(Invoice.company_id == COMPANY).order_by(Invoice.id)).all()
        drafts = [i for i in invoices if i.status == InvoiceStatus.DRAFT]
        drafts = drafts[: min(10, len(drafts) - 3)]  # three drafts stay for the tests after this one
        relocked = [i for i in invoices if i.status == InvoiceStatus.LOCKED][: events - len(drafts)]
        assert drafts and len(drafts) + len(relocked) == events, "the seed has enough invoices"
        for invoice in drafts:
            lock_invoice(session, invoice)
        for invoice in relocked:
            unlock_invoice(session, invoice)
            lock_invoice(session, invoice)
        numbers = {i.number for i in drafts}
    engine.dispose()
    return numbers


def test_a_burst_of_locks_costs_one_live_sync_covering_them_all(deployed: Deployed) -> None:
    before = set(_live_runs())
    drafts = _lock_a_burst(deployed, BURST)
    assert _relay(deployed) == BURST
    wait_for(lambda: drafts <= deployed.ledger.doc_numbers(), f"the {len(drafts)} locked drafts in the ledger")
    (run_id,) = set(_live_runs()) - before
    run = wait_for_run(run_id)
    assert run.state.is_completed(), run.state
    assert run.parameters == {"company_id": COMPANY, "events": ["service-opus.invoice.locked"], "page_size": 500}


def test_with_automatic_invoice_sync_off_the_event_syncs_nothing(deployed: Deployed) -> None:
    connection = deployed.store.connection(COMPANY, "qbo")
    deployed.store.set_auto_sync(connection.id, invoices=False, payments=True)
    try:
        before = set(_live_runs())
        mark = deployed.ledger.last_request_id()
        number = _lock_a_draft(deployed)
        assert _relay(deployed) == 1
        new = wait_for(lambda: set(_live_runs()) - before, "the live-sync run of the event")
        for run_id in new:
            assert wait_for_run(run_id).state.is_completed()
        assert number not in deployed.ledger.doc_numbers()
        assert deployed.ledger.writes_since(mark) == []
    finally:
        deployed.store.set_auto_sync(connection.id, invoices=True, payments=True)


def test_an_invoice_locked_while_the_server_is_down_is_not_lost(deployed: Deployed) -> None:
    deployed.prefect.stop_server()
    number = _lock_a_draft(deployed)
    with pytest.raises(Exception):  # noqa: B017 - any connection failure will do; the point is the row stays
        _relay(deployed)
    engine = make_engine(deployed.settings.resolved_source_url)
    assert [e.event for e in unsent(engine)] == ["service-opus.invoice.locked"]
    deployed.prefect.start_server()
    assert _relay(deployed) == 1
    assert unsent(engine) == []
    with Session(engine) as session:
        assert session.scalar(select(OutboxEvent).where(OutboxEvent.sent_at.is_(None))) is None
    engine.dispose()
    wait_for(lambda: number in deployed.ledger.doc_numbers(), f"invoice {number} in the ledger after the outage")
