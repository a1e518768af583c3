"""QuickBooks Online runs the conformance suite against US companies of its local sandbox, with Automated
Sales Tax off and on (the `companies` of `tests/ledgers/qbo.py`).

A US company has no 5 % or 13 % tax code: its codes combine a state's, a county's and a city's rates, and
one invoice names one code (`TxnTaxDetail.TxnTaxCodeRef`), its lines only `TAX` or `NON`. So both Service Opus
rates of the scenarios stand for one jurisdiction's combined code, as a US company whose Service Opus rates
differ per kind of work maps them; QBO would tax the lines at that code's rate, and Service Opus's own tax
lands through the `TotalTax` override the connector sends, so the scenarios' figures hold unchanged.
"""

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.conformance.sandbox_harness import sandbox_harness
from tests.conformance.suite import GST, HST, LedgerConformance, LedgerHarness
from tests.ledgers import SandboxCompany, facts

US_COMPANIES = [company for company in facts("qbo").companies if company.country == "US"]
DENVER_CO = Decimal("8.81")
"""The sandbox's "Denver, CO" code: Colorado State 2.9 + Denver City 4.81 + RTD 1 + SCFD 0.1. It is not the
code Automated Sales Tax picks on its own (the company's home, Austin), so a connector that left the
invoice's code to AST would be found out."""


@pytest.fixture(scope="module", params=US_COMPANIES, ids=lambda company: company.id)
def ledger_harness(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LedgerHarness]:
    company: SandboxCompany = request.param
    home = tmp_path_factory.mktemp(f"conformance-{company.id}")
    with sandbox_harness("qbo", home, company, {GST: DENVER_CO, HST: DENVER_CO}) as harness:
        yield harness


class TestQboUsConformance(LedgerConformance):
    pass


def test_it_runs_both_us_tax_models() -> None:
    """The companies it runs on: Automated Sales Tax off, and on."""
    assert sorted(bool(c.settings.get("automated_sales_tax")) for c in US_COMPANIES) == [False, True]
