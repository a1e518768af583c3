"""Settings -> Integrations -> Accounting in headless Chromium: the whole walkthrough a finance admin does, from
connecting through mapping each Service Opus bank account, the tips and the processing fees accounts, to a sync run
stopped at the chart-mapping gate by a bank account left unmapped, naming it."""

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ledger_sync.flows.sync import sync_company
from ledger_sync.sandboxes.serve import free_port, serving
from tests.waiting import CEILING_MS
from tests.web.stack import ADMIN_PASSWORD, ADMIN_USER, WebStack, web_stack

pytestmark = pytest.mark.browser


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/settings/integrations/accounting")
    expect(page).to_have_url(f"{base_url}/login?next=%2Fsettings%2Fintegrations%2Faccounting")
    page.fill("#username", ADMIN_USER)
    page.fill("#password", ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()


def _check(page: Page, ledger: str, title: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#{ledger}-validation [data-check='{title}']")


def _mapped_tax_rate(stack: WebStack) -> str:
    """The ledger id of a tax rate the saved mapping uses."""
    store = stack.store()
    try:
        return next(iter(store.load_mapping(stack.connection().id).tax_rates.values()))
    finally:
        store.close()


LEDGERS = [
    pytest.param("qbo", "QuickBooks Online", "Connect", {}, id="qbo"),
    pytest.param("xero", "Xero", "Allow access", {"tenants": 2}, id="xero-two-organisations"),
]
SUGGESTED_MONEY_ACCOUNTS = {
    "qbo": {
        "Operating Account": "Chequing",
        "Card Clearing": "Card Clearing",
        "Cash Drawer": "Cash Drawer",
        "Tips Account": "Tips Payable",
        "Processing Fees Account": "Bank Charges",
    },
    "xero": {
        "Operating Account": "Business Bank Account",
        "Card Clearing": "Card Clearing",
        "Cash Drawer": "Cash Drawer",
        "Tips Account": "Tips Payable",
        "Processing Fees Account": "Bank Fees",
    },
}
"""Service Opus's bank accounts (seeded) and the money roles -> the ledger account suggested for each."""


def _selected(card, label: str):  # type: ignore[no-untyped-def]
    return card.locator(f"select[aria-label='{label}'] option:checked")


@pytest.mark.parametrize(("ledger", "label", "consent_button", "sandbox"), LEDGERS)
def test_connect_map_toggle_validate(
    browser: Browser,
    prefect_server: None,
    screenshots_dir: Path,
    tmp_path: Path,
    ledger: str,
    label: str,
    consent_button: str,
    sandbox: dict[str, object],
) -> None:
    port = free_port()
    with (
        web_stack(tmp_path, ledger, web_url=f"http://127.0.0.1:{port}", **sandbox) as stack,
        serving(stack.app, port=port) as url,
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        context.set_default_timeout(CEILING_MS)  # the first validation of a process imports Great Expectations
        page = context.new_page()
        _log_in(page, url)
        card = page.locator(f"section#{ledger}")
        expect(card.get_by_test_id("status")).to_have_text("Not connected")
        page.screenshot(path=str(screenshots_dir / f"{ledger}-1-not-connected.png"), full_page=True)

        with page.expect_popup() as opened:
            card.get_by_role("link", name=f"Connect to {label}").click()
        popup = opened.value
        expect(popup.get_by_role("button", name=consent_button)).to_be_visible()
        popup.screenshot(path=str(screenshots_dir / f"{ledger}-2-consent-popup.png"))
        popup.get_by_role("button", name=consent_button).click()
        if not popup.is_closed():  # it may have closed during the click: a "close" listener would wait in vain
            popup.wait_for_event("close")

        if sandbox.get("tenants", 1) > 1:  # type: ignore[operator]
            picker = card.get_by_role("radio")
            expect(picker).to_have_count(2)
            page.screenshot(path=str(screenshots_dir / f"{ledger}-2b-pick-organisation.png"), full_page=True)
            picker.nth(1).check()
            card.get_by_role("button", name="Use this organisation").click()
        expect(card.get_by_test_id("status")).to_have_text("Connected")
        expect(page.get_by_role("status").first).to_contain_text(f"Connected to {label}")
        expect(card.get_by_text(f"Suggested from your {label} chart")).to_be_visible()
        for field, account in SUGGESTED_MONEY_ACCOUNTS[ledger].items():
            expect(_selected(card, field)).to_have_text(account)
            card.locator(f"select[aria-label='{field}']").select_option(label=account)  # the admin maps it
        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved.")
        expect(_check(page, ledger, "Chart mapping")).to_have_attribute("data-passed", "yes")

        card.locator("select[aria-label='Card Clearing']").select_option("")  # unmap one bank account
        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved, but still missing: Card Clearing.")
        chart_check = _check(page, ledger, "Chart mapping")
        expect(chart_check).to_have_attribute("data-passed", "no")
        expect(chart_check).to_contain_text(f"Bank account 'Card Clearing' is not mapped to a {label} account")
        page.screenshot(path=str(screenshots_dir / f"{ledger}-2c-bank-account-unmapped.png"), full_page=True)
        run = sync_company(company_id=1, ledger=ledger)  # type: ignore[arg-type]
        assert run["outcome"] == "stopped_at_gate", run
        gate = f"Bank account 'Card Clearing' is not mapped to a {label} account"
        assert gate in " ".join(run["gate_failures"]), run["gate_failures"]  # type: ignore[arg-type]
        page.reload()  # the panel shows the run's gates, as it kept them
        expect(_check(page, ledger, "Chart mapping")).to_contain_text(gate)
        card.locator("select[aria-label='Card Clearing']").select_option(label="Card Clearing")
        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved.")

        card.get_by_label("Automatic Invoice Sync").check()
        card.get_by_label("Automatic Payment Sync").check()
        card.get_by_role("button", name="Save live sync").click()
        expect(page.get_by_role("status").first).to_contain_text("Automatic Invoice Sync on")
        expect(card.get_by_label("Automatic Invoice Sync")).to_be_checked()
        expect(card.get_by_label("Automatic Payment Sync")).to_be_checked()

        expect(_check(page, ledger, "Chart mapping")).to_have_attribute("data-passed", "yes")
        expect(_check(page, ledger, "Active connection")).to_have_attribute("data-passed", "yes")
        page.screenshot(path=str(screenshots_dir / f"{ledger}-3-connected-mapped.png"), full_page=True)

        archived = _mapped_tax_rate(stack)
        name = stack.tax_rate_name(archived)
        stack.archive_tax_rate(archived)
        page.reload()
        expect(_check(page, ledger, "Chart mapping")).to_have_attribute("data-passed", "yes")  # a load checks nothing
        card.get_by_role("button", name="Run checks").click()
        expect(page.get_by_role("status").first).to_contain_text("checks run")
        chart_check = _check(page, ledger, "Chart mapping")
        expect(chart_check).to_have_attribute("data-passed", "no")
        expect(chart_check).to_contain_text(f"'{name}', which is inactive in {label}")
        expect(_check(page, ledger, "Active connection")).to_have_attribute("data-passed", "yes")
        page.screenshot(path=str(screenshots_dir / f"{ledger}-4-archived-tax-rate.png"), full_page=True)

        with context.expect_page() as opened_report:
            card.get_by_role("link", name="Open the validation report").click()
        docs = opened_report.value
        docs.wait_for_load_state()
        assert "/reports/" in docs.url
        expect(docs.locator("body")).to_contain_text("chart_mapping")
        context.close()


TRACKING = {
    "qbo": {"North Branch": "Location", "South Branch": "Location", "Alex Rivera": "Class", "Sam Chen": "Class"},
    "xero": {
        "North Branch": "Business Unit",
        "South Branch": "Business Unit",
        "Alex Rivera": "Technician",
        "Sam Chen": "Technician",
    },
}
"""Service Opus's seeded business units and technicians -> the category of the same-named ledger option (a QBO
location or class, a Xero tracking category's option)."""


@pytest.mark.parametrize(
    ("ledger", "label", "consent_button"), [("qbo", "QuickBooks Online", "Connect"), ("xero", "Xero", "Allow access")]
)
def test_map_business_units_and_technicians_then_unmapping_one_fails_the_chart_gate_naming_it(
    browser: Browser, screenshots_dir: Path, tmp_path: Path, ledger: str, label: str, consent_button: str
) -> None:
    """Issue 17: each business unit and technician is suggested its same-named class, location or tracking option
    and saved; a technician left "Not tracked" while the others are mapped fails the chart-mapping check, naming
    them, and the saved mapping is never replaced by the suggestion again."""
    port = free_port()
    with (
        web_stack(tmp_path, ledger, web_url=f"http://127.0.0.1:{port}") as stack,
        serving(stack.app, port=port) as url,
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 1200})
        context.set_default_timeout(CEILING_MS)
        page = context.new_page()
        _log_in(page, url)
        card = page.locator(f"section#{ledger}")
        with page.expect_popup() as opened:
            card.get_by_role("link", name=f"Connect to {label}").click()
        popup = opened.value
        popup.get_by_role("button", name=consent_button).click()
        if not popup.is_closed():
            popup.wait_for_event("close")
        expect(card.get_by_test_id("status")).to_have_text("Connected")
        tracking = card.locator(f"#{ledger}-tracking")
        expect(tracking).to_be_visible()
        expect(card.get_by_text("suggested by the names of your")).to_be_visible()
        for name, category in TRACKING[ledger].items():  # suggested: the one option of the same name
            expect(_selected(card, name)).to_have_text(f"{name} ({category})")
            card.locator(f"select[aria-label='{name}']").select_option(label=f"{name} ({category})")
        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved.")
        expect(_check(page, ledger, "Chart mapping")).to_have_attribute("data-passed", "yes")
        for name, category in TRACKING[ledger].items():
            expect(_selected(card, name)).to_have_text(f"{name} ({category})")
        page.screenshot(path=str(screenshots_dir / f"{ledger}-tracking-1-mapped.png"), full_page=True)
        store = stack.store()
        try:
            tracked = store.load_mapping(stack.connection().id).tracking
        finally:
            store.close()
        assert sorted(len(values) for values in tracked.values()) == [2, 2]

        card.locator("select[aria-label='Sam Chen']").select_option("")  # unmap one technician
        card.get_by_role("button", name="Save mapping").click()
        expect(page.get_by_role("status").first).to_have_text("Mapping saved.")
        chart_check = _check(page, ledger, "Chart mapping")
        expect(chart_check).to_have_attribute("data-passed", "no")
        expect(chart_check).to_contain_text(
            f"Technician 'Sam Chen' is not mapped to a {label} class or tracking option"
        )
        page.screenshot(path=str(screenshots_dir / f"{ledger}-tracking-2-unmapped.png"), full_page=True)
        context.close()
