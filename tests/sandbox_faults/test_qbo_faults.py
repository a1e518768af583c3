"""Each fault as the QBO sandbox injects it, seen from a client: QBO's bodies, and what did or did not happen."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.faults import FaultPlan
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.serve import serving
from tests.sandbox_qbo.helpers import REDIRECT_URI, Qbo, assert_fault, consent, make_config, token_request
from tests.waiting import CEILING, wait_for


def connected(client: httpx.Client) -> Qbo:
    redirect = consent(client)  # type: ignore[arg-type]
    answer = token_request(client, grant_type="authorization_code", code=redirect["code"], redirect_uri=REDIRECT_URI)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    return Qbo(client, redirect["realmId"], answer.json())  # type: ignore[arg-type]


@pytest.fixture
def sandbox(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, Qbo]]:
    """A sandbox whose plan is the test's `faults` parameter, connected BEFORE its faults matter."""
    plan: FaultPlan = request.param
    with TestClient(create_app(make_config(tmp_path / "qbo.db", faults=plan)), follow_redirects=False) as client:
        yield client, connected(client)


def report(client: httpx.Client) -> dict[str, Any]:
    answer = client.get("/_sandbox/faults")
    assert answer.status_code == 200
    return answer.json()


def ledger(client: httpx.Client, realm_id: str, entity: str) -> list[dict[str, Any]]:
    return client.get(f"/_sandbox/realms/{realm_id}/{entity}").json()


@pytest.mark.parametrize("sandbox", [FaultPlan(server_error_rate=1.0)], indirect=True)
def test_a_server_error_comes_before_anything_is_done(sandbox: tuple[TestClient, Qbo]) -> None:
    client, qbo = sandbox
    statuses = set()
    for number in range(6):
        answer = qbo.post("Customer", {"DisplayName": f"Outage {number}"})
        statuses.add(answer.status_code)
        if answer.status_code == 500:
            assert_fault(answer, 500, "10000", "SystemFault")
        else:
            assert answer.status_code == 503 and answer.headers["content-type"].startswith("text/html")
    assert statuses == {500, 503}
    assert [c for c in ledger(client, qbo.realm_id, "Customer") if c["DisplayName"].startswith("Outage")] == []
    counts = report(client)["counts"]
    assert (counts["server_error"], counts["requests"], counts["writes"]) == (6, 6, 6)


@pytest.mark.parametrize("sandbox", [FaultPlan(throttle_rate=1.0)], indirect=True)
def test_throttling_is_qbo_fault_3001_without_retry_after(sandbox: tuple[TestClient, Qbo]) -> None:
    client, qbo = sandbox
    answer = qbo.query("SELECT * FROM Customer")
    assert_fault(answer, 429, "3001", "ThrottleExceeded")
    assert "retry-after" not in answer.headers
    assert client.get(f"/_sandbox/realms/{qbo.realm_id}/Account").status_code == 200, "admin routes are not faulted"
    assert report(client)["counts"]["throttle"] == 1


@pytest.mark.parametrize("sandbox", [FaultPlan(revoke_after=[2])], indirect=True)
def test_a_revoked_grant_refuses_the_access_token_and_the_next_refresh(sandbox: tuple[TestClient, Qbo]) -> None:
    client, qbo = sandbox
    assert qbo.query("SELECT * FROM Customer").status_code == 200
    assert qbo.query("SELECT * FROM Customer").status_code == 200, "the Nth request itself is answered"
    assert_fault(qbo.query("SELECT * FROM Customer"), 401, "3200", "AuthenticationFault")
    refresh = token_request(client, grant_type="refresh_token", refresh_token=qbo.tokens["refresh_token"])  # type: ignore[arg-type]
    assert (refresh.status_code, refresh.json()) == (400, {"error": "invalid_grant"})
    [event] = report(client)["events"]
    assert (event["kind"], event["request"]) == ("revoke", 2)


