"""Settings -> Integrations -> Accounting -> Sync activity in headless Chromium, over the QBO sandbox: a run in
progress with its bar, Sync now (a real sync in the background) moving the counts, a parked record's reason,
Retry now releasing a record fixed in the ledger, a parked record's ledger link, Ignore moving it to skipped."""

from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Customer, Invoice, InvoiceStatus
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind
from ledger_sync.demo import PROBLEM_CUSTOMER, add_problem_records, connect_with_auto_consent
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.sandboxes.serve import free_port, serving
from ledger_sync.state import activity
from ledger_sync.state.db import make_engine
from ledger_sync.web import sync_now
from tests.waiting import CEILING, CEILING_MS
from tests.web.stack import ADMIN_PASSWORD, ADMIN_USER, WebStack, web_stack

pytestmark = pytest.mark.browser


def _prepare(stack: WebStack) -> dict[str, int]:
    """The problem records (a second customer named like the first, its invoice waiting behind it), connected
    and mapped; the Service Opus ids the test follows."""
    engine = make_engine(stack.settings.resolved_source_url)
    try:
        add_problem_records(engine, 1)
        with Session(engine) as session:
            twin = session.scalars(
                select(Customer.id).where(Customer.display_name == PROBLEM_CUSTOMER).order_by(Customer.id.desc())
            ).first()
            waiting = session.scalars(select(Invoice.id).where(Invoice.number == "PRB-0002")).one()
            edited = session.scalars(
                select(Invoice.id).where(Invoice.status == InvoiceStatus.LOCKED).order_by(Invoice.id)
            ).first()
    finally:
        engine.dispose()
    store = stack.store()
    try:
        connect_with_auto_consent(stack.settings, store, 1)
        apply_suggested_mapping(stack.settings, store, 1, "qbo")
    finally:
        store.close()
    assert twin is not None and edited is not None
    return {"twin": twin, "waiting": waiting, "edited": edited}


def _count(page: Page, kind: str, state: str) -> int:
    return int(page.locator(f"[data-testid=counts] tr[data-kind='{kind}'] td[data-state='{state}']").inner_text())


def _row(page: Page, kind: str, source_id: int) -> Any:
    return page.locator(f"tr[data-record='{kind}-{source_id}']")


def _sync_now(page: Page, runs_before: int, stack: WebStack) -> None:
    """Click Sync now and wait until the page (which follows the run) shows it finished; if no run shows, the failure
    carries what the background sync wrote to its log."""
    page.get_by_test_id("sync-now").click()
    expect(page.get_by_role("status").first).to_contain_text("QuickBooks Online sync started on this server")
    try:
        expect(page.locator("tr[data-run]")).to_have_count(runs_before + 1)
    except AssertionError as missing:
        log = stack.settings.home / "logs" / "sync-now-company-1-qbo.log"
        raise AssertionError(log.read_text()[-4000:] if log.exists() else f"{log} was never written") from missing
    expect(page.locator("tr[data-run]").first.locator("td[data-outcome]")).to_have_attribute(
        "data-outcome", "completed"
    )


def _rename_in_qbo(stack: WebStack, name: str, new_name: str) -> None:
    """What a bookkeeper does in QBO to let the second customer of that name in."""
    path = f"/_sandbox/realms/{stack.connection().tenant_id}/Customer"
    customers = stack.sandbox("GET", path).json()
    customers = customers["Customer"] if isinstance(customers, dict) else customers
    existing = next(c for c in customers if c["DisplayName"] == name)
    stack.sandbox("PATCH", f"{path}/{existing['Id']}", json={"DisplayName": new_name})


def _edit_discount(stack: WebStack, invoice_id: int, percent: str) -> None:
    """Service Opus edits the synced invoice (a new change number): a discount no ledger can take."""
    engine = make_engine(stack.settings.resolved_source_url)
    try:
        with Session(engine) as session, session.begin():
            invoice = session.get(Invoice, invoice_id)
            assert invoice is not None
            invoice.discount_percent = Decimal(percent)
    finally:
        engine.dispose()


