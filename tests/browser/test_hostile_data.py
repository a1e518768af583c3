"""Hostile names from Service Opus and from the ledger reach every page and report and run no script.

A customer, a Service Opus tax rate, a ledger tax rate, a ledger account and a Xero organisation are
named with markup that would run script if any page or Data Docs report wrote it unescaped; the script
would set `window.pwned`. A page of ours must also refuse to be framed by another site.
"""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import update

from ledger_sync.connectors.registry import get
from ledger_sync.connectors.service_opus.models import Customer, TaxRate
from ledger_sync.expectations.context import publish_docs
from ledger_sync.expectations.inputs import CustomerRow
from ledger_sync.expectations.last_checks import docs_root, gx_dir
from ledger_sync.expectations.records import check_customers
from ledger_sync.sandboxes.serve import free_port, serving
from ledger_sync.sandboxes.xero import tenants as xero_tenants
from ledger_sync.state.db import make_engine
from ledger_sync.web.headers import REPORTS
from tests.waiting import CEILING_MS
from tests.web.stack import ADMIN_PASSWORD, ADMIN_USER, WebStack, web_stack

pytestmark = pytest.mark.browser


def hostile(what: str) -> str:
    """A name that runs script wherever it is written into HTML unescaped."""
    return f"{what}: <script>window.pwned='{what}'</script><img src=x onerror=\"window.pwned='{what}'\">"


CUSTOMER = hostile("X")
SOURCE_RATE = hostile("Opus rate")
LEDGER_RATE = hostile("Ledger rate")
ACCOUNT = hostile("Account")
ORGANISATIONS = [hostile("Org one"), hostile("Org two")]


def _no_script_ran(page: Page) -> None:
    page.wait_for_load_state("load")
    assert page.evaluate("() => window.pwned === undefined"), f"a hostile name ran script on {page.url}"


def _rename_in_service_opus(stack: WebStack) -> int:
    """Give customer 1 and the first tax rate hostile names; returns the customer's id."""
    engine = make_engine(f"sqlite:///{stack.home / 'service_opus.db'}")
    try:
        with engine.begin() as conn:
            conn.execute(update(Customer).where(Customer.id == 1).values(display_name=CUSTOMER))
            conn.execute(update(TaxRate).where(TaxRate.id == 1).values(name=SOURCE_RATE))
    finally:
        engine.dispose()
    return 1


def _rename_in_xero(stack: WebStack, tax_type: str) -> None:
    tenant = stack.connection().tenant_id
    base = f"/_sandbox/tenants/{tenant}"
    stack.sandbox("PATCH", f"{base}/TaxRates/{tax_type}", json={"Name": LEDGER_RATE})
    accounts = stack.sandbox("GET", f"{base}/Accounts").json()
    accounts = accounts["Accounts"] if isinstance(accounts, dict) else accounts
    revenue = next(a for a in accounts if a.get("Type") == "REVENUE" and a.get("Status") == "ACTIVE")
    stack.sandbox("PATCH", f"{base}/Accounts/{revenue['AccountID']}", json={"Name": ACCOUNT})


def test_hostile_names_run_no_script_on_any_page_or_report(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xero_tenants, "_ORG_NAMES", ORGANISATIONS)
    port = free_port()
    with (
        web_stack(tmp_path, "xero", web_url=f"http://127.0.0.1:{port}", tenants=2) as stack,
        serving(stack.app, port=port) as url,
    ):
        customer_id = _rename_in_service_opus(stack)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(CEILING_MS)
        dialogs: list[str] = []
        context.on("page", lambda new: new.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss())))
        page = context.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{url}/settings/integrations/accounting")
        page.fill("#username", ADMIN_USER)
        page.fill("#password", ADMIN_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        card = page.locator("section#xero")
        expect(card.get_by_test_id("status")).to_have_text("Not connected")
        _no_script_ran(page)

        with page.expect_popup() as opened:
            card.get_by_role("link", name="Connect to Xero").click()
        popup = opened.value
        _no_script_ran(popup)
        popup.get_by_role("button", name="Allow access").click()
        if not popup.is_closed():
            popup.wait_for_event("close")
        picker = card.get_by_role("radio")
        expect(picker).to_have_count(2)
        expect(card).to_contain_text(ORGANISATIONS[1])  # shown as text, not markup
        _no_script_ran(page)
        picker.nth(1).check()
        card.get_by_role("button", name="Use this organisation").click()
        expect(card.get_by_test_id("status")).to_have_text("Connected")
        expect(page.get_by_role("status").first).to_contain_text(ORGANISATIONS[1])
        _no_script_ran(page)

        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved.")
        store = stack.store()
        try:
            mapped = next(iter(store.load_mapping(stack.connection().id).tax_rates.values()))
        finally:
            store.close()
        _rename_in_xero(stack, mapped)
        stack.archive_tax_rate(mapped)
        card.get_by_role("button", name="Run checks").click()
        expect(page.get_by_role("status").first).to_contain_text("checks run")
        expect(card).to_contain_text(SOURCE_RATE)
        assert card.locator("select option", has_text=ACCOUNT).count() >= 1
        check = card.locator("[data-check='Chart mapping']")
        expect(check).to_have_attribute("data-passed", "no")
        expect(check).to_contain_text(LEDGER_RATE)
        _no_script_ran(page)

        with context.expect_page() as opened_report:
            card.get_by_role("link", name="Open the validation report").click()
        report = opened_report.value
        _no_script_ran(report)
        assert REPORTS in report.url

        # The record checks of a sync write a rejected value into Data Docs: here the customer's email, over QBO's
        # 100 characters and carrying the same markup (a name QBO refuses as it is is fixed, not rejected).
        parked = check_customers(
            [CustomerRow(customer_id, CUSTOMER, f"{CUSTOMER}{'x' * 100}@example.test")],
            get("qbo").limits,
            context_dir=gx_dir(stack.settings.home),
            run_name="hostile-customer",
        )
        assert list(parked) == [customer_id], "the hostile customer must be rejected, so Data Docs name it"
        publish_docs(gx_dir(stack.settings.home))
        root = docs_root(stack.settings.home)
        customer_pages = [p for p in root.rglob("*.html") if "hostile-customer" in p.as_posix()]
        assert customer_pages
        for docs in [root / "index.html", *customer_pages]:
            assert "<script>window.pwned" not in docs.read_text(), f"{docs} holds the name unescaped"
            report.goto(f"{url}{REPORTS}{docs.relative_to(root).as_posix()}")
            expect(report.locator("body")).to_be_visible()
            _no_script_ran(report)
        expect(report.locator("body")).to_contain_text("window.pwned='X'")  # the name is shown, as text

        # Even a report holding raw markup (written by anything else) runs nothing under the reports' CSP.
        raw = root / "raw.html"
        raw.write_text(f"<html><body><p>{CUSTOMER}</p></body></html>")
        report.goto(f"{url}{REPORTS}raw.html")
        expect(report.locator("p")).to_contain_text("X:")
        _no_script_ran(report)

        # Another site cannot frame the settings pages.
        framer = context.new_page()
        framer.set_content(f'<iframe id="f" src="{url}/login"></iframe>')
        framer.wait_for_load_state("load")
        frame = framer.frame_locator("#f")
        expect(frame.get_by_role("button", name="Sign in")).to_have_count(0)
        assert dialogs == []
        context.close()
