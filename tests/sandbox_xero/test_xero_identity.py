"""OAuth 2 against the Xero sandbox: PKCE, single-use refresh tokens with a grace period, connections."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .helpers import (
    API,
    REDIRECT_URI,
    authorize_params,
    connect,
    consent,
    pkce,
    sandbox,
    token_request,
)


def test_pkce_code_exchange_refuses_a_wrong_verifier_and_accepts_the_right_one(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    verifier, challenge = pkce()
    redirect = consent(client, challenge)
    assert redirect["state"] == ["st-1"] and "accounting.contacts" in redirect["scope"][0]
    code = redirect["code"][0]
    wrong = token_request(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier="nope" * 12
    )
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    right = client.post(  # client id in the body, no secret: a PKCE public client
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
            "client_id": "sandbox-client",
        },
    )
    tokens = right.json()
    assert right.status_code == 200, tokens
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800
    assert tokens["access_token"].count(".") == 2 and tokens["refresh_token"] and tokens["id_token"]
    replay = token_request(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier
    )
    assert replay.json() == {"error": "invalid_grant"}


def test_bad_client_credentials_are_refused(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    answer = client.post(
        "/connect/token", data={"grant_type": "refresh_token", "refresh_token": "x"}, auth=("sandbox-client", "bad")
    )
    assert answer.status_code == 400 and answer.json() == {"error": "invalid_client"}


def test_refresh_is_single_use_with_a_grace_period_that_replays_the_same_pair(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    first = token_request(client, grant_type="refresh_token", refresh_token=session.refresh_token).json()
    assert first["refresh_token"] != session.refresh_token
    client.post("/_sandbox/clock/advance", json={"seconds": 600})
    replay = token_request(client, grant_type="refresh_token", refresh_token=session.refresh_token).json()
    assert (replay["access_token"], replay["refresh_token"]) == (first["access_token"], first["refresh_token"])
    client.post("/_sandbox/clock/advance", json={"seconds": 1300})
    late = token_request(client, grant_type="refresh_token", refresh_token=session.refresh_token)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    rotated = token_request(client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert rotated.status_code == 200 and rotated.json()["refresh_token"] != first["refresh_token"]


def test_refresh_token_unused_for_sixty_days_expires(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    client.post("/_sandbox/clock/advance", json={"seconds": 59 * 86400})
    fresh = token_request(client, grant_type="refresh_token", refresh_token=session.refresh_token).json()
    client.post("/_sandbox/clock/advance", json={"seconds": 60 * 86400 + 1})
    expired = token_request(client, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert expired.json() == {"error": "invalid_grant"}


def test_expired_access_token_and_missing_tenant_get_xero_auth_errors(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    no_tenant = client.get(f"{API}/Accounts", headers={"Authorization": f"Bearer {session.access_token}"})
    assert no_tenant.status_code == 403 and no_tenant.json()["Detail"] == "AuthenticationUnsuccessful"
    assert client.get(f"{API}/Accounts", headers={"xero-tenant-id": session.tenant_id}).status_code == 401
    client.post("/_sandbox/clock/advance", json={"seconds": 1801})
    expired = client.get(f"{API}/Accounts", headers=session.headers())
    assert expired.status_code == 401 and expired.json()["Detail"].startswith("TokenExpired")


def test_connections_list_delete_and_revocation(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db", tenants=2)
    orgs = client.get("/_sandbox/tenants").json()["tenants"]
    verifier, challenge = pkce()
    assert (
        "Choose the organisations" in client.get("/identity/connect/authorize", params=authorize_params(challenge)).text
    )
    code = consent(client, challenge, tenants=[orgs[1]["id"]])["code"][0]
    tokens = token_request(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier
    ).json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    listed = client.get("/connections", headers=bearer).json()
    assert [c["tenantId"] for c in listed] == [orgs[1]["id"]]
    assert set(listed[0]) == {
        "id",
        "authEventId",
        "tenantId",
        "tenantType",
        "tenantName",
        "createdDateUtc",
        "updatedDateUtc",
    }
    assert listed[0]["tenantType"] == "ORGANISATION"
    assert client.get(f"{API}/Accounts", headers={**bearer, "xero-tenant-id": orgs[0]["id"]}).status_code == 403
    assert client.delete(f"/connections/{listed[0]['id']}", headers=bearer).status_code == 204
    assert client.get("/connections", headers=bearer).json() == []
    revoked = client.post(
        "/connect/revocation", data={"token": tokens["refresh_token"]}, auth=("sandbox-client", "sandbox-secret")
    )
    assert revoked.status_code == 200
    assert token_request(client, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json() == {
        "error": "invalid_grant"
    }
    assert client.get("/connections", headers=bearer).status_code == 401


def test_auto_consent_redirects_straight_back_with_code_state_and_scope(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db", auto_consent=True)
    _, challenge = pkce()
    answer = client.get("/identity/connect/authorize", params=authorize_params(challenge, "s2"), follow_redirects=False)
    assert answer.status_code == 302
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == ["s2"] and query["code"] and query["scope"]


def test_request_log_never_holds_tokens(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    client.get(f"{API}/Contacts", headers=session.headers(), params={"where": 'Name=="A"'})
    entries = client.get("/_sandbox/requests").json()["requests"]
    assert {"id", "method", "path", "query", "status", "write"} <= set(entries[0])
    text = str(entries)
    assert session.access_token not in text and session.refresh_token not in text
    assert any(entry["path"] == "/connect/token" and entry["write"] for entry in entries)
