"""Waiting on an event in a test: poll for the event itself, return the moment it happened, and give up only
after a ceiling generous enough for a shared 2-core machine with the other core busy."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CEILING = 240.0
"""Seconds before a wait calls the event missing: a bound on a hang, never a performance assertion (it stays
below pytest-timeout's 300 s per test, so the wait, not the timeout, names what never happened)."""
CEILING_MS = int(CEILING * 1000)
"""The same ceiling for Playwright, which counts in milliseconds (its own defaults are 5 s and 30 s)."""


def wait_for(condition: Callable[[], T], what: str, ceiling: float = CEILING, interval: float = 0.2) -> T:
    """The first truthy value of `condition()`; AssertionError naming `what` after `ceiling` seconds."""
    deadline = time.monotonic() + ceiling
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {ceiling:.0f} s")
        time.sleep(interval)
    return value
