"""An outage's Retry-After (QBO 503) is capped like a throttle's: `1e9` stops the run at once instead of
sleeping for decades, `inf` falls back to our own backoff, a short one is obeyed."""

import httpx
import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError

CUSTOMER_OK = {"Customer": {"Id": "7", "SyncToken": "0", "DisplayName": "Acme Ltd"}, "time": "2026-01-01T00:00:00Z"}


def answers(*responses: httpx.Response):  # type: ignore[no-untyped-def]
    queue = list(responses)
    return lambda request: queue.pop(0)


def test_an_outage_asking_for_1e9_seconds_stops_the_run_without_sleeping(harness_for) -> None:
    harness = harness_for(answers(httpx.Response(503, headers={"Retry-After": "1e9"})), max_throttle_wait_seconds=900)
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert caught.value.kind is ErrorKind.UNAVAILABLE and caught.value.retry_after == 1e9
    assert "next run resumes" in caught.value.message
    assert harness.sleeps == [] and len(harness.requests) == 1


@pytest.mark.parametrize(("value", "slept"), [("inf", None), ("120", 120.0)])
def test_an_outage_retry_after_within_the_cap_is_obeyed(harness_for, value: str, slept: float | None) -> None:
    outage = httpx.Response(503, headers={"Retry-After": value})
    harness = harness_for(answers(outage, httpx.Response(200, json=CUSTOMER_OK)), max_throttle_wait_seconds=900)
    harness.connector.read("Customer", "7")
    assert len(harness.sleeps) == 1
    if slept is None:
        assert 0 < harness.sleeps[0] <= 30, "no usable Retry-After: our own backoff"
    else:
        assert harness.sleeps == [slept]
