"""A fresh sandbox per test (tmp SQLite file) and a connected client that went through the OAuth dance."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig

from .helpers import REDIRECT_URI, Qbo, consent, make_config, token_request


@pytest.fixture
def config(tmp_path: Path, request: pytest.FixtureRequest) -> QboSandboxConfig:
    """Overrides come from an indirect parameter, when a test gives one."""
    return make_config(tmp_path / "qbo-sandbox.db", **getattr(request, "param", {}))


@pytest.fixture
def client(config: QboSandboxConfig) -> Iterator[TestClient]:
    with TestClient(create_app(config), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def tokens(client: TestClient) -> dict[str, Any]:
    redirect = consent(client)
    response = token_request(client, grant_type="authorization_code", code=redirect["code"], redirect_uri=REDIRECT_URI)
    assert response.status_code == 200, response.text
    return {**response.json(), "realm_id": redirect["realmId"]}


@pytest.fixture
def qbo(client: TestClient, tokens: dict[str, Any]) -> Qbo:
    return Qbo(client, tokens["realm_id"], tokens)
