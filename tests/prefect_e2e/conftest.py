"""A real Prefect stack per test module: `prefect server start`, a process worker and the live sync
(`ledger-sync live`) as subprocesses, deployed from prefect.yaml, over seeded Service Opus data, the QBO sandbox,
a connection and a mapping.

Every process started here runs in its own process group and is stopped (then killed) at teardown,
whatever the tests did.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import pytest

from ledger_sync.sandboxes.serve import free_port
from ledger_sync.stack import BIN, Children, deploy_all, prefect_env, start_prefect_server, start_worker
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

COMPANY = 1


@dataclass
class PrefectStack:
    """The Prefect side: server, worker, and the environment every child gets."""

    api_url: str
    port: int
    env: dict[str, str]
    children: Children

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start_server(self) -> None:
        start_prefect_server(self.children, self.port, self.env)

    def stop_server(self) -> None:
        self.children.stop("prefect-server")


@dataclass
class Ledger:
    base_url: str
    realm_id: str

    def entities(self, entity: str) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.base_url}/_sandbox/realms/{self.realm_id}/{entity}", timeout=30).json()
        return body[entity] if isinstance(body, dict) else body

    def doc_numbers(self) -> set[str]:
        return {str(i["DocNumber"]) for i in self.entities("Invoice")}

    def last_request_id(self) -> int:
        body = httpx.get(f"{self.base_url}/_sandbox/requests", timeout=30).json()
        entries = body["requests"] if isinstance(body, dict) else body
        return max((e["id"] for e in entries), default=0)

    def writes_since(self, request_id: int) -> list[dict[str, Any]]:
        body = httpx.get(f"{self.base_url}/_sandbox/requests", params={"since": request_id}, timeout=30).json()
        entries = body["requests"] if isinstance(body, dict) else body
        return [e for e in entries if e["write"]]


def wait_for_run(flow_run_id: UUID) -> Any:
    """The flow run, once it reached a final state."""
    from prefect.client.orchestration import get_client

    def final() -> Any:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(flow_run_id)
        return run if run.state and run.state.is_final() else None

    return wait_for(final, f"flow run {flow_run_id} to finish", interval=0.5)


@pytest.fixture(scope="module")
def prefect_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectStack]:
    """A Prefect server on a free loopback port with its database in tmp; the client of this process uses it."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    home = tmp_path_factory.mktemp("prefect")
    port = free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    children = Children(home / "logs")
    env = {**_clean_environ(), **prefect_env(api_url, home / "prefect-home")}
    stack = PrefectStack(api_url, port, env, children)
    try:
        stack.start_server()
        with temporary_settings({PREFECT_API_URL: api_url}):
            yield stack
    finally:
        children.stop_all()


def _clean_environ() -> dict[str, str]:
    """This process's environment minus any Prefect test-harness settings another module may have set."""
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}


@dataclass
class Deployed:
    prefect: PrefectStack
    home: Path
    ledger: Ledger
    settings: Any
    store: Any
    env: dict[str, str]

    def deployment_id(self, name: str) -> UUID:
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            return client.read_deployment_by_name(name).id

    def run_deployment(self, name: str, parameters: dict[str, Any]) -> UUID:
        """Create a flow run with these parameters through the API, as the UI's form does."""
        from prefect.client.orchestration import get_client

        with get_client(sync_client=True) as client:
            return client.create_flow_run_from_deployment(self.deployment_id(name), parameters=parameters).id


@pytest.fixture(scope="module")
def live_options() -> list[str]:
    """The options of the module's `ledger-sync live` process (a module may override this fixture)."""
    return []


@pytest.fixture(scope="module")
def deployed(
    prefect_stack: PrefectStack, tmp_path_factory: pytest.TempPathFactory, live_options: list[str]
) -> Iterator[Deployed]:
    """Seeded source, QBO sandbox, connection with both automatic syncs on, deployments, a worker and the live
    sync process."""
    from ledger_sync.connectors.service_opus.seed import seed
    from ledger_sync.demo import add_problem_records, connect_with_auto_consent
    from ledger_sync.onboarding import apply_suggested_mapping
    from ledger_sync.sandboxes.endpoints import qbo_sandbox_env
    from ledger_sync.sandboxes.qbo.app import create_app
    from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
    from ledger_sync.sandboxes.serve import serving
    from ledger_sync.settings import Settings
    from ledger_sync.stack import prepare_prefect
    from ledger_sync.state.db import make_engine
    from ledger_sync.state.store import StateStore

    home = tmp_path_factory.mktemp("ledger-sync")
    engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
    seed(engine, invoices=120, seed=11)
    add_problem_records(engine, COMPANY)
    engine.dispose()
    config = QboSandboxConfig(db_path=home / "qbo-sandbox.db", auto_consent=True)
    with serving(create_app(config)) as base_url, pytest.MonkeyPatch.context() as patch:
        env = {"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true", **qbo_sandbox_env(base_url)}
        for key, value in env.items():
            patch.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, COMPANY)
            apply_suggested_mapping(settings, store, COMPANY, "qbo")
            connection = store.connection(COMPANY, "qbo")
            assert connection is not None
            store.set_auto_sync(connection.id, invoices=True, payments=True)
            prepare_prefect(settings)
            child_env = {**prefect_stack.env, **env, "PREFECT_WORKER_QUERY_SECONDS": "1"}
            deploy_all(child_env)
            start_worker(prefect_stack.children, settings.work_pool, child_env)
            prefect_stack.children.start("live-sync", [str(BIN / "ledger-sync"), "live", *live_options], child_env)
            yield Deployed(prefect_stack, home, Ledger(base_url, connection.tenant_id), settings, store, child_env)
        finally:
            store.close()
