"""Xero's Retry-After is obeyed only within what a run waits (15 minutes): `1e9` never sleeps for
decades and `inf` never raises."""

import httpx
import pytest

from ledger_sync.core.ledger import LedgerError


def test_a_retry_after_of_1e9_stops_the_run_without_sleeping(harness_for) -> None:
    answer = httpx.Response(429, headers={"Retry-After": "1e9", "X-Rate-Limit-Problem": "minute"})
    harness = harness_for(lambda request: answer, max_throttle_wait_seconds=900)
    with pytest.raises(LedgerError) as error:
        harness.connector._client.get("Contacts")
    assert error.value.retry_after == 1e9 and "next run resumes" in error.value.message
    assert harness.sleeps == [] and len(harness.requests) == 1


def test_an_infinite_retry_after_is_our_own_short_backoff(harness_for) -> None:
    limited = httpx.Response(429, headers={"Retry-After": "inf", "X-Rate-Limit-Problem": "minute"})
    answers = iter([limited, httpx.Response(200, json={})])
    harness = harness_for(lambda request: next(answers), backoff_base_seconds=2, backoff_max_seconds=4)
    harness.connector._client.get("Contacts")
    assert len(harness.sleeps) == 1 and 0 < harness.sleeps[0] <= 4
