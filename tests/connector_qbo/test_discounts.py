"""Discounts in QBO bodies, for every tax model: a credit line as a negative quantity at a positive price,
Service Opus's invoice discount as one exact-amount `DiscountLineDetail`, and its tax inside the tax we send."""

from decimal import Decimal

import pytest

from ledger_sync.connectors.qbo.tax_model import QboTaxModel
from ledger_sync.connectors.qbo.wire import US_NON_TAXABLE_RATE, to_qbo
from ledger_sync.core.ledger import LedgerTaxRate

from .conftest import discounted_invoice, invoice, us_invoice

AUSTIN = LedgerTaxRate("3", "Austin, TX", Decimal("8.25"), True, "3")


def _sales(body: dict) -> list[tuple[Decimal, Decimal, Decimal, str]]:
    return [
        (
            line["SalesItemLineDetail"]["Qty"],
            line["SalesItemLineDetail"]["UnitPrice"],
            line["Amount"],
            line["SalesItemLineDetail"]["TaxCodeRef"]["value"],
        )
        for line in body["Line"]
        if line["DetailType"] == "SalesItemLineDetail"
    ]


def test_a_canadian_invoice_sends_credit_lines_the_discount_and_tax_lines_that_count_it() -> None:
    record = discounted_invoice()
    body = to_qbo(record)
    assert _sales(body) == [
        (Decimal("2"), Decimal("95"), Decimal("190.00"), "7"),
        (Decimal("-1"), Decimal("20"), Decimal("-20.00"), "7"),  # returned: negative quantity
        (Decimal("-1"), Decimal("15"), Decimal("-15.00"), "5"),  # trade-in at -15.00: sent the QBO way
        (Decimal("1.5"), Decimal("33.33"), Decimal("50.00"), "5"),
    ]
    discount = body["Line"][-1]
    assert discount == {
        "LineNum": 5,
        "Amount": Decimal("20.50"),
        "Description": "Discount 10%",
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": False, "DiscountAccountRef": {"value": "79"}},
    }
    taxes = [(t["TaxLineDetail"]["NetAmountTaxable"], t["Amount"]) for t in body["TxnTaxDetail"]["TaxLine"]]
    assert taxes == [(Decimal("31.50"), Decimal("1.57")), (Decimal("153.00"), Decimal("19.89"))]
    assert body["TxnTaxDetail"]["TotalTax"] == record.total_tax == Decimal("21.46")
    assert "ApplyTaxAfterDiscount" not in body  # outside the US a discount always comes off before tax
    sales = sum((amount for *_, amount, _ in _sales(body)), Decimal(0))
    assert sales - discount["Amount"] + record.total_tax == record.total == Decimal("205.96")


@pytest.mark.parametrize("model", [QboTaxModel.US, QboTaxModel.US_AST])
def test_a_us_invoice_takes_the_discount_before_tax_and_overrides_the_tax(model: QboTaxModel) -> None:
    record = discounted_invoice(AUSTIN, US_NON_TAXABLE_RATE)
    body = to_qbo(record, tax_model=model)
    assert [code for *_, code in _sales(body)] == ["TAX", "TAX", "NON", "NON"]
    assert body["ApplyTaxAfterDiscount"] is True
    assert body["Line"][-1]["Amount"] == Decimal("20.50") and body["Line"][-1]["DetailType"] == "DiscountLineDetail"
    # Per line at 8.25 %: 15.68 - 1.65 - 1.40 (the discount's) = 12.63
    assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}, "TotalTax": Decimal("12.63")}
    assert record.total == Decimal("184.50") + Decimal("12.63")


def test_an_invoice_without_discounts_is_sent_as_before() -> None:
    body = to_qbo(invoice())
    assert [line["DetailType"] for line in body["Line"]] == ["SalesItemLineDetail"] * 2
    assert "ApplyTaxAfterDiscount" not in to_qbo(us_invoice(), tax_model=QboTaxModel.US)
