"""A seeded Service Opus, a QBO sandbox and the settings app behind a logged-in TestClient."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.web.stack import WebStack, log_in, web_stack


@pytest.fixture
def sandbox_config() -> dict[str, object]:
    """QBO sandbox overrides; a test module can override this fixture."""
    return {"auto_consent": True}


@pytest.fixture
def stack(tmp_path: Path, sandbox_config: dict[str, object]) -> Iterator[WebStack]:
    with web_stack(tmp_path, **sandbox_config) as built:
        yield built


@pytest.fixture
def client(stack: WebStack) -> Iterator[TestClient]:
    """Signed in as the admin."""
    with TestClient(stack.app) as signed_in:
        log_in(signed_in)
        yield signed_in
