"""Issue 17 (currency), end to end: a company with a share of customers billed in the neighbouring currency. While
the ledger cannot take that currency (QBO: multicurrency off; Xero: the currency not enabled) their invoices are
parked naming what is missing, and their payments wait behind them; once a bookkeeper enables it, the next run
syncs them, each invoice worth at home exactly what Service Opus recorded."""

from collections.abc import Iterator
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import CURRENCIES, FOREIGN_CURRENCIES, seed
from ledger_sync.core.currency import home_amount, xero_home_amount
from ledger_sync.core.transform import total_due
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from tests.ledgers import facts
from tests.stack import LedgerSetup, Stack, ledger_setup_params, open_stack


def _seeded(engine: Engine, setup: LedgerSetup) -> None:
    seed(engine, invoices=40, seed=5, country=setup.company.country, foreign_share=0.3)


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param
    home = tmp_path_factory.mktemp(f"currency-{setup.id}")
    with open_stack(home, partial(_seeded, setup=setup), setup.ledger, setup.company) as opened:
        yield opened


def _ledger_home_totals(stack: Stack) -> dict[str, Decimal]:
    """Each invoice's home total as the ledger holds it, by number."""
    if stack.ledger == "qbo":
        return {
            str(i["DocNumber"]): Decimal(str(i.get("HomeTotalAmt", i["TotalAmt"])))
            for i in stack.ledger_entities("Invoice")
        }
    return {
        str(i["InvoiceNumber"]): xero_home_amount(Decimal(str(i["Total"])), Decimal(str(i["CurrencyRate"])))
        for i in stack.ledger_entities("Invoices")
    }


def test_foreign_invoices_wait_for_the_currency_then_sync_worth_at_home_what_service_opus_recorded(
    stack: Stack,
) -> None:
    engine = make_engine(stack.settings.resolved_source_url)
    source = ServiceOpusSource(engine)
    home = source.home_currency(stack.company_id)
    foreign = next(FOREIGN_CURRENCIES[country] for country, code in CURRENCIES.items() if code == home)
    invoices = source.invoices(stack.company_id, after=None, limit=1000).records
    abroad = {i.id: i for i in invoices if i.currency == foreign and i.status == "locked"}
    assert abroad, "the seed bills some customers abroad"
    rates = {rate.id: rate for rate in source.tax_rates(stack.company_id)}
    engine.dispose()

    sync_company(company_id=stack.company_id, ledger=stack.ledger)
    parked = stack.parked()
    for invoice_id in abroad:
        reason = parked[("invoice", invoice_id)]
        assert reason.startswith(f"Invoice is in {foreign}: ") and "a bookkeeper must" in reason, reason

    enable = facts(stack.ledger).enable_currency
    assert enable is not None
    enable(stack.base_url, stack.tenant_id, foreign)
    sync_company(company_id=stack.company_id, ledger=stack.ledger)
    parked = stack.parked()
    held = _ledger_home_totals(stack)
    for invoice_id, invoice in abroad.items():
        reason = parked.get(("invoice", invoice_id))
        if reason is not None:  # only Xero's 6-place rate can fall short, and it says so
            assert stack.ledger == "xero" and "6 places" in reason, reason
            continue
        assert invoice.exchange_rate is not None
        expected = home_amount(total_due(invoice, rates), invoice.exchange_rate)
        assert held[invoice.number] == expected, invoice.number
    assert not any(f"Invoice is in {foreign}" in reason for reason in parked.values())
