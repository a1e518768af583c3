"""No secret reaches any log line, page, artifact or file: over a web walkthrough (log in, connect in the OAuth
popup's pages, map, toggle, Run checks) with a real sync flow run on a Prefect server, and over a whole demo,
per ledger.

The secrets are every value that could open the books or the settings page: the tokens the ledger issues, the
OAuth codes, states and PKCE verifiers of each consent, the app's client secret, the encryption key, the session
secret and the admin password. The haystack is everything we write or print: captured logs (ours at DEBUG) and
output,
every page served, every file under the home folder (state database and its WAL, Data Docs, GX results,
validation results) and the Prefect server's database (flow and task run logs, artifacts, parameters). The
sandbox's own files are the vendor's side and are left out.
"""

import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from tests.web.stack import ADMIN_PASSWORD, connect, csrf_of, log_in, record_issued_tokens, selected_choices, web_stack

PAGE = "/settings/integrations/accounting"


@pytest.fixture
def issued(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every token the app receives, and every random secret of a consent (ours and the sandbox's codes)."""
    values: list[str] = []
    record_issued_tokens(monkeypatch, values)

    def token_urlsafe(nbytes: int | None = None) -> str:
        value = secrets.token_urlsafe(nbytes)
        values.append(value)
        return value

    recorder = SimpleNamespace(token_urlsafe=token_urlsafe, token_hex=secrets.token_hex)
    for module in ("ledger_sync.onboarding", "ledger_sync.sandboxes.qbo.tokens"):  # state, verifier; QBO's codes
        monkeypatch.setattr(f"{module}.secrets", recorder)
    yield values


def _prefect_database() -> Path:
    from prefect.settings import get_current_settings

    url = make_url(get_current_settings().server.database.connection_url.get_secret_value())
    assert url.database, "the Prefect server of the tests keeps its database in a file"
    return Path(url.database)


def _file_texts(folder: Path) -> dict[str, str]:
    return {str(p): p.read_bytes().decode("latin-1") for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("ledger", ["qbo", "xero"])
def test_no_secret_reaches_a_log_page_artifact_or_file(
    tmp_path: Path,
    ledger: str,
    prefect_server: None,
    issued: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from ledger_sync.flows.sync import sync_company

    caplog.set_level(logging.DEBUG, logger="ledger_sync")  # ours at DEBUG; libraries log at their usual levels
    pages: list[str] = []

    def keep(response: httpx.Response) -> None:
        response.read()
        pages.append(response.text)

    with web_stack(tmp_path, ledger, auto_consent=True) as stack, TestClient(stack.app) as client:
        client.event_hooks = {"request": [], "response": [keep]}
        log_in(client)
        connect(client, ledger)
        page = client.get(PAGE).text
        form = {**selected_choices(page), "csrf_token": csrf_of(page)}
        client.post(f"/integrations/accounting/{ledger}/mapping?company=1", data=form)
        client.post(
            f"/integrations/accounting/{ledger}/auto-sync", data={"company": "1", "csrf_token": form["csrf_token"]}
        )
        summary = sync_company(company_id=1, ledger=ledger)  # type: ignore[arg-type]
        client.post(
            f"/integrations/accounting/{ledger}/checks", data={"company": "1", "csrf_token": form["csrf_token"]}
        )
        client.get(PAGE)
        statics = [
            stack.settings.encryption_key.get_secret_value() if stack.settings.encryption_key else "",
            stack.settings.session_secret.get_secret_value(),
            getattr(stack.settings, f"{ledger}_client_secret").get_secret_value(),
            ADMIN_PASSWORD,
        ]
        cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    assert summary["outcome"] == "completed", summary
    assert len(issued) >= 4, "the test must see the consent's secrets and the tokens"

    prefect_files = _file_texts(_prefect_database().parent)
    assert any("sync-company" in text for text in prefect_files.values()), "the flow run is in the Prefect database"
    haystacks = {
        "logs": caplog.text,
        "captured output": "".join(capfd.readouterr()),
        "cookies": cookies,
        **{f"page {i}": text for i, text in enumerate(pages)},
        **_file_texts(stack.home),
        **prefect_files,
    }
    assert any(name.endswith("state.db") for name in haystacks)
    assert any("data_docs" in name for name in haystacks)
    _assert_nowhere(issued + statics, haystacks)


@pytest.mark.parametrize("ledger", ["qbo", "xero"])
def test_no_secret_reaches_a_file_or_the_output_of_a_whole_demo(
    tmp_path: Path,
    ledger: str,
    prefect_server: None,
    issued: list[str],
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """`ledger-sync demo` (seed, sandbox, consent, mapping, two sync runs, status), on fewer invoices."""
    from ledger_sync.demo import run_demo

    caplog.set_level(logging.DEBUG, logger="ledger_sync")
    result = run_demo(tmp_path / "demo", invoices=40, ledger=ledger)
    assert result.first_run["outcome"] == "completed" and result.writes_on_second_run == 0
    assert len(issued) >= 3, "the test must see the consent's secrets and the tokens"
    sandbox_file = str(result.sandbox_db)
    files = {name: text for name, text in _file_texts(tmp_path / "demo").items() if not name.startswith(sandbox_file)}
    assert any(name.endswith("state.db") for name in files)
    haystacks = {"logs": caplog.text, "captured output": "".join(capfd.readouterr()), **files}
    _assert_nowhere(issued, {**haystacks, **_file_texts(_prefect_database().parent)})


def _assert_nowhere(secret_values: list[str], haystacks: dict[str, str]) -> None:
    for secret in {value for value in secret_values if value}:
        leaks = {where: _around(text, secret) for where, text in haystacks.items() if secret in text}
        assert not leaks, f"a secret ({len(secret)} characters) leaked: {leaks}"


def _around(text: str, secret: str) -> str:
    """Where the secret sits, with the secret itself masked."""
    at = text.index(secret)
    return (text[max(0, at - 120) : at] + "<SECRET>" + text[at + len(secret) : at + len(secret) + 40]).replace(
        "\n", " "
    )
