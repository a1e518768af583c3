"""QboOAuth against a mocked Intuit token service: URLs, grants, expiries, rejections, revocation."""

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledger_sync.connectors.qbo import QboOAuth
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected
from ledger_sync.settings import Settings

from .conftest import make_config

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
TOKEN_BODY = {
    "token_type": "bearer",
    "access_token": "eyJ-ACCESS-SECRET",
    "refresh_token": "AB11-REFRESH-SECRET",
    "expires_in": 3600,
    "x_refresh_token_expires_in": 8726400,
}


class TokenService:
    def __init__(self, *responses: httpx.Response) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.responses.pop(0)


def oauth_with(*responses: httpx.Response) -> tuple[QboOAuth, TokenService]:
    service = TokenService(*responses)
    return QboOAuth(make_config(), transport=httpx.MockTransport(service), now=lambda: NOW), service


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_authorization_url_carries_the_oauth_parameters() -> None:
    oauth, _ = oauth_with()
    url = urlsplit(oauth.authorization_url("state-123"))
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://auth.test/connect/oauth2"
    assert {k: v[0] for k, v in parse_qs(url.query).items()} == {
        "response_type": "code",
        "client_id": "client-abc",
        "redirect_uri": "http://127.0.0.1:8000/callback",
        "scope": "com.intuit.quickbooks.accounting",
        "state": "state-123",
    }


def test_exchange_code_posts_the_grant_with_basic_auth_and_hard_expiry_header() -> None:
    oauth, service = oauth_with(httpx.Response(200, json={**TOKEN_BODY, "x_refresh_token_hard_expires_in": 157680000}))
    tokens = oauth.exchange_code("code-1")
    [request] = service.requests
    assert str(request.url) == "https://auth.test/oauth2/v1/tokens/bearer"
    assert form(request) == {
        "grant_type": "authorization_code",
        "code": "code-1",
        "redirect_uri": "http://127.0.0.1:8000/callback",
    }
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"client-abc:client-SECRET-xyz").decode()
    assert request.headers["x-include-refresh-token-hard-expires-in"] == "true"
    assert request.headers["Accept"] == "application/json"
    assert tokens.access_token == "eyJ-ACCESS-SECRET" and tokens.refresh_token == "AB11-REFRESH-SECRET"
    assert tokens.access_expires_at == NOW + timedelta(hours=1)
    assert tokens.refresh_expires_at == NOW + timedelta(seconds=8726400)


def test_refresh_expiry_is_the_earlier_of_rolling_and_hard() -> None:
    body = {**TOKEN_BODY, "refresh_token": "ROTATED", "x_refresh_token_hard_expires_in": 86400}
    oauth, service = oauth_with(httpx.Response(200, json=body))
    tokens = oauth.refresh("AB11-REFRESH-SECRET")
    assert form(service.requests[0]) == {"grant_type": "refresh_token", "refresh_token": "AB11-REFRESH-SECRET"}
    assert tokens.refresh_token == "ROTATED"
    assert tokens.refresh_expires_at == NOW + timedelta(days=1)


def test_refresh_without_a_new_refresh_token_keeps_the_old_one() -> None:
    body = {k: v for k, v in TOKEN_BODY.items() if k != "refresh_token"}
    oauth, _ = oauth_with(httpx.Response(200, json=body))
    assert oauth.refresh("KEEP-ME").refresh_token == "KEEP-ME"


@pytest.mark.parametrize("error", ["invalid_grant", "invalid_client"])
def test_rejected_grants_raise_auth_rejected_without_secrets(error: str) -> None:
    oauth, _ = oauth_with(httpx.Response(400, json={"error": error, "error_description": "x"}))
    with pytest.raises(AuthRejected) as caught:
        oauth.refresh("AB11-REFRESH-SECRET")
    assert error in str(caught.value)
    assert "SECRET" not in str(caught.value) and "SECRET" not in repr(caught.value)


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (httpx.Response(503, text="down"), ErrorKind.UNAVAILABLE),
        (httpx.Response(429, text="slow down"), ErrorKind.THROTTLED),
        (httpx.Response(400, json={"error": "invalid_request"}), ErrorKind.AUTH),
    ],
)
def test_other_token_endpoint_failures_are_ledger_errors(response: httpx.Response, kind: ErrorKind) -> None:
    oauth, _ = oauth_with(response)
    with pytest.raises(LedgerError) as caught:
        oauth.exchange_code("code-1")
    assert caught.value.kind is kind and "SECRET" not in str(caught.value)


def test_revoke_sends_intuits_json_body() -> None:
    oauth, service = oauth_with(httpx.Response(200))
    oauth.revoke("AB11-REFRESH-SECRET")
    [request] = service.requests
    assert str(request.url) == "https://auth.test/v2/oauth2/tokens/revoke"
    assert json.loads(request.content) == {"token": "AB11-REFRESH-SECRET"}
    assert request.headers["Authorization"].startswith("Basic ")


def test_revoke_refused_raises() -> None:
    oauth, _ = oauth_with(httpx.Response(400, json={"error": "invalid_client"}))
    with pytest.raises(AuthRejected):
        oauth.revoke("AB11-REFRESH-SECRET")


def test_reprs_hide_secrets() -> None:
    oauth, _ = oauth_with(httpx.Response(200, json=TOKEN_BODY))
    tokens = oauth.exchange_code("code-1")
    config = make_config()
    for text in (repr(oauth), repr(tokens), repr(config), str(config)):
        assert "SECRET" not in text


def test_config_from_settings() -> None:
    settings = Settings(qbo_api_base="http://127.0.0.1:9/", qbo_client_id="id", http_timeout_seconds=5)
    config = QboConfig.from_settings(settings)
    assert (config.api_base, config.client_id, config.minor_version, config.timeout_seconds) == (
        "http://127.0.0.1:9",
        "id",
        75,
        5,
    )
    assert config.token_url == "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
