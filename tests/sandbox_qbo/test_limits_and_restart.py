"""Throttling on the scaled clock, and a sandbox that keeps its ledger, tokens and replays across restarts."""

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.qbo.throttle import Throttle

from .helpers import REDIRECT_URI, Qbo, assert_fault, consent, make_config, token_request


def connected(client: TestClient) -> Qbo:
    redirect = consent(client)
    response = token_request(client, grant_type="authorization_code", code=redirect["code"], redirect_uri=REDIRECT_URI)
    return Qbo(client, redirect["realmId"], response.json())


def test_over_ten_requests_a_second_is_429_3001_until_the_window_passes(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path / "qbo.db", per_second=10))
    with TestClient(app, follow_redirects=False) as client:
        qbo = connected(client)
        for _ in range(10):
            assert qbo.get("CompanyInfo", qbo.realm_id).status_code == 200
        refused = qbo.get("CompanyInfo", qbo.realm_id)
        error = assert_fault(refused, 429, "3001", "ThrottleExceeded")
        assert "ThrottleExceeded" in error["Message"] and "retry-after" not in refused.headers
        app.state.clock.advance(timedelta(seconds=1.5))
        assert qbo.get("CompanyInfo", qbo.realm_id).status_code == 200


def test_batch_calls_have_their_own_per_minute_limit(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path / "qbo.db", batch_per_minute=2))
    with TestClient(app, follow_redirects=False) as client:
        qbo = connected(client)
        item = [{"bId": "1", "Query": "SELECT COUNT(*) FROM Customer"}]
        assert [qbo.batch(item).status_code for _ in range(2)] == [200, 200]
        assert_fault(qbo.batch(item), 429, "3001", "ThrottleExceeded")
        assert qbo.query("SELECT COUNT(*) FROM Customer").status_code == 200
        app.state.clock.advance(timedelta(seconds=61))
        assert qbo.batch(item).status_code == 200


def test_qbo_limits_40_batch_calls_a_minute_per_realm_without_a_retry_after(tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path / "qbo.db", batch_per_minute=QboSandboxConfig().batch_per_minute))
    with TestClient(app, follow_redirects=False) as client:
        qbo = connected(client)
        item = [{"bId": "1", "Query": "SELECT COUNT(*) FROM Customer"}]
        assert {qbo.batch(item).status_code for _ in range(40)} == {200}
        refused = qbo.batch(item)
        assert_fault(refused, 429, "3001", "ThrottleExceeded")
        assert "retry-after" not in refused.headers, "QBO sends no Retry-After: the client waits its minute"
        app.state.clock.advance(timedelta(seconds=60))
        assert qbo.batch(item).status_code == 200


def test_ledger_tokens_and_replays_survive_a_restart(tmp_path: Path) -> None:
    config = make_config(tmp_path / "qbo.db")
    with TestClient(create_app(config), follow_redirects=False) as client:
        qbo = connected(client)
        first = qbo.post("Customer", {"DisplayName": "Persistent Co"}, requestid="persist-1")
        assert first.status_code == 200
    with TestClient(create_app(config), follow_redirects=False) as client:
        qbo = Qbo(client, qbo.realm_id, qbo.tokens)
        assert [c["DisplayName"] for c in qbo.rows("SELECT * FROM Customer")] == ["Persistent Co"]
        again = qbo.post("Customer", {"DisplayName": "Persistent Co"}, requestid="persist-1")
        assert again.content == first.content
        refreshed = token_request(client, grant_type="refresh_token", refresh_token=qbo.tokens["refresh_token"])
        assert refreshed.status_code == 200
        assert len(client.get(f"/_sandbox/realms/{qbo.realm_id}/Account").json()) == 20


def test_more_requests_in_flight_than_allowed_are_throttled() -> None:
    throttle = Throttle(QboSandboxConfig(concurrent=2), ScaledClock())
    with throttle.admit("realm", batch=False), throttle.admit("realm", batch=False):
        with pytest.raises(faults.QboFault) as refused, throttle.admit("realm", batch=False):
            pass
        assert (refused.value.status, refused.value.error.code) == (429, "3001")
        with throttle.admit("another-realm", batch=False):
            pass
    with throttle.admit("realm", batch=False):
        pass
