"""No token the ledger issues ever shows up in the state database file, a log line, a page or an artifact."""

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.web.stack import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    authorize_link,
    connect,
    csrf_of,
    log_in,
    record_issued_tokens,
    selected_choices,
    web_stack,
)

PAGE = "/settings/integrations/accounting"


LEDGERS = [
    pytest.param("qbo", {"access_token_ttl": 120, "refresh_rotation_after": 0}, id="qbo"),
    pytest.param("xero", {"access_token_ttl": 120}, id="xero"),
]
"""Access tokens shorter than the refresh margin (and QBO rotating on every refresh): many tokens, quickly."""


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every access and refresh token a sandbox hands out to the app in this test."""
    tokens: list[str] = []
    record_issued_tokens(monkeypatch, tokens)
    yield tokens


def _files(folder: Path) -> Iterator[Path]:
    return (path for path in folder.rglob("*") if path.is_file())


@pytest.mark.parametrize(("ledger", "sandbox"), LEDGERS)
def test_tokens_never_reach_the_database_file_logs_pages_or_artifacts(
    tmp_path: Path,
    ledger: str,
    sandbox: dict[str, object],
    issued: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    pages: list[str] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        pages.append(response.text)

    with web_stack(tmp_path, ledger, auto_consent=True, **sandbox) as stack, TestClient(stack.app) as client:
        client.event_hooks = {"request": [], "response": [keep]}
        log_in(client)
        connect(client, ledger)
        page = client.get(PAGE).text
        form = selected_choices(page)
        client.post(f"/integrations/accounting/{ledger}/mapping?company=1", data={**form, "csrf_token": csrf_of(page)})
        client.post(f"/integrations/accounting/{ledger}/auto-sync", data={"company": "1", "csrf_token": csrf_of(page)})
        client.get(PAGE)
        client.post(f"/integrations/accounting/{ledger}/disconnect", data={"company": "1", "csrf_token": csrf_of(page)})
        client.get(PAGE)
        connect(client, ledger)  # a second consent, then refreshes again
        client.get(PAGE)
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    assert len(set(issued)) >= 10, "the test must see the app receive, refresh and rotate tokens"
    assert len(pages) >= 10

    haystacks = {
        "logs": caplog.text,
        "captured output": "".join(capfd.readouterr()),
        "cookies": cookies,
        **{f"page {i}": text for i, text in enumerate(pages)},
    }
    for path in _files(stack.home):  # the state database (and its WAL), Data Docs, GX results, keys
        haystacks[str(path)] = path.read_bytes().decode("latin-1")
    assert any(name.endswith("state.db") for name in haystacks)
    assert any("data_docs" in name for name in haystacks)
    for token in set(issued):
        leaks = [where for where, text in haystacks.items() if token in text]
        assert not leaks, f"a token leaked into {leaks}"


def test_the_access_log_holds_no_oauth_code_or_state(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """uvicorn's own access log, as `ledger-sync web` runs it, over a real connect through HTTP."""
    import threading
    import time

    import uvicorn

    from ledger_sync.sandboxes.serve import free_port

    port = free_port()
    web_url = f"http://127.0.0.1:{port}"
    with web_stack(tmp_path, "qbo", web_url=web_url, auto_consent=True) as stack:
        server = uvicorn.Server(uvicorn.Config(stack.app, host="127.0.0.1", port=port, log_level="info"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            while not server.started:
                assert thread.is_alive()
                time.sleep(0.05)
            with httpx.Client(base_url=web_url, timeout=60) as client:
                page = client.get("/login")
                client.post(
                    "/login",
                    data={"username": ADMIN_USER, "password": ADMIN_PASSWORD, "csrf_token": csrf_of(page.text)},
                )
                start = client.get(authorize_link(client))
                consent = httpx.get(start.headers["location"], follow_redirects=False, timeout=30)
                callback = httpx.URL(consent.headers["location"])
                assert client.get(f"{callback.path}?{callback.query.decode()}").status_code == 200
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    logged = "".join(capfd.readouterr())
    assert "/integrations/accounting/qbo/callback" in logged, "the access log was on"
    for name in ("code", "state"):
        value = callback.params[name]
        assert value not in logged, f"the OAuth {name} reached the access log"
