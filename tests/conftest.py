"""Fixtures shared by the whole suite: state stores on SQLite and, where the machine runs it, PostgreSQL."""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa

from tests.scheduling import WorkerShares
from tests.waiting import CEILING, CEILING_MS

if TYPE_CHECKING:
    from playwright.sync_api import Browser

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SLOW_FOLDERS = {"e2e", "corpus", "conformance", "prefect_e2e", "browser"}
"""Folders under tests/ whose tests sync whole companies or start servers: every test in them is `slow`."""
E2E_FOLDERS = {"e2e", "corpus", "prefect_e2e"}
"""Folders whose tests run the real sync flow end to end on a Prefect server (an ephemeral one, or a real server
and worker in `prefect_e2e`): every test in them is `e2e`, which `make check` leaves to `make test`."""


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(WorkerShares(), "worker-shares")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark by folder, so a new test in a slow or end-to-end folder cannot escape `-m "not slow"` / `"not e2e"`."""
    tests = Path(__file__).parent
    for item in items:
        folder = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else None
        if folder in SLOW_FOLDERS:
            item.add_marker(pytest.mark.slow)
        if folder in E2E_FOLDERS:
            item.add_marker(pytest.mark.e2e)


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as exc:
        return f"PostgreSQL is not reachable at 127.0.0.1:5432 ({exc.orig.__class__.__name__})"
    return None


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A URL into a fresh, private PostgreSQL schema, dropped afterwards."""
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Each state-store test runs on SQLite and on PostgreSQL (skipped where there is none)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('state') / 'state.db'}"
    base = request.getfixturevalue("postgres_schema_url")
    engine = sa.create_engine(base)
    existing = sa.MetaData()
    existing.reflect(engine)
    existing.drop_all(engine)  # a clean schema per test
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()
    return base


os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One ephemeral Prefect server (and database) for the whole session, for tests that run flows in-process."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=int(CEILING)):  # the server starts slowly on a busy machine
        yield


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator["Browser"]:
    """Headless Debian Chromium driven by Playwright (its own browser download cannot work here)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: `apt-get install chromium` (make test does it as root)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=CEILING_MS)  # an `expect` waits for its event; each test sets its pages' ceiling too
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Screenshots of browser tests land under the test output folder."""
    folder = Path("test-output/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder
