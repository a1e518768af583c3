"""The live process validates the checks its runs set aside when it is idle (or once they waited too long), never
beside a run it could slow, and what is left when it stops."""

from ledger_sync.flows.live import DocsPublisher


def test_set_aside_checks_are_published_at_start_when_idle_at_the_latest_and_at_stop() -> None:
    published: list[int] = []
    docs = DocsPublisher(lambda: published.append(1), idle_seconds=3.0, at_latest_seconds=60.0)
    started = docs.tick(0.0, idle=True)
    assert started is not None, "at start: what a process that died left"
    started.result()
    assert docs.tick(1.0, idle=True) is None, "nothing waits"
    docs.run_ended(10.0)
    assert docs.tick(10.0, idle=False) is None
    assert docs.tick(12.9, idle=True) is None, "not idle long enough"
    started = docs.tick(13.0, idle=True)
    assert started is not None
    started.result()
    docs.run_ended(20.0)
    for now in range(20, 80):
        assert docs.tick(float(now), idle=False) is None, "a busy process still publishes at the latest"
    started = docs.tick(80.0, idle=False)
    assert started is not None
    started.result()
    docs.run_ended(81.0)
    docs.close()
    assert len(published) == 4
