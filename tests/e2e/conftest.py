"""A whole stack for end-to-end tests: Service Opus data, the QBO sandbox, a connection, a mapping, Prefect."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import add_problem_records, connect_with_auto_consent
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.sandboxes.endpoints import qbo_sandbox_env
from ledger_sync.sandboxes.serve import serving
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One ephemeral Prefect server (and database) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@dataclass
class Stack:
    home: Path
    base_url: str
    settings: Settings
    store: StateStore
    company_id: int
    realm_id: str

    def ledger(self, entity: str) -> list[dict[str, object]]:
        """Everything of one entity in the sandbox ledger, read through its admin API."""
        body = httpx.get(f"{self.base_url}/_sandbox/realms/{self.realm_id}/{entity}", timeout=30).json()
        return body[entity] if isinstance(body, dict) else body

    def writes_since(self, request_id: int) -> list[dict[str, object]]:
        body = httpx.get(f"{self.base_url}/_sandbox/requests", params={"since": request_id}, timeout=30).json()
        entries = body["requests"] if isinstance(body, dict) else body
        return [e for e in entries if e["write"]]

    def last_request_id(self) -> int:
        body = httpx.get(f"{self.base_url}/_sandbox/requests", timeout=30).json()
        entries = body["requests"] if isinstance(body, dict) else body
        return max((e["id"] for e in entries), default=0)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    from ledger_sync.sandboxes.qbo.app import create_app
    from ledger_sync.sandboxes.qbo.config import QboSandboxConfig

    home = tmp_path_factory.mktemp("stack")
    engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
    seed(engine, invoices=150, seed=11)
    add_problem_records(engine, 1)
    engine.dispose()
    config = QboSandboxConfig(db_path=home / "qbo-sandbox.db", auto_consent=True)
    with serving(create_app(config)) as base_url, pytest.MonkeyPatch.context() as env:
        for key, value in {
            "LEDGER_SYNC_HOME": str(home),
            "LEDGER_SYNC_DEMO_MODE": "true",
            **qbo_sandbox_env(base_url),
        }.items():
            env.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        connect_with_auto_consent(settings, store, 1)
        apply_suggested_mapping(settings, store, 1, "qbo")
        connection = store.connection(1, "qbo")
        assert connection is not None
        yield Stack(home, base_url, settings, store, 1, connection.tenant_id)
        store.close()
