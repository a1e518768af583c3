"""Card payouts settled a part at a time (`tasks.load.PAYMENTS_PER_PART`, so a big company's payments are never
read all at once): every payout is in the ledger once for its net, as when they were all settled in one push."""

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from ledger_sync.tasks import load
from tests.stack import LedgerSetup, Stack, ledger_setup_params, open_stack

PART = 4
"""Payments per part here: the seed's 5 payouts go in several parts."""


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param

    def seeded(engine: Engine) -> None:
        seed(engine, invoices=40, seed=5, country=setup.company.country)

    with open_stack(tmp_path_factory.mktemp(f"payouts-{setup.id}"), seeded, setup.ledger, setup.company) as opened:
        yield opened


def test_payouts_settled_in_parts_are_each_in_the_ledger_once_for_its_net(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(load, "PAYMENTS_PER_PART", PART)
    engine = make_engine(stack.settings.resolved_source_url)
    try:
        payouts = ServiceOpusSource(engine).payouts(stack.company_id).records
    finally:
        engine.dispose()
    assert len(list(load.payout_parts(payouts))) >= 3, "the seed makes payouts for three parts"
    summary = sync_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert summary["outcome"] == "completed"
    held = stack.payouts_held()
    assert all(count == 1 for count in Counter(stamp for stamp, _ in held).values()), "a payout was written twice"
    assert dict(held) == {f"SO-O{p.id}": p.net for p in payouts}, "a payout is missing or off"
    written = summary["entities"]["payout"]["created"]  # type: ignore[index]
    assert written == len(payouts)
