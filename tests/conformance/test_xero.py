"""Xero runs the conformance suite against its local sandbox."""

from collections.abc import Iterator

import pytest

from tests.conformance.sandbox_harness import sandbox_harness
from tests.conformance.suite import LedgerConformance, LedgerHarness


@pytest.fixture(scope="module")
def ledger_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    home = tmp_path_factory.mktemp("conformance-xero")
    with sandbox_harness(
        "xero",
        home,
        total_field="Total",
        balance_field="AmountDue",
        unknown_customer_ref="00000000-0000-0000-0000-000000000000",
    ) as harness:
        yield harness


class TestXeroConformance(LedgerConformance):
    pass
