"""The in-memory ledger registered and connected through onboarding's OAuth steps, its connector built by the
factory exactly as a sync builds it: for the conformance suite and for tests that need a fast ledger."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ledger_sync.connectors.registry import registered
from ledger_sync.ledger_access import open_ledger
from ledger_sync.onboarding import available_tenants, exchange_authorization, save_connection, start_authorization
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore
from tests.conformance import memory_ledger
from tests.conformance.suite import LedgerHarness


@contextmanager
def memory_harness(home: Path) -> Iterator[LedgerHarness]:
    """Company 1 connected to fresh memory books, with `LEDGER_SYNC_HOME` set to `home` while it lasts."""
    with registered(memory_ledger.PLUGIN) as plugin, pytest.MonkeyPatch.context() as env:
        env.setenv("LEDGER_SYNC_HOME", str(home))
        env.setenv("LEDGER_SYNC_DEMO_MODE", "true")
        settings = Settings()
        store = StateStore.open(settings)
        try:
            start = start_authorization(settings, plugin.name)
            tokens = exchange_authorization(settings, plugin.name, "code-1", start.code_verifier)
            ((tenant_id, _),) = available_tenants(settings, plugin.name, tokens)
            memory_ledger.BOOKS.pop(tenant_id, None)
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
                    enable_currency=books.foreign.add,
                )
            finally:
                connector.close()
        finally:
            store.close()
