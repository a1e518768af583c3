"""Xero's OAuth 2 with PKCE: consent URL, code exchange, tenants, single-use refresh, revocation."""

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ledger_sync.connectors.xero import XeroOAuth
from ledger_sync.core.ledger import ErrorKind, LedgerError
from ledger_sync.core.tokens import AuthRejected

from .conftest import make_config

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
VERIFIER = "v" * 64
TOKENS = {"access_token": "at-SECRET", "refresh_token": "rt-SECRET-2", "expires_in": 1800, "token_type": "Bearer"}


def oauth(handler, seen: list[httpx.Request] | None = None) -> XeroOAuth:
    def recording(request: httpx.Request) -> httpx.Response:
        request.read()
        if seen is not None:
            seen.append(request)
        return handler(request)

    return XeroOAuth(make_config(), transport=httpx.MockTransport(recording), now=lambda: NOW)


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


def test_the_consent_url_carries_an_s256_challenge_of_the_verifier() -> None:
    url = oauth(lambda r: httpx.Response(500)).authorization_url("state-1", VERIFIER)
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).rstrip(b"=").decode()
    assert url.startswith("https://login.xero.test/identity/connect/authorize?")
    assert query["code_challenge"] == challenge and query["code_challenge_method"] == "S256"
    assert query["state"] == "state-1" and query["response_type"] == "code"
    assert query["scope"] == "offline_access accounting.contacts accounting.settings accounting.transactions"
    assert VERIFIER not in url


def test_the_code_is_exchanged_with_its_verifier_and_expiries_are_absolute() -> None:
    seen: list[httpx.Request] = []
    tokens = oauth(lambda r: httpx.Response(200, json=TOKENS), seen).exchange_code("code-1", VERIFIER)
    sent = form(seen[0])
    assert (sent["grant_type"], sent["code"], sent["code_verifier"]) == ("authorization_code", "code-1", VERIFIER)
    assert seen[0].headers["Authorization"].startswith("Basic ")
    assert tokens.access_expires_at == NOW + timedelta(minutes=30)
    assert tokens.refresh_expires_at == NOW + timedelta(days=60)
    assert "SECRET" not in repr(tokens)


def test_a_refresh_returns_the_new_single_use_refresh_token() -> None:
    seen: list[httpx.Request] = []
    tokens = oauth(lambda r: httpx.Response(200, json=TOKENS), seen).refresh("rt-SECRET-1")
    assert form(seen[0])["refresh_token"] == "rt-SECRET-1" and tokens.refresh_token == "rt-SECRET-2"


def test_a_refused_grant_means_reconnect_and_an_outage_is_retryable_without_secrets() -> None:
    with pytest.raises(AuthRejected) as refused:
        oauth(lambda r: httpx.Response(400, json={"error": "invalid_grant"})).refresh("rt-SECRET-1")
    assert "SECRET" not in str(refused.value)
    with pytest.raises(LedgerError) as outage:
        oauth(lambda r: httpx.Response(503, text="down")).refresh("rt-SECRET-1")
    assert outage.value.kind is ErrorKind.UNAVAILABLE and "SECRET" not in str(outage.value)


def test_tenants_are_the_organisations_in_connections() -> None:
    connections = [
        {"id": "c1", "tenantId": "t-1", "tenantType": "ORGANISATION", "tenantName": "Maple Field Services"},
        {"id": "c2", "tenantId": "p-1", "tenantType": "PRACTICEMANAGER", "tenantName": "Practice"},
    ]
    seen: list[httpx.Request] = []
    tenants = oauth(lambda r: httpx.Response(200, json=connections), seen).tenants("at-SECRET")
    assert tenants == [("t-1", "Maple Field Services")]
    assert seen[0].headers["Authorization"] == "Bearer at-SECRET"
    with pytest.raises(LedgerError) as expired:
        oauth(lambda r: httpx.Response(401)).tenants("at-SECRET")
    assert expired.value.kind is ErrorKind.AUTH


def test_revocation_posts_the_refresh_token() -> None:
    seen: list[httpx.Request] = []
    oauth(lambda r: httpx.Response(200), seen).revoke("rt-SECRET-1")
    assert seen[0].url.path == "/connect/revocation"
    assert form(seen[0])["token"] == "rt-SECRET-1" and form(seen[0])["token_type_hint"] == "refresh_token"
