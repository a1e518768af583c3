"""The throwaway in-memory ledger registers itself and runs the conformance suite: connected through
onboarding's OAuth steps and built by the connector factory, exactly as a sync would."""

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ledger_sync.connectors.registry import names, registered
from tests.conformance import memory_ledger
from tests.conformance.memory_harness import memory_harness
from tests.conformance.suite import LedgerConformance, LedgerHarness


@pytest.fixture(scope="module")
def ledger_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    with memory_harness(tmp_path_factory.mktemp("conformance-memory")) as harness:
        yield harness


class TestMemoryConformance(LedgerConformance):
    def test_it_is_registered_only_while_it_runs(self, ledger_harness: LedgerHarness) -> None:
        assert ledger_harness.plugin.name in names()


def test_it_leaves_the_registry_as_it_found_it() -> None:
    """A plug-in registered for a block is gone after it: no other test sees a third ledger."""
    plugin = memory_ledger.PLUGIN
    twin = replace(plugin, name="memory-twin", limits=replace(plugin.limits, ledger="memory-twin"))
    with registered(twin):
        assert "memory-twin" in names()
    assert "memory-twin" not in names()
