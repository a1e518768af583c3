"""Discounts as a QBO company takes them: credit lines as a negative quantity, one `DiscountLineDetail` per
invoice taken off before tax, and no invoice totalling below zero."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from .helpers import Qbo, assert_fault
from .test_us_sales_tax import code_ref, invoice_body, us_company


def discount(qbo: Qbo, amount: str, account: str = "Services", **detail: Any) -> dict[str, Any]:
    account_ref = {"value": qbo.named("Account", account)["Id"]}
    return {
        "Amount": Decimal(amount),
        "DetailType": "DiscountLineDetail",
        "DiscountLineDetail": {"PercentBased": False, "DiscountAccountRef": account_ref, **detail},
    }


def canadian(qbo: Qbo, *extra: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """190.00 and a returned 20.00 at HST ON, 50.00 at GST: 220.00 of sales."""
    item = next(iter(qbo.rows("SELECT * FROM Item")), None) or qbo.item()
    customer = next(iter(qbo.rows("SELECT * FROM Customer")), None) or qbo.customer()
    lines = [
        qbo.sales_line(item, "2", "95.00", "190.00", "HST ON"),
        qbo.sales_line(item, "-1", "20.00", "-20.00", "HST ON"),
        qbo.sales_line(item, "1", "50.00", "50.00", "GST"),
    ]
    return {"CustomerRef": {"value": customer["Id"]}, "Line": [*lines, *extra], **fields}


def test_a_discount_comes_off_each_rate_before_tax_in_proportion(qbo: Qbo) -> None:
    saved = qbo.create("Invoice", canadian(qbo, discount(qbo, "22.00")))
    gst, hst = saved["TxnTaxDetail"]["TaxLine"]  # in TaxRate Id order
    # HST: 170.00 less its 17.00 share = 153.00 -> 19.89; GST: 50.00 less 5.00 = 45.00 -> 2.25.
    assert (hst["TaxLineDetail"]["NetAmountTaxable"], hst["Amount"]) == (Decimal("153.00"), Decimal("19.89"))
    assert (gst["TaxLineDetail"]["NetAmountTaxable"], gst["Amount"]) == (Decimal("45.00"), Decimal("2.25"))
    assert saved["TotalAmt"] == saved["Balance"] == Decimal("220.14")  # 220.00 - 22.00 + 22.14
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for line in saved["Line"]:
        by_kind.setdefault(line["DetailType"], []).append(line)
    assert [len(by_kind[k]) for k in ("SalesItemLineDetail", "DiscountLineDetail", "SubTotalLineDetail")] == [3, 1, 1]
    assert by_kind["SalesItemLineDetail"][1]["SalesItemLineDetail"]["Qty"] == Decimal(-1)
    (discounted,) = by_kind["DiscountLineDetail"]
    assert discounted["Amount"] == Decimal("22.00")
    assert discounted["DiscountLineDetail"]["DiscountAccountRef"]["name"] == "Services"
    assert by_kind["SubTotalLineDetail"][0]["Amount"] == Decimal("220.00")  # the sales, before the discount


def test_a_percentage_discount_is_computed_from_the_sales_and_supplied_tax_lines_still_win(qbo: Qbo) -> None:
    percent = discount(qbo, "0", PercentBased=True, DiscountPercent=Decimal("10"))
    lines = qbo.create("Invoice", canadian(qbo, percent))["Line"]
    assert [ln["Amount"] for ln in lines if ln["DetailType"] == "DiscountLineDetail"] == [Decimal("22.00")]
    hst = qbo.named("TaxRate", "HST ON")["Id"]
    supplied = {
        "TaxLine": [
            {
                "Amount": Decimal("19.90"),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {"TaxRateRef": {"value": hst}, "NetAmountTaxable": Decimal("153.00")},
            }
        ]
    }
    item = qbo.rows("SELECT * FROM Item")[0]
    customer = qbo.rows("SELECT * FROM Customer")[0]
    body = {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [qbo.sales_line(item, "1", "170.00", "170.00", "HST ON"), discount(qbo, "17.00")],
        "TxnTaxDetail": supplied,
    }
    saved = qbo.create("Invoice", body)
    assert (saved["TxnTaxDetail"]["TotalTax"], saved["TotalAmt"]) == (Decimal("19.90"), Decimal("172.90"))


def test_an_invoice_totalling_below_zero_is_refused(qbo: Qbo) -> None:
    error = assert_fault(qbo.post("Invoice", canadian(qbo, discount(qbo, "250.00"))), 400, "6000")
    assert "cannot be negative" in error["Detail"]
    assert qbo.rows("SELECT * FROM Invoice") == []
    assert qbo.create("Invoice", canadian(qbo, discount(qbo, "220.00")))["TotalAmt"] == Decimal("0.00")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("negative unit price", "2010"),
        ("two discounts", "6000"),
        ("negative discount", "2010"),
        ("percent over 100", "2010"),
        ("no discount account", "2020"),
        ("discount to a bank account", "6000"),
    ],
)
def test_what_qbo_refuses_in_a_discount(qbo: Qbo, change: str, code: str) -> None:
    body = canadian(qbo)
    if change == "negative unit price":
        body["Line"][1] = qbo.sales_line(qbo.rows("SELECT * FROM Item")[0], "1", "-20.00", "-20.00", "HST ON")
    elif change == "two discounts":
        body["Line"] += [discount(qbo, "5.00"), discount(qbo, "5.00")]
    elif change == "negative discount":
        body["Line"].append(discount(qbo, "-5.00"))
    elif change == "percent over 100":
        body["Line"].append(discount(qbo, "0", PercentBased=True, DiscountPercent=Decimal("150")))
    elif change == "no discount account":
        body["Line"].append({"Amount": Decimal("5.00"), "DetailType": "DiscountLineDetail", "DiscountLineDetail": {}})
    else:
        body["Line"].append(discount(qbo, "5.00", account="Chequing"))
    assert_fault(qbo.post("Invoice", body), 400, code)


@pytest.fixture(params=[False, True], ids=["manual", "ast"])
def us(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Qbo]:
    yield from us_company(tmp_path, automated_sales_tax=request.param)


def us_invoice(qbo: Qbo, **fields: Any) -> dict[str, Any]:
    """100.00 taxable, 50.00 not, a returned 20.00 taxable and 13.00 off: 117.00 before tax."""
    body = invoice_body(qbo, [("100.00", "TAX"), ("50.00", "NON")], **fields)
    returned = {**body["Line"][0], "Amount": Decimal("-20.00")}
    returned["SalesItemLineDetail"] = {**returned["SalesItemLineDetail"], "Qty": Decimal(-1), "UnitPrice": Decimal(20)}
    body["Line"] += [returned, discount(qbo, "13.00", account="Services")]
    return body


def test_a_us_discount_comes_off_the_taxable_lines_before_tax_when_asked(us: Qbo) -> None:
    denver = code_ref(us, "Denver, CO")
    tax = {"TxnTaxCodeRef": denver, "TotalTax": Decimal("6.34")}
    overridden = us.create("Invoice", us_invoice(us, TxnTaxDetail=tax, ApplyTaxAfterDiscount=True))
    assert (overridden["TxnTaxDetail"]["TotalTax"], overridden["TotalAmt"]) == (Decimal("6.34"), Decimal("123.34"))
    if (us.rows("SELECT * FROM Preferences")[0]["TaxPrefs"]["PartnerTaxEnabled"]) is True:
        return  # on AST only the override says what the tax is
    # 80.00 taxable less its 8.00 share of the discount = 72.00 x 8.81 % = 6.3432 -> 6.34
    after = us.create("Invoice", us_invoice(us, TxnTaxDetail={"TxnTaxCodeRef": denver}, ApplyTaxAfterDiscount=True))
    assert (after["TxnTaxDetail"]["TotalTax"], after["TotalAmt"]) == (Decimal("6.34"), Decimal("123.34"))
    before = us.create("Invoice", us_invoice(us, TxnTaxDetail={"TxnTaxCodeRef": denver}))
    assert (before["TxnTaxDetail"]["TotalTax"], before["TotalAmt"]) == (Decimal("7.05"), Decimal("124.05"))  # on 80


def test_a_us_invoice_totalling_below_zero_is_refused(us: Qbo) -> None:
    body = us_invoice(us, TxnTaxDetail={"TxnTaxCodeRef": code_ref(us, "Denver, CO"), "TotalTax": Decimal("0")})
    body["Line"][-1] = discount(us, "131.00")
    assert_fault(us.post("Invoice", body), 400, "6000")
