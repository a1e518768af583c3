"""A company's burst of Service Opus events becomes one live sync; a company's events wait while its sync runs."""

import pytest

from ledger_sync.events.coalesce import Batch, Coalescer
from ledger_sync.events.emitter import INVOICE_LOCKED, INVOICE_VOIDED, PAYMENT_COLLECTED


def test_fifty_locks_of_a_company_make_one_batch_covering_all() -> None:
    gather = Coalescer(quiet_seconds=0.5, max_wait_seconds=2.0)
    for n in range(50):
        gather.add(7, INVOICE_LOCKED, now=n * 0.01)
        assert gather.due(now=n * 0.01) == []
    assert gather.due(now=0.49 + 0.4) == []  # not quiet long enough yet
    assert gather.due(now=0.49 + 0.5) == [Batch(7, frozenset({INVOICE_LOCKED}), 50)]
    assert gather.due(now=10.0) == []


def test_each_company_has_its_own_batch_of_distinct_events() -> None:
    gather = Coalescer(quiet_seconds=0.5, max_wait_seconds=2.0)
    gather.add(1, INVOICE_LOCKED, now=0.0)
    gather.add(2, PAYMENT_COLLECTED, now=0.0)
    gather.add(1, INVOICE_VOIDED, now=0.1)
    gather.add(1, INVOICE_LOCKED, now=0.2)
    batches = sorted(gather.due(now=1.0), key=lambda b: b.company_id)
    assert batches == [
        Batch(1, frozenset({INVOICE_LOCKED, INVOICE_VOIDED}), 3),
        Batch(2, frozenset({PAYMENT_COLLECTED}), 1),
    ]


def test_a_steady_stream_still_goes_after_the_longest_wait() -> None:
    gather = Coalescer(quiet_seconds=0.5, max_wait_seconds=2.0)
    now = 0.0
    while not (batches := gather.due(now)):
        gather.add(3, INVOICE_LOCKED, now)
        now += 0.25
        assert now <= 2.25, "the stream kept the company waiting past its longest wait"
    assert [b.count for b in batches] == [8]
    assert gather.next_due_in(now) is None


def test_events_during_a_running_sync_wait_for_it_then_go_together() -> None:
    gather = Coalescer(quiet_seconds=0.5, max_wait_seconds=2.0)
    gather.add(4, INVOICE_LOCKED, now=0.0)
    assert [b.count for b in gather.due(now=1.0)] == [1]
    for n in range(5):
        gather.add(4, INVOICE_LOCKED, now=1.1 + n * 0.1)
    assert gather.due(now=30.0) == []  # the company's sync is still running
    assert gather.next_due_in(now=30.0) is None
    assert not gather.idle
    gather.finished(4)
    assert gather.next_due_in(now=30.0) == 0.0
    assert [b.count for b in gather.due(now=30.0)] == [5]
    gather.finished(4)
    assert gather.idle


def test_next_due_in_says_when_the_earliest_company_may_go() -> None:
    gather = Coalescer(quiet_seconds=0.5, max_wait_seconds=2.0)
    assert gather.next_due_in(now=0.0) is None
    gather.add(1, INVOICE_LOCKED, now=0.0)
    gather.add(2, INVOICE_LOCKED, now=0.3)
    assert gather.next_due_in(now=0.3) == pytest.approx(0.2)


def test_a_quiet_moment_longer_than_the_longest_wait_is_refused() -> None:
    with pytest.raises(ValueError, match="quiet moment"):
        Coalescer(quiet_seconds=3.0, max_wait_seconds=2.0)
