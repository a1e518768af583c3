"""A conformance harness for a ledger plug-in with a local sandbox: start the sandbox on 127.0.0.1,
connect through the plug-in's real OAuth flow (PKCE and the tenant list where it declares them), and
build the connector the way a sync builds it."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from ledger_sync.connectors.registry import get
from ledger_sync.connectors.service_opus.seed import CURRENCIES
from ledger_sync.core.records import EntityType
from ledger_sync.demo import connect_with_auto_consent, sandbox_for
from ledger_sync.ledger_access import open_ledger
from ledger_sync.settings import Settings
from ledger_sync.state.store import StateStore
from tests.conformance.suite import LedgerHarness
from tests.ledgers import SandboxCompany, facts
from tests.stack import TIME_SCALE


@contextmanager
def sandbox_harness(
    ledger: str,
    home: Path,
    company: SandboxCompany | None = None,
    stand_in_percents: Mapping[int, Decimal] | None = None,
) -> Iterator[LedgerHarness]:
    """The vendor facts (where a raw invoice keeps its total and balance) come from `tests/ledgers/<ledger>.py`.
    `company`: the kind of company the sandbox creates (None: its default one); the scenarios bill in its
    country's currency. `stand_in_percents`: see `LedgerHarness`."""
    known = facts(ledger)
    company = company or SandboxCompany(ledger)
    with (
        sandbox_for(ledger, home, TIME_SCALE, company.settings) as (base_url, endpoints, _),
        pytest.MonkeyPatch.context() as env,
    ):
        for key, value in {"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true", **endpoints}.items():
            env.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, 1, ledger)
            connection = store.connection(1, ledger)
            assert connection is not None
            connector = open_ledger(settings, store, connection)
            tenant = connection.tenant_id

            def invoice_amounts(ledger_id: str) -> tuple[Decimal, Decimal]:
                invoice = connector.read(EntityType.INVOICE, ledger_id)  # type: ignore[attr-defined]
                return Decimal(str(invoice[known.shape.total])), Decimal(str(invoice[known.balance]))

            def customer_name(ledger_id: str) -> str:
                return str(connector.read(EntityType.CUSTOMER, ledger_id)[known.shape.customer_name])  # type: ignore[attr-defined]

            try:
                yield LedgerHarness(
                    get(ledger),
                    connector,
                    invoice_amounts,
                    known.unknown_customer_ref,
                    customer_name,
                    currency=CURRENCIES[company.country],
                    stand_in_percents=stand_in_percents or {},
                    edits_paid_invoices=known.edits_paid_invoices,
                    close_books=partial(known.close_books, base_url, tenant) if known.close_books else None,
                    enable_currency=partial(known.enable_currency, base_url, tenant) if known.enable_currency else None,
                )
            finally:
                connector.close()
        finally:
            store.close()
