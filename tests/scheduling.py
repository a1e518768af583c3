"""The order `make test` hands tests to its two pytest-xdist workers, so neither sits idle while the other runs
the long ones.

`--dist worksteal` first gives each worker an equal share of the collection, in collection order, then lets an idle
worker take half of another's remaining queue. Collection order alone would put both chaos runs (minutes each) in
one share, and every Prefect-server test in the other. So the long tests are dealt out first, longest first, each to
the share with less estimated work so far, at the front of its share; the short tests then fill the shares to equal
counts in their usual order, and stealing evens out what the estimate got wrong. A module's tests stay together
(its module fixtures are set up once), but for the chaos runs (`-m chaos`), each as long as a module.
"""

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

CHAOS_SECONDS = 450.0
"""A rough estimate of one chaos run (`-m chaos`), measured."""
SECONDS_PER_TEST = {"prefect_e2e": 35.0, "corpus": 20.0, "browser": 8.0, "web": 7.0, "e2e": 4.0}
"""A rough estimate of one test's duration by its folder under tests/ (measured means); any other counts as 1 s."""


def _folder(item: pytest.Item, tests: Path) -> str | None:
    return item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else None


def _units(items: Iterable[pytest.Item], tests: Path) -> list[list[pytest.Item]]:
    """Consecutive tests of one module form a unit; a chaos run is a unit of its own."""
    units: list[list[pytest.Item]] = []
    for item in items:
        if units and units[-1][-1].path == item.path and not item.get_closest_marker("chaos"):
            units[-1].append(item)
        else:
            units.append([item])
    return units


def dealt(items: list[pytest.Item], workers: int, tests: Path) -> list[pytest.Item]:
    """The tests in the order that gives each of `workers` equal shares of tests with the long ones spread."""

    def seconds(item: pytest.Item) -> float:
        if item.get_closest_marker("chaos"):
            return CHAOS_SECONDS
        return SECONDS_PER_TEST.get(_folder(item, tests) or "", 1.0)

    def weight(unit: list[pytest.Item]) -> float:
        return sum(seconds(item) for item in unit)

    units = _units(items, tests)
    long_units = sorted((unit for unit in units if weight(unit) > len(unit)), key=weight, reverse=True)
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    work = [0.0] * workers
    for unit in long_units:
        lightest = work.index(min(work))
        shares[lightest].extend(unit)
        work[lightest] += weight(unit)
    short = [item for unit in units if weight(unit) <= len(unit) for item in unit]
    size = len(items) // workers  # worksteal's first shares are len // workers, the last takes the rest
    for share in shares:
        room = max(0, size - len(share))
        share.extend(short[:room])
        del short[:room]
    shares[-1].extend(short)
    return [item for share in shares for item in share]


class WorkerShares:
    """Registered by tests/conftest.py; runs after the markers' deselection (`-m`), on every xdist worker alike."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        if workers > 1:  # on an xdist worker (whose own `--dist` reads "no"); made for `make test`'s worksteal
            items[:] = dealt(items, workers, Path(__file__).parent)
