"""OAuth as Intuit runs it: consent page, single-use codes, token lifetimes, rotation, revocation."""

import sqlite3
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig

from .helpers import (
    CLIENT,
    REDIRECT_URI,
    Qbo,
    assert_fault,
    authorize_params,
    consent,
    make_config,
    token_request,
)


def advance(client: TestClient, seconds: float) -> None:
    client.app.state.clock.advance(timedelta(seconds=seconds))  # type: ignore[attr-defined]


def refresh(client: TestClient, refresh_token: str) -> Any:
    return token_request(client, grant_type="refresh_token", refresh_token=refresh_token)


def test_consent_page_has_a_connect_button_that_redirects_with_code_state_and_realm(client: TestClient) -> None:
    page = client.get("/connect/oauth2", params=authorize_params(state="abc"))
    assert page.status_code == 200
    assert "Connect sandbox-client to" in page.text and "<button" in page.text and 'method="post"' in page.text
    response = client.post("/connect/oauth2", data=authorize_params(state="abc"))
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?code=") and "state=abc" in location
    assert "realmId=9341455130166501" in location


def test_auto_consent_redirects_at_once(tmp_path: Any) -> None:
    app = create_app(make_config(tmp_path / "auto.db", auto_consent=True))
    with TestClient(app, follow_redirects=False) as client:
        response = client.get("/connect/oauth2", params=authorize_params())
        assert response.status_code == 302 and "code=" in response.headers["location"]


def test_unknown_client_or_missing_parameters_get_a_400_page(client: TestClient) -> None:
    assert client.get("/connect/oauth2", params=authorize_params(client_id="stranger")).status_code == 400
    params = authorize_params()
    del params["redirect_uri"]
    response = client.get("/connect/oauth2", params=params)
    assert response.status_code == 400 and "redirect_uri" in response.text


def test_code_is_single_use_and_bound_to_its_redirect_uri(client: TestClient) -> None:
    code = consent(client)["code"]
    wrong = token_request(client, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1/other")
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    first = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert first.status_code == 200
    body = first.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8726400
    again = token_request(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})


def test_client_credentials_in_the_body_work_and_wrong_ones_are_invalid_client(client: TestClient) -> None:
    code = consent(client)["code"]
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    bad = client.post("/oauth2/v1/tokens/bearer", data={**form, "client_id": CLIENT[0], "client_secret": "nope"})
    assert (bad.status_code, bad.json()) == (401, {"error": "invalid_client"})
    good = client.post("/oauth2/v1/tokens/bearer", data={**form, "client_id": CLIENT[0], "client_secret": CLIENT[1]})
    assert good.status_code == 200


def test_expired_access_token_is_refused_with_authentication_fault(client: TestClient, qbo: Qbo) -> None:
    assert qbo.get("CompanyInfo", qbo.realm_id).status_code == 200
    advance(client, 3601)
    error = assert_fault(qbo.get("CompanyInfo", qbo.realm_id), 401, "3200", "AuthenticationFault")
    assert "expired" in error["Detail"]


def test_missing_or_foreign_bearer_token_is_refused(client: TestClient, qbo: Qbo) -> None:
    assert_fault(client.get(f"{qbo.base}/companyinfo/{qbo.realm_id}"), 401, "3200", "AuthenticationFault")
    other = client.get("/v3/company/123/companyinfo/123", headers=qbo.headers())
    assert_fault(other, 401, "3200", "AuthenticationFault")


def test_refresh_keeps_the_refresh_token_until_rotation_then_the_old_one_dies(
    client: TestClient, tokens: dict[str, Any]
) -> None:
    original = tokens["refresh_token"]
    early = refresh(client, original)
    assert early.status_code == 200 and early.json()["refresh_token"] == original
    assert early.json()["access_token"] != tokens["access_token"]
    advance(client, 86400 + 1)
    rotated = refresh(client, original)
    assert rotated.status_code == 200
    new_token = rotated.json()["refresh_token"]
    assert new_token != original
    assert (refresh(client, original).status_code, refresh(client, original).json()) == (
        400,
        {"error": "invalid_grant"},
    )
    assert refresh(client, new_token).status_code == 200


def test_refresh_token_unused_for_100_days_expires(client: TestClient, tokens: dict[str, Any]) -> None:
    advance(client, 8726400 + 1)
    assert refresh(client, tokens["refresh_token"]).json() == {"error": "invalid_grant"}


def test_hard_expiry_is_returned_when_asked(client: TestClient, tokens: dict[str, Any]) -> None:
    headers = {"x-include-refresh-token-hard-expires-in": "true"}
    response = token_request(client, headers, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert 5 * 365 * 86400 - 10 <= response.json()["x_refresh_token_hard_expires_in"] <= 5 * 365 * 86400
    assert "x_refresh_token_hard_expires_in" not in refresh(client, tokens["refresh_token"]).json()


def test_revoked_refresh_token_gets_invalid_grant_and_its_access_tokens_die(client: TestClient, qbo: Qbo) -> None:
    response = client.post("/v2/oauth2/tokens/revoke", json={"token": qbo.tokens["refresh_token"]}, auth=CLIENT)
    assert response.status_code == 200
    assert refresh(client, qbo.tokens["refresh_token"]).json() == {"error": "invalid_grant"}
    assert_fault(qbo.get("CompanyInfo", qbo.realm_id), 401, "3200", "AuthenticationFault")


def test_tokens_are_stored_hashed_and_never_logged(config: QboSandboxConfig, client: TestClient, qbo: Qbo) -> None:
    qbo.get("CompanyInfo", qbo.realm_id)
    log = client.get("/_sandbox/requests").text
    with sqlite3.connect(config.db_path) as db:
        dump = "\n".join(db.iterdump())
    for secret in (qbo.tokens["access_token"], qbo.tokens["refresh_token"]):
        assert secret not in dump and secret not in log
