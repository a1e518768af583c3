"""Client-side pacing: never more than the limit in any window, and never a negative wait."""

from ledger_sync.connectors.pacing import Pacer, RateLimit, shared_pacer


class TickingClock:
    """A clock that moves on by `tick` seconds every time it is read, as real time does between two reads."""

    def __init__(self, tick: float) -> None:
        self.now = 0.0
        self.tick = tick
        self.slept: list[float] = []

    def monotonic(self) -> float:
        self.now += self.tick
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")  # as time.sleep does
        self.slept.append(seconds)
        self.now += seconds


def test_a_full_window_waits_for_its_oldest_call_and_never_a_negative_time() -> None:
    """Time passing between the pacer's reads of the clock (a loaded machine) must not make the wait negative."""
    clock = TickingClock(tick=0.03)
    pacer = Pacer(RateLimit(calls=2, seconds=0.1), clock.monotonic, clock.sleep)
    for _ in range(50):
        pacer.wait_turn()
        pacer.done()
    assert clock.slept and all(seconds >= 0 for seconds in clock.slept)


def test_no_window_holds_more_calls_than_the_limit() -> None:
    clock = TickingClock(tick=0.001)
    pacer = Pacer(RateLimit(calls=3, seconds=1.0), clock.monotonic, clock.sleep)
    done: list[float] = []
    for _ in range(20):
        pacer.wait_turn()
        done.append(clock.monotonic())
        pacer.done()
    assert all(later - earlier >= 1.0 for earlier, later in zip(done, done[3:], strict=False))


def test_clients_of_one_company_on_one_clock_share_a_pacer() -> None:
    clock, other_clock = TickingClock(tick=0.001), TickingClock(tick=0.001)
    limit = RateLimit(calls=1, seconds=1.0)
    pacer = shared_pacer(("https://api.test", "realm-1"), limit, clock.monotonic, clock.sleep)
    assert shared_pacer(("https://api.test", "realm-1"), limit, clock.monotonic, clock.sleep) is pacer
    assert shared_pacer(("https://api.test", "realm-2"), limit, clock.monotonic, clock.sleep) is not pacer
    assert shared_pacer(("https://api.test", "realm-1"), limit, other_clock.monotonic, other_clock.sleep) is not pacer
