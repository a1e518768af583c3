"""The end-to-end stack, once per ledger: a seeded company (with a few records no ledger can take), the
ledger's sandbox, a connection through its OAuth flow, the suggested mapping, Prefect."""

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import add_problem_records
from tests.stack import LedgerSetup, Stack, ledger_setup_params, open_stack


def _seeded(engine: Engine, setup: LedgerSetup) -> None:
    """The US QBO companies run on a smaller data set: the same paths, less time."""
    invoices = 60 if setup.company.country == "US" else 150
    seed(engine, invoices=invoices, seed=11, country=setup.company.country)
    add_problem_records(engine, 1)


@pytest.fixture(scope="module", params=ledger_setup_params())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    setup: LedgerSetup = request.param
    home = tmp_path_factory.mktemp(f"stack-{setup.id}")
    with open_stack(home, partial(_seeded, setup=setup), setup.ledger, setup.company) as opened:
        yield opened