@pytest.mark.timeout(900)  # two real syncs in a child process, each starting its own Prefect and Great Expectations
def test_progress_sync_now_retry_link_and_ignore(
    browser: Browser, screenshots_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    with (
        web_stack(tmp_path, "qbo", web_url=f"http://127.0.0.1:{port}", auto_consent=True) as stack,
        serving(stack.app, port=port) as url,
    ):
        monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))  # the background sync's own Prefect
        # whose ephemeral server starts slowly on a busy machine (Prefect gives it 20 s by default)
        monkeypatch.setenv("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(int(CEILING)))
        # No Prefect API for this server, whatever Prefect server this test worker started for other tests: Sync now
        # runs the sync in the background here.
        monkeypatch.setattr(sync_now, "PREFECT_API_URL", SimpleNamespace(value=lambda: None))
        ids = _prepare(stack)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(CEILING_MS)
        page = context.new_page()
        page.goto(f"{url}/settings/integrations/accounting/activity?company=1&ledger=qbo")
        page.fill("#username", ADMIN_USER)
        page.fill("#password", ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", name="Sync activity")).to_be_visible()
        assert _count(page, "invoice", "synced") == 0

        # A backfill in progress, as its flow records it page by page: the bar follows without a reload.
        store = stack.store()
        try:
            cid = stack.connection().id
            backfill = store.start_run(cid, RunKind.BACKFILL)
            activity.set_total(store, backfill, 40)
            activity.set_progress(store, backfill, 10)
            page.reload()
            progress = page.get_by_test_id("progress")
            expect(progress).to_be_visible()
            expect(progress).to_contain_text("backfill run in progress: 10 of 40 records read")
            activity.set_progress(store, backfill, 30)
            expect(progress).to_contain_text("30 of 40 records read (75 %)")
            expect(progress.locator("progress")).to_have_attribute("value", "75")
            page.screenshot(path=str(screenshots_dir / "activity-1-backfill-in-progress.png"), full_page=True)
            summary = {"entities": {}, "api_calls": 0}
            store.finish_run(backfill, "completed", summary, None)  # type: ignore[arg-type]
        finally:
            store.close()
        expect(progress).to_be_hidden()  # the page reloaded on its own when the run finished

        _sync_now(page, runs_before=1, stack=stack)
        assert _count(page, "invoice", "synced") > 0
        twin = _row(page, "customer", ids["twin"])
        expect(twin).to_have_attribute("data-state", "parked")
        expect(twin).to_contain_text("QuickBooks Online refused this customer")
        expect(_row(page, "invoice", ids["waiting"])).to_have_attribute("data-state", "parked")
        expect(_row(page, "invoice", ids["waiting"])).to_contain_text(f"Waiting for customer '{PROBLEM_CUSTOMER}'")
        page.screenshot(path=str(screenshots_dir / "activity-2-after-sync-now.png"), full_page=True)

        _rename_in_qbo(stack, PROBLEM_CUSTOMER, f"{PROBLEM_CUSTOMER} (accounts)")
        _edit_discount(stack, ids["edited"], "150")
        twin.get_by_test_id("retry").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Customer {ids['twin']} will be retried")
        synced_before = _count(page, "invoice", "synced")
        _sync_now(page, runs_before=2, stack=stack)
        expect(_row(page, "customer", ids["twin"])).to_have_attribute("data-state", "synced")
        expect(_row(page, "invoice", ids["waiting"])).to_have_attribute("data-state", "synced")
        edited = _row(page, "invoice", ids["edited"])
        expect(edited).to_have_attribute("data-state", "parked")
        expect(edited).to_contain_text("150")
        link = edited.get_by_test_id("ledger-link")
        expect(link).to_have_attribute("href", "https://app.qbo.intuit.com/app/invoice?txnId=" + _ledger_id(stack, ids))
        assert _count(page, "invoice", "synced") == synced_before  # PRB-0002 synced, the edited one now parked
        page.screenshot(path=str(screenshots_dir / "activity-3-retried-and-parked-with-link.png"), full_page=True)

        skipped_before = _count(page, "invoice", "skipped")
        edited.locator("input[name=note]").fill("Discount agreed by phone; corrected by hand in QuickBooks")
        edited.get_by_test_id("ignore").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Invoice {ids['edited']} is ignored")
        edited = _row(page, "invoice", ids["edited"])
        expect(edited).to_have_attribute("data-state", "skipped")
        expect(edited).to_contain_text("Ignored on the settings page: Discount agreed by phone")
        assert _count(page, "invoice", "skipped") == skipped_before + 1
        page.get_by_label("State").select_option("skipped")
        page.get_by_label("Search").fill("agreed by phone")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("[data-testid=records] tr[data-record]")).to_have_count(1)
        page.screenshot(path=str(screenshots_dir / "activity-4-ignored-is-skipped.png"), full_page=True)
        context.close()


def _ledger_id(stack: WebStack, ids: dict[str, int]) -> str:
    store = stack.store()
    try:
        return activity.ledger_ids(store, stack.connection().id, EntityType.INVOICE, [ids["edited"]])[ids["edited"]]
    finally:
        store.close()
