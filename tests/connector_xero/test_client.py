"""The Xero HTTP client: one refresh on 401, Retry-After on 429, the day limit raised at once, pacing on
X-MinLimit-Remaining, backoff on outages, and never more than the tenant's concurrent calls."""

import threading

import httpx
import pytest

from ledger_sync.connectors.xero.client import XeroClient
from ledger_sync.core.ledger import ErrorKind, LedgerError
from tests.connector_support import ACCESS_TOKEN, REFRESHED_TOKEN, FakeTokens

from .conftest import TENANT, make_config, xero_answer


def ok(**headers: str) -> httpx.Response:
    return xero_answer("Contacts", [], **headers)


def test_a_401_refreshes_once_and_a_second_401_is_an_auth_error(harness_for) -> None:
    answers = iter([httpx.Response(401), ok(), httpx.Response(401), httpx.Response(401)])
    harness = harness_for(lambda request: next(answers))
    client = harness.connector._client
    assert client.get("Contacts") and harness.tokens.rejected == [ACCESS_TOKEN]
    assert harness.requests[1].headers["Authorization"] == f"Bearer {REFRESHED_TOKEN}"
    with pytest.raises(LedgerError) as refused:
        client.get("Contacts")
    assert refused.value.kind is ErrorKind.AUTH and REFRESHED_TOKEN not in str(refused.value)


def test_a_minute_429_waits_retry_after_and_resends_the_same_idempotency_key(harness_for) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "3", "X-Rate-Limit-Problem": "minute"})
    answers = iter([limited, ok()])
    harness = harness_for(lambda request: next(answers))
    harness.connector._client.write("PUT", "Contacts", {"Contacts": []}, {"summarizeErrors": "false"}, "key-1")
    assert harness.sleeps == [3.0]
    assert [r.headers["Idempotency-Key"] for r in harness.requests] == ["key-1", "key-1"]


def test_the_day_limit_is_raised_at_once_with_its_retry_after(harness_for) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "40000", "X-Rate-Limit-Problem": "day"})
    harness = harness_for(lambda request: limited)
    with pytest.raises(LedgerError) as error:
        harness.connector._client.get("Contacts")
    assert (error.value.kind, error.value.code, error.value.retry_after) == (ErrorKind.THROTTLED, "day", 40000.0)
    assert len(harness.requests) == 1 and harness.sleeps == []


def test_outages_are_retried_with_capped_backoff_then_reported(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(503), max_attempts=4, backoff_max_seconds=2)
    with pytest.raises(LedgerError) as error:
        harness.connector._client.get("Contacts")
    assert error.value.kind is ErrorKind.UNAVAILABLE and len(harness.requests) == 4
    assert len(harness.sleeps) == 3 and all(0 < s <= 2 for s in harness.sleeps)


def test_a_validation_exception_names_each_elements_errors(harness_for) -> None:
    body = {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": [{"ValidationErrors": [{"Message": "Invoice # must be unique."}]}],
    }
    harness = harness_for(lambda request: httpx.Response(400, json=body))
    with pytest.raises(LedgerError) as error:
        harness.connector._client.get("Invoices")
    assert error.value.kind is ErrorKind.VALIDATION and "Invoice # must be unique." in error.value.message


def test_with_no_call_left_in_the_minute_the_client_waits_for_the_window() -> None:
    clock = [100.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    remaining = iter(["2", "0", "59"])
    transport = httpx.MockTransport(lambda request: ok(**{"X-MinLimit-Remaining": next(remaining)}))
    with httpx.Client(transport=transport) as http:
        client = XeroClient(make_config(), TENANT, FakeTokens(), http=http, sleep=sleep, monotonic=lambda: clock[0])
        client.get("Contacts")
        clock[0] += 5
        client.get("Contacts")
        assert sleeps == []
        client.get("Contacts")
    assert sleeps == [55.0]


def test_no_more_than_the_tenants_concurrent_calls_are_in_flight() -> None:
    lock, inflight, peak = threading.Lock(), [0], [0]
    release = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            inflight[0] += 1
            peak[0] = max(peak[0], inflight[0])
        release.wait(0.05)
        with lock:
            inflight[0] -= 1
        return ok()

    config = make_config(max_concurrent=2, api_base="https://concurrency.test/api.xro/2.0")
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        clients = [XeroClient(config, TENANT, FakeTokens(), http=http) for _ in range(5)]
        threads = [threading.Thread(target=client.get, args=("Contacts",)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert peak[0] == 2
