"""Multicurrency is off in a new QBO company: a customer or invoice in another currency is refused."""

from .helpers import Qbo, assert_fault


def test_an_invoice_or_customer_in_a_currency_the_company_has_not_enabled_is_refused(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10.00", "10.00", "GST")
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [line], "CurrencyRef": {"value": "USD"}}
    error = assert_fault(qbo.post("Invoice", body), 400, "2500")
    assert error["element"] == "CurrencyRef"
    assert_fault(qbo.post("Customer", {"DisplayName": "Yankee Co", "CurrencyRef": {"value": "USD"}}), 400, "2500")
    assert qbo.rows("SELECT * FROM Invoice") == []
    home = qbo.create("Invoice", {**body, "CurrencyRef": {"value": "CAD"}})
    assert home["CurrencyRef"]["value"] == "CAD"
