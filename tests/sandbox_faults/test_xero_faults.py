"""Each fault as the Xero sandbox injects it: Xero's 429 headers, a revoked grant, an edited contact, a lost answer."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.faults import FaultPlan
from ledger_sync.sandboxes.serve import serving
from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.sandboxes.xero.fault_hooks import EDITED_WEBSITE
from tests.sandbox_xero.helpers import API, Session, connect, create_contact, sandbox, token_request
from tests.waiting import CEILING


@pytest.fixture
def xero(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[TestClient, Session]]:
    with sandbox(tmp_path / "x.db", faults=request.param) as client:
        yield client, connect(client)


def report(client: httpx.Client) -> dict[str, Any]:
    return client.get("/_sandbox/faults").json()


@pytest.mark.parametrize("xero", [FaultPlan(throttle_rate=1.0, retry_after_seconds=3)], indirect=True)
def test_throttling_names_the_problem_and_when_to_retry(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    refused = client.get(f"{API}/Contacts", headers=session.headers())
    assert refused.status_code == 429 and refused.json()["Status"] == 429
    assert (refused.headers["Retry-After"], refused.headers["X-Rate-Limit-Problem"]) == ("3", "minute")
    assert client.get("/_sandbox/tenants").status_code == 200, "admin routes are not faulted"
    assert report(client)["counts"]["throttle"] == 1


@pytest.mark.parametrize("xero", [FaultPlan(server_error_rate=1.0)], indirect=True)
def test_a_server_error_creates_nothing(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    statuses = {
        client.put(f"{API}/Contacts", headers=session.headers(), json={"Contacts": [{"Name": f"N{n}"}]}).status_code
        for n in range(6)
    }
    assert statuses == {500, 503}
    assert report(client)["counts"]["server_error"] == 6
    assert client.get(f"/_sandbox/tenants/{session.tenant_id}/Contacts").json() == {"Contacts": []}


@pytest.mark.parametrize("xero", [FaultPlan(revoke_after=[1])], indirect=True)
def test_a_revoked_grant_disconnects_the_tenant_and_refuses_the_refresh(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    assert client.get(f"{API}/Contacts", headers=session.headers()).status_code == 200
    assert client.get(f"{API}/Contacts", headers=session.headers()).status_code == 401
    refresh = token_request(client, grant_type="refresh_token", refresh_token=session.refresh_token)
    assert (refresh.status_code, refresh.json()) == (400, {"error": "invalid_grant"})
    assert report(client)["counts"]["revoke"] == 1


@pytest.mark.parametrize("xero", [FaultPlan(touch_after_writes=[1])], indirect=True)
def test_a_contact_is_edited_behind_the_clients_back(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    created = create_contact(client, session, "Harbour Dental")
    assert created.get("Website") is None
    [now] = client.get(f"{API}/Contacts/{created['ContactID']}", headers=session.headers()).json()["Contacts"]
    assert now["Website"] == EDITED_WEBSITE
    assert report(client)["events"][0]["detail"] == f"Contact {created['ContactID']} website edited"


def test_a_dropped_put_was_committed_and_an_idempotent_retry_does_not_create_twice(tmp_path: Path) -> None:
    config = XeroSandboxConfig(db_path=tmp_path / "x.db", faults=FaultPlan(drop_after_commit_rate=1.0))
    with serving(create_app(config)) as base_url, httpx.Client(base_url=base_url, timeout=CEILING) as client:
        session = connect(client)  # type: ignore[arg-type]
        headers = session.headers(**{"Idempotency-Key": "contact-1"})
        body = {"Contacts": [{"Name": "Committed Then Lost"}]}
        for _ in range(2):
            with pytest.raises(httpx.RemoteProtocolError):
                client.put(f"{API}/Contacts", headers=headers, json=body)
        contacts = client.get(f"/_sandbox/tenants/{session.tenant_id}/Contacts").json()["Contacts"]
        assert [c["Name"] for c in contacts] == ["Committed Then Lost"]
        assert [e["request_id"] for e in report(client)["events"]] == ["contact-1", "contact-1"]


def test_the_admin_listing_names_unknown_collections(tmp_path: Path) -> None:
    with sandbox(tmp_path / "x.db") as client:
        assert client.get("/_sandbox/tenants/any/Nothing").status_code == 404
