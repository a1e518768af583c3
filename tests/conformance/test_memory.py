"""The throwaway in-memory ledger registers itself and runs the conformance suite: connected through
onboarding's OAuth steps and built by the connector factory, exactly as a sync would."""

from collections.abc import Iterator
from dataclasses import replace

import pytest

from ledger_sync.connectors.registry import names, registered
from ledger_sync.ledger_access import open_ledger
from ledger_sync.onboarding import available_tenants, exchange_authorization, save_connection, start_authorization
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore
from tests.conformance import memory_ledger
from tests.conformance.suite import LedgerConformance, LedgerHarness


@pytest.fixture(scope="module")
def ledger_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    home = tmp_path_factory.mktemp("conformance-memory")
    with registered(memory_ledger.PLUGIN) as plugin, pytest.MonkeyPatch.context() as env:
        env.setenv("LEDGER_SYNC_HOME", str(home))
        env.setenv("LEDGER_SYNC_DEMO_MODE", "true")
        settings = Settings()
        store = StateStore.open(settings)
        try:
            start = start_authorization(settings, plugin.name)
            tokens = exchange_authorization(settings, plugin.name, "code-1", start.code_verifier)
            ((tenant_id, _),) = available_tenants(settings, plugin.name, tokens)
            save_connection(settings, store, 1, plugin.name, tenant_id, tokens)
            connection = store.connection(1, plugin.name)
            assert connection is not None
            connector = open_ledger(settings, store, connection)
            books = memory_ledger.BOOKS[tenant_id]
            try:
                yield LedgerHarness(
                    plugin,
                    connector,
                    books.invoice_amounts,
                    unknown_customer_ref="C-404",
                    customer_name=books.name,
                    close_books=books.close,
                )
            finally:
                connector.close()
        finally:
            store.close()


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
