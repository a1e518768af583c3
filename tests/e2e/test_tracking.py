"""Issue 17 end to end, for both ledgers: a seeded company's business units and technicians mapped to the
same-named ledger options (QBO: locations and classes; Xero: two tracking categories), synced, then reconciled:
the ledger's revenue per option equals Service Opus's per business unit and per technician, to the cent."""

from collections.abc import Iterator
from decimal import Decimal
from functools import partial

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.money import line_amounts
from ledger_sync.core.records import EntityType
from ledger_sync.flows.reconcile import reconcile_company
from ledger_sync.flows.sync import sync_company
from ledger_sync.onboarding import ledger_chart
from ledger_sync.state.db import make_engine
from tests.stack import Stack, open_stack


def _seeded(engine: Engine) -> None:
    seed(engine, invoices=16, seed=5)


@pytest.fixture(scope="module", params=["qbo", "xero"])
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    home = tmp_path_factory.mktemp(f"tracking-{request.param}")
    with open_stack(home, partial(_seeded), request.param) as opened:
        yield opened


def test_revenue_per_business_unit_and_technician_reconciles_to_the_cent(stack: Stack) -> None:
    connection = stack.store.connection(stack.company_id, stack.ledger)
    assert connection is not None
    source = ServiceOpusSource(make_engine(stack.settings.resolved_source_url))
    _, _, options = ledger_chart(stack.settings, stack.store, connection, tracking=True)
    by_name = {option.name: option for option in options if option.active}
    mapping = stack.store.load_mapping(connection.id)
    values = source.tracking_values(stack.company_id)
    for value in values:
        mapping.tracking.setdefault(value.tracked_by, {})[value.id] = by_name[value.name].id
    stack.store.save_mapping(connection.id, mapping, {})

    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"  # type: ignore[arg-type]
    result: dict = reconcile_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type,assignment]

    synced = stack.store.synced_ids(connection.id, EntityType.INVOICE)
    invoices = source.invoices(stack.company_id, after=None, limit=0, ids=synced).records
    rates = {rate.id: rate.rate for rate in source.tax_rates(stack.company_id)}
    names = {(value.tracked_by, value.id): value.name for value in values}
    expected: dict[str, Decimal] = {}
    for invoice in invoices:
        if invoice.status != "locked":
            continue
        for line in invoice.lines:
            assert line.tax_rate_id is not None
            net = line_amounts(line.quantity, line.unit_price, rates[line.tax_rate_id], line.tax_inclusive).net
            carried = [names[("business_unit", invoice.business_unit_id)]]  # type: ignore[index]
            carried += [names[("technician", line.technician_id)]] if line.technician_id else []
            for name in carried:
                expected[name] = expected.get(name, Decimal("0.00")) + net
    tracked = result["tracked_revenue"]
    assert tracked and all(t["equal"] for t in tracked), tracked
    held = {t["option_ref"]: Decimal(t["ledger"]) for t in tracked}
    assert {name: held[by_name[name].id] for name in expected} == expected
    assert set(expected) == {"North Branch", "South Branch", "Alex Rivera", "Sam Chen"}
