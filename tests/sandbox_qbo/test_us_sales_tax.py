"""A US company: combined tax codes, `TAX`/`NON` lines (6100 otherwise), tax from the invoice's one code, and
Automated Sales Tax ignoring supplied rates (only `TxnTaxCodeRef` + `TotalTax` override it)."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo import wire
from ledger_sync.sandboxes.qbo.app import create_app

from .helpers import REDIRECT_URI, Qbo, assert_fault, consent, make_config, token_request


def us_company(tmp_path: Path, automated_sales_tax: bool, **settings: Any) -> Iterator[Qbo]:
    db_path = tmp_path / f"qbo-us-ast-{automated_sales_tax}.db"
    config = make_config(db_path, country="US", automated_sales_tax=automated_sales_tax, **settings)
    with TestClient(create_app(config), follow_redirects=False) as client:
        redirect = consent(client)
        tokens = token_request(
            client, grant_type="authorization_code", code=redirect["code"], redirect_uri=REDIRECT_URI
        ).json()
        yield Qbo(client, redirect["realmId"], tokens)


@pytest.fixture
def us(tmp_path: Path) -> Iterator[Qbo]:
    yield from us_company(tmp_path, automated_sales_tax=False)


@pytest.fixture
def ast(tmp_path: Path) -> Iterator[Qbo]:
    yield from us_company(tmp_path, automated_sales_tax=True)


def line(item: dict[str, Any], amount: str, code: str) -> dict[str, Any]:
    return {
        "Amount": Decimal(amount),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {
            "ItemRef": {"value": item["Id"]},
            "Qty": Decimal(1),
            "UnitPrice": Decimal(amount),
            "TaxCodeRef": {"value": code},
        },
    }


def invoice_body(qbo: Qbo, lines: list[tuple[str, str]], **fields: Any) -> dict[str, Any]:
    item = next(iter(qbo.rows("SELECT * FROM Item WHERE Name = 'Gutter cleaning'")), None) or qbo.item()
    customer = next(iter(qbo.rows("SELECT * FROM Customer")), None) or qbo.customer()
    return {
        "CustomerRef": {"value": customer["Id"]},
        "Line": [line(item, amount, code) for amount, code in lines],
        **fields,
    }


def code_ref(qbo: Qbo, name: str) -> dict[str, str]:
    return {"value": qbo.named("TaxCode", name)["Id"]}


def test_a_us_company_has_combined_codes_and_says_so_in_company_info_and_preferences(us: Qbo, ast: Qbo) -> None:
    austin = us.named("TaxCode", "Austin, TX")
    rate_ids = [d["TaxRateRef"]["value"] for d in austin["SalesTaxRateList"]["TaxRateDetail"]]
    rates = [wire.loads(us.get("TaxRate", rate_id).content)["TaxRate"]["RateValue"] for rate_id in rate_ids]
    assert rates == [Decimal("6.25"), Decimal("1"), Decimal("1")]
    assert us.named("TaxCode", "Chicago, IL")["Active"] is False
    [info] = us.rows("SELECT * FROM CompanyInfo")
    assert info["Country"] == "US"
    for qbo, automated in ((us, False), (ast, True)):
        [prefs] = qbo.rows("SELECT * FROM Preferences")
        assert prefs["TaxPrefs"] == {"UsingSalesTax": True, "PartnerTaxEnabled": automated}


def test_a_line_code_other_than_tax_or_non_is_fault_6100(us: Qbo, ast: Qbo) -> None:
    for qbo in (us, ast):
        austin = qbo.named("TaxCode", "Austin, TX")["Id"]
        body = invoice_body(qbo, [("100.00", austin)], TxnTaxDetail={"TxnTaxCodeRef": {"value": austin}})
        error = assert_fault(qbo.post("Invoice", body), 400, "6100")
        assert "Valid line TaxCodes for US should be TAX or NON" in error["Detail"]


def test_global_tax_calculation_and_unknown_or_inactive_codes_are_refused(us: Qbo) -> None:
    austin = code_ref(us, "Austin, TX")
    with_global = invoice_body(us, [("10.00", "TAX")], GlobalTaxCalculation="TaxExcluded")
    assert_fault(us.post("Invoice", {**with_global, "TxnTaxDetail": {"TxnTaxCodeRef": austin}}), 400, "2010")
    body = invoice_body(us, [("10.00", "TAX")], TxnTaxDetail={"TxnTaxCodeRef": {"value": "999"}})
    assert_fault(us.post("Invoice", body), 400, "2500")
    body["TxnTaxDetail"] = {"TxnTaxCodeRef": code_ref(us, "Chicago, IL")}
    assert_fault(us.post("Invoice", body), 400, "610")


def test_manual_sales_tax_comes_from_the_combined_rate_over_taxable_lines(us: Qbo) -> None:
    denver = code_ref(us, "Denver, CO")
    body = invoice_body(
        us, [("100.05", "TAX"), ("33.33", "TAX"), ("50.00", "NON")], TxnTaxDetail={"TxnTaxCodeRef": denver}
    )
    saved = us.create("Invoice", body)
    detail = saved["TxnTaxDetail"]
    # 133.38 x 8.81 % = 11.750778 -> 11.75 (per-line rounding would give 8.81 + 2.94 = 11.75; totals agree here).
    assert detail["TotalTax"] == Decimal("11.75") and detail["TxnTaxCodeRef"]["value"] == denver["value"]
    assert [t["TaxLineDetail"]["TaxPercent"] for t in detail["TaxLine"]] == [
        Decimal("2.9"),
        Decimal("4.81"),
        Decimal("1"),
        Decimal("0.1"),
    ]
    assert sum(t["Amount"] for t in detail["TaxLine"]) == Decimal("11.75")
    assert saved["TotalAmt"] == Decimal("195.13") and saved["Balance"] == Decimal("195.13")
    assert "GlobalTaxCalculation" not in saved and saved["CurrencyRef"]["value"] == "USD"
    untaxed = us.create("Invoice", invoice_body(us, [("20.00", "TAX")]))
    assert untaxed["TxnTaxDetail"]["TotalTax"] == Decimal("0.00") and untaxed["TotalAmt"] == Decimal("20.00")


def test_manual_sales_tax_keeps_a_total_tax_override_and_ignores_supplied_tax_lines(us: Qbo) -> None:
    seattle = code_ref(us, "Seattle, WA")
    stray = [{"Amount": Decimal("99"), "DetailType": "TaxLineDetail", "TaxLineDetail": {"TaxRateRef": {"value": "4"}}}]
    body = invoice_body(us, [("10.00", "TAX")], TxnTaxDetail={"TxnTaxCodeRef": seattle, "TaxLine": stray})
    assert us.create("Invoice", body)["TxnTaxDetail"]["TotalTax"] == Decimal("1.04")  # 10.35 % of 10.00 = 1.035
    body["TxnTaxDetail"] = {"TxnTaxCodeRef": seattle, "TotalTax": Decimal("1.03")}
    saved = us.create("Invoice", body)
    assert saved["TxnTaxDetail"]["TotalTax"] == Decimal("1.03") and saved["TotalAmt"] == Decimal("11.03")


def test_an_override_is_split_over_the_combined_rates_in_proportion(us: Qbo, ast: Qbo) -> None:
    """Far from QBO's own figure (8.81 % of 240.00 = 21.14) the override's tax lines still add up to it, each
    component taking its share of the combined rate: none goes negative to absorb the difference."""
    for qbo in (us, ast):
        denver = code_ref(qbo, "Denver, CO")
        override = {"TxnTaxCodeRef": denver, "TotalTax": Decimal("16.00")}
        body = invoice_body(qbo, [("240.00", "TAX")], TxnTaxDetail=override)
        detail = qbo.create("Invoice", body)["TxnTaxDetail"]
        amounts = [t["Amount"] for t in detail["TaxLine"]]
        # 16.00 x (2.9, 4.81, 1, 0.1) / 8.81 = 5.267, 8.736, 1.816, 0.182: the last takes the rounding remainder.
        assert amounts == [Decimal("5.27"), Decimal("8.74"), Decimal("1.82"), Decimal("0.17")]
        assert sum(amounts) == detail["TotalTax"] == Decimal("16.00")


def test_automated_sales_tax_ignores_supplied_codes_and_rates_unless_total_tax_overrides(ast: Qbo) -> None:
    seattle = code_ref(ast, "Seattle, WA")
    austin = ast.named("TaxCode", "Austin, TX")["Id"]
    stray = [{"Amount": Decimal("5"), "DetailType": "TaxLineDetail", "TaxLineDetail": {"TaxRateRef": {"value": "4"}}}]
    body = invoice_body(ast, [("100.00", "TAX")], TxnTaxDetail={"TxnTaxCodeRef": seattle, "TaxLine": stray})
    computed = ast.create("Invoice", body)["TxnTaxDetail"]
    assert computed["TxnTaxCodeRef"]["value"] == austin and computed["TotalTax"] == Decimal("8.25")
    body["TxnTaxDetail"] = {"TxnTaxCodeRef": seattle, "TotalTax": Decimal("10.35")}
    overridden = ast.create("Invoice", body)
    assert overridden["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == seattle["value"]
    assert overridden["TxnTaxDetail"]["TotalTax"] == Decimal("10.35") and overridden["TotalAmt"] == Decimal("110.35")


@pytest.mark.parametrize("automated", [False, True], ids=["manual", "ast"])
def test_a_company_that_drops_the_total_tax_override_keeps_its_own_tax(tmp_path: Path, automated: bool) -> None:
    """Reported for some companies (python-quickbooks#301): the sandbox can be told to behave so."""
    for qbo in us_company(tmp_path, automated, keeps_total_tax_override=False):
        body = invoice_body(qbo, [("100.00", "TAX")])
        body["TxnTaxDetail"] = {"TxnTaxCodeRef": code_ref(qbo, "Austin, TX"), "TotalTax": Decimal("8.00")}
        saved = qbo.create("Invoice", body)
        assert saved["TxnTaxDetail"]["TotalTax"] == Decimal("8.25") and saved["TotalAmt"] == Decimal("108.25")
