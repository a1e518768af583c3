"""QuickBooks Online runs the conformance suite against its local sandbox (its facts: `tests/ledgers/qbo.py`)."""

from collections.abc import Iterator

import pytest

from tests.conformance.sandbox_harness import sandbox_harness
from tests.conformance.suite import LedgerConformance, LedgerHarness


@pytest.fixture(scope="module")
def ledger_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    with sandbox_harness("qbo", tmp_path_factory.mktemp("conformance-qbo")) as harness:
        yield harness


class TestQboConformance(LedgerConformance):
    pass
