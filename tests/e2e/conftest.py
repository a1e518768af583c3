"""The end-to-end stack, once per ledger: a seeded company (with a few records no ledger can take), the
ledger's sandbox, a connection through its OAuth flow, the suggested mapping, Prefect."""

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import add_problem_records
from tests.ledgers import sandbox_ledgers
from tests.stack import Stack, open_stack


def _seeded(engine: Engine, ledger: str) -> None:
    seed(engine, invoices=150, seed=11)
    add_problem_records(engine, 1, ledger)


@pytest.fixture(scope="module", params=sandbox_ledgers())
def stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[Stack]:
    ledger = request.param
    with open_stack(tmp_path_factory.mktemp(f"stack-{ledger}"), partial(_seeded, ledger=ledger), ledger) as opened:
        yield opened
