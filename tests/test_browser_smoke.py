"""The browser the UI tests rely on really renders a page served on loopback."""

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ledger_sync.sandboxes.serve import serving
from tests.waiting import CEILING_MS


@pytest.mark.browser
def test_chromium_renders_a_loopback_page(browser, screenshots_dir: Path) -> None:  # type: ignore[no-untyped-def]
    app = Starlette(routes=[Route("/", lambda request: HTMLResponse("<h1 id=t>Ledger sync</h1>"))])
    with serving(app) as base_url:
        page = browser.new_page()
        page.set_default_timeout(CEILING_MS)
        page.goto(base_url)
        assert page.inner_text("#t") == "Ledger sync"
        page.screenshot(path=str(screenshots_dir / "smoke.png"))
        page.close()
