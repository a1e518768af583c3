"""Records every response the Xero sandbox gives during a test, for the contract checks."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Response]]:
    """Wraps `TestClient.request` so each response (with its request) lands in the yielded list."""
    seen: list[httpx.Response] = []
    original = TestClient.request

    def recording(self: TestClient, *args: Any, **kwargs: Any) -> httpx.Response:
        response = original(self, *args, **kwargs)
        seen.append(response)
        return response

    monkeypatch.setattr(TestClient, "request", recording)
    yield seen
