"""The ledger harness every connector implements for the conformance suite (Meltano-SDK style).

One module-scoped harness per ledger: its sandbox on 127.0.0.1, a connection made through the real
OAuth flow (PKCE and `/connections` for Xero), the connector built the way a sync builds it, and the
few ledger facts the shared scenarios need (where an invoice keeps its total and balance).
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from ledger_sync.connectors.factory import open_ledger
from ledger_sync.core.ledger import LedgerAccount, LedgerConnector, LedgerTaxRate
from ledger_sync.core.records import EntityType
from ledger_sync.demo import connect_with_auto_consent, sandbox_for
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore


@dataclass
class LedgerHarness:
    ledger: str
    connector: LedgerConnector
    accounts: list[LedgerAccount]
    tax_rates: list[LedgerTaxRate]
    total_field: str
    balance_field: str
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def next_id(self) -> int:
        """A source id (and name suffix) no other scenario on this ledger uses."""
        return next(self._ids)

    def account(self, kind: str) -> LedgerAccount:
        return next(a for a in self.accounts if a.type == kind and a.active)

    def tax_rate(self, percent: str) -> LedgerTaxRate:
        return next(t for t in self.tax_rates if t.active and t.rate_percent == Decimal(percent))

    def invoice_amounts(self, ledger_id: str) -> tuple[Decimal, Decimal]:
        """(total, balance due) of an invoice as the ledger reports it."""
        invoice = self.connector.read(EntityType.INVOICE, ledger_id)  # type: ignore[attr-defined]
        return Decimal(str(invoice[self.total_field])), Decimal(str(invoice[self.balance_field]))


FIELDS = {"qbo": ("TotalAmt", "Balance"), "xero": ("Total", "AmountDue")}


@pytest.fixture(scope="module", params=sorted(FIELDS))
def ledger_harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    ledger = request.param
    home = tmp_path_factory.mktemp(f"conformance-{ledger}")
    with sandbox_for(ledger, home) as (_, endpoints, _), pytest.MonkeyPatch.context() as env:
        for key, value in {"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true", **endpoints}.items():
            env.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, 1, ledger)
            connection = store.connection(1, ledger)
            assert connection is not None
            connector = open_ledger(settings, store, connection)
            try:
                total, balance = FIELDS[ledger]
                yield LedgerHarness(
                    ledger, connector, connector.list_accounts(), connector.list_tax_rates(), total, balance
                )
            finally:
                connector.close()
        finally:
            store.close()
