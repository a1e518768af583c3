"""QuickBooks Online runs the conformance suite against its local sandbox."""

from collections.abc import Iterator

import pytest

from tests.conformance.sandbox_harness import sandbox_harness
from tests.conformance.suite import LedgerConformance, LedgerHarness


@pytest.fixture(scope="module")
def ledger_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    home = tmp_path_factory.mktemp("conformance-qbo")
    with sandbox_harness(
        "qbo", home, total_field="TotalAmt", balance_field="Balance", unknown_customer_ref="99999"
    ) as harness:
        yield harness


class TestQboConformance(LedgerConformance):
    pass
