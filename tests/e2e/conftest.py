"""The end-to-end stack: a seeded company (with a few records no ledger can take), the sandbox, Prefect."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import add_problem_records
from tests.stack import Stack, open_stack


def _seeded(engine: Engine) -> None:
    seed(engine, invoices=150, seed=11)
    add_problem_records(engine, 1)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("stack"), _seeded) as opened:
        yield opened
