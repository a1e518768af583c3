"""A US QBO company on Automated Sales Tax that drops the TotalTax override (reported for real companies,
python-quickbooks#301): every invoice either lands equal to Service Opus or is parked with both figures,
never silently different; payments of a parked invoice wait behind it."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine

from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.flows.sync import sync_company
from tests.ledgers import SandboxCompany
from tests.stack import Stack, open_stack

DROPS_OVERRIDE = SandboxCompany(
    "qbo-us-ast-drops-override", {"country": "US", "automated_sales_tax": True, "keeps_total_tax_override": False}, "US"
)


def _populate(engine: Engine) -> None:
    seed(engine, invoices=40, seed=5, country="US")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with open_stack(tmp_path_factory.mktemp("us-override"), _populate, "qbo", DROPS_OVERRIDE) as opened:
        yield opened


def test_an_invoice_qbo_taxes_otherwise_is_parked_with_both_figures(stack: Stack) -> None:
    summary = sync_company(company_id=stack.company_id, ledger="qbo")
    assert summary["outcome"] == "completed"
    parked = {source_id: reason for (kind, source_id), reason in stack.parked().items() if kind == "invoice"}
    differing = {k: r for k, r in parked.items() if "QuickBooks saved invoice" in r and "Service Opus has tax" in r}
    assert differing, "AST's own pick (Austin, 8.25 %) differs from Seattle and Denver customers' tax"
    assert set(differing) == set(parked)
    for invoice in stack.ledger_entities("Invoice"):
        number = invoice["DocNumber"]
        reason = next((r for r in differing.values() if f"invoice {number} " in r), None)
        if reason is None:
            continue
        tax, total = Decimal(str(invoice["TxnTaxDetail"]["TotalTax"])), Decimal(str(invoice["TotalAmt"]))
        assert f"with tax {tax:.2f} and total {total:.2f};" in reason
    waiting = [r for (kind, _), r in stack.parked().items() if kind == "payment"]
    assert waiting and all(r.startswith("Waiting for invoice") for r in waiting)