@pytest.mark.parametrize("sandbox", [FaultPlan(seed=4, touch_after_writes=[2])], indirect=True)
def test_a_sync_token_moves_behind_the_clients_back(sandbox: tuple[TestClient, Qbo]) -> None:
    client, qbo = sandbox
    first = qbo.customer("Only Customer")
    assert first["SyncToken"] == "0"
    qbo.item()  # the second write: afterwards the sandbox edits a Customer or Invoice (here the only one)
    assert qbo.get("Customer", first["Id"]).json()["Customer"]["SyncToken"] == "1"
    stale = qbo.post("Customer", {"Id": first["Id"], "SyncToken": "0", "sparse": True, "DisplayName": "Renamed"})
    assert_fault(stale, 400, "5010")
    [event] = report(client)["events"]
    assert event["kind"] == "touch" and f"Customer {first['Id']}" in event["detail"]


def served_client(tmp_path: Path, plan: FaultPlan) -> Iterator[tuple[httpx.Client, Qbo]]:
    """A sandbox on a real socket; the client waits as long as any loaded machine needs (the OAuth steps too)."""
    config = make_config(tmp_path / "qbo.db", faults=plan, auto_consent=False)
    with serving(create_app(config)) as base_url, httpx.Client(base_url=base_url, timeout=CEILING) as client:
        yield client, connected(client)


@pytest.fixture
def dropping(tmp_path: Path) -> Iterator[tuple[httpx.Client, Qbo]]:
    yield from served_client(tmp_path, FaultPlan(drop_after_commit_rate=1.0))


def test_a_dropped_write_was_committed_and_its_retry_is_answered_from_the_replay(
    dropping: tuple[httpx.Client, Qbo],
) -> None:
    client, qbo = dropping
    assert qbo.query("SELECT * FROM Customer").status_code == 200, "reads are never dropped"
    with pytest.raises(httpx.RemoteProtocolError):
        qbo.post("Customer", {"DisplayName": "Committed Then Lost"}, requestid="drop-1")
    [saved] = [c for c in ledger(client, qbo.realm_id, "Customer") if c["DisplayName"] == "Committed Then Lost"]
    with pytest.raises(httpx.RemoteProtocolError):
        qbo.post("Customer", {"DisplayName": "Committed Then Lost"}, requestid="drop-1")
    assert [c["Id"] for c in ledger(client, qbo.realm_id, "Customer")].count(saved["Id"]) == 1
    events = report(client)["events"]
    assert [(e["kind"], e["request_id"], e["detail"]) for e in events] == [
        ("drop_after_commit", "drop-1", "status 200 lost")
    ] * 2


SLOW_SECONDS = 2.0
"""The sandbox holds a slow answer this long AFTER doing the request, so a shorter read timeout always fires."""


@pytest.fixture
def slow(tmp_path: Path) -> Iterator[tuple[httpx.Client, Qbo]]:
    yield from served_client(tmp_path, FaultPlan(slow_rate=1.0, slow_seconds=SLOW_SECONDS))


def test_a_slow_answer_times_the_client_out_after_the_write_happened(slow: tuple[httpx.Client, Qbo]) -> None:
    client, qbo = slow
    client.timeout = httpx.Timeout(CEILING, read=SLOW_SECONDS / 4)  # only the write the test is about gives up
    with pytest.raises(httpx.ReadTimeout):
        qbo.post("Customer", {"DisplayName": "Late But Saved"}, requestid="slow-1")
    client.timeout = httpx.Timeout(CEILING)
    # The client gave up first; the sandbox still commits (on a loaded machine, a moment later).
    saved = wait_for(lambda: ledger(client, qbo.realm_id, "Customer"), "the late write in the sandbox's ledger")
    assert [c["DisplayName"] for c in saved] == ["Late But Saved"]
    assert report(client)["counts"]["slow"] == 1


@pytest.fixture
def dropping_then_revoked(tmp_path: Path) -> Iterator[tuple[httpx.Client, Qbo]]:
    yield from served_client(tmp_path, FaultPlan(drop_after_commit_rate=1.0, revoke_after=[1]))


def test_a_scheduled_revoke_happens_even_when_that_request_lost_its_answer(
    dropping_then_revoked: tuple[httpx.Client, Qbo],
) -> None:
    client, qbo = dropping_then_revoked
    with pytest.raises(httpx.RemoteProtocolError):
        qbo.post("Customer", {"DisplayName": "Last Write Before Revoke"})
    assert_fault(qbo.query("SELECT * FROM Customer"), 401, "3200", "AuthenticationFault")
    assert [e["kind"] for e in report(client)["events"]] == ["drop_after_commit", "revoke"]
