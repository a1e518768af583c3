"""Multicurrency is off in a new QBO company: a customer or invoice in another currency is refused. Turned on, a
customer keeps its currency once it has transactions, and a foreign invoice or payment is in its customer's currency
at a rate, carrying its home amounts; a payment lands in the home-currency bank at its own rate."""

from decimal import Decimal

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


def _multicurrency(qbo: Qbo, *codes: str) -> None:
    """A bookkeeper turns multicurrency on and adds `codes` to the currency list (through the admin API)."""
    admin = f"/_sandbox/realms/{qbo.realm_id}"
    (prefs,) = qbo.client.get(f"{admin}/Preferences").json()
    on = {**prefs["CurrencyPrefs"], "MultiCurrencyEnabled": True}
    assert qbo.client.patch(f"{admin}/Preferences/1", json={"CurrencyPrefs": on}).status_code == 200
    for code in codes:
        assert qbo.client.post(f"{admin}/CompanyCurrency", json={"Code": code}).status_code == 200


def _usd_invoice(qbo: Qbo, customer: dict, rate: str | None = "1.3512") -> dict:
    found = qbo.rows("SELECT * FROM Item")
    line = qbo.sales_line(found[0] if found else qbo.item(), "2", "50.00", "100.00", "Exempt")
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [line], "CurrencyRef": {"value": "USD"}}
    return body | ({"ExchangeRate": Decimal(rate)} if rate else {})


def test_a_currency_is_added_only_with_multicurrency_on_and_then_listed(qbo: Qbo) -> None:
    admin = f"/_sandbox/realms/{qbo.realm_id}"
    refused = qbo.client.post(f"{admin}/CompanyCurrency", json={"Code": "USD"})
    assert refused.status_code >= 400 and "Multicurrency is off" in refused.text
    (prefs,) = qbo.rows("SELECT * FROM Preferences")
    assert prefs["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": False,
        "HomeCurrency": {"value": "CAD", "name": "Canadian Dollar"},
    }
    _multicurrency(qbo, "USD")
    assert [c["Code"] for c in qbo.rows("SELECT * FROM CompanyCurrency WHERE Active = true")] == ["USD"]


def test_a_foreign_invoice_needs_a_rate_and_its_customers_currency_and_carries_home_amounts(qbo: Qbo) -> None:
    _multicurrency(qbo, "USD")
    yankee = qbo.create("Customer", {"DisplayName": "Yankee Co", "CurrencyRef": {"value": "USD"}})
    home = qbo.customer()
    assert_fault(qbo.post("Invoice", _usd_invoice(qbo, yankee, None)), 400, "2020")  # required: ExchangeRate
    assert "customer's currency" in assert_fault(qbo.post("Invoice", _usd_invoice(qbo, home)), 400, "6000")["Detail"]
    invoice = qbo.create("Invoice", _usd_invoice(qbo, yankee))
    assert (invoice["TotalAmt"], invoice["HomeTotalAmt"], invoice["HomeBalance"]) == (
        100,
        Decimal("135.12"),
        Decimal("135.12"),
    )
    receivable = qbo.get("Account", invoice["ARAccountRef"]["value"]).json()["Account"]
    assert (receivable["AccountType"], receivable["CurrencyRef"]["value"]) == ("Accounts Receivable", "USD")
    cad_receivable = qbo.named("Account", "Accounts Receivable (A/R)")
    wrong = _usd_invoice(qbo, yankee) | {"ARAccountRef": {"value": cad_receivable["Id"]}}
    assert "needs A/R in USD" in assert_fault(qbo.post("Invoice", wrong), 400, "6000")["Detail"]
    changed = {"Id": yankee["Id"], "SyncToken": yankee["SyncToken"], "sparse": True, "CurrencyRef": {"value": "CAD"}}
    assert "cannot change" in assert_fault(qbo.post("Customer", changed), 400, "6000")["Detail"]


def test_a_payment_is_in_its_invoices_currency_and_lands_at_its_own_rate(qbo: Qbo) -> None:
    _multicurrency(qbo, "USD")
    yankee = qbo.create("Customer", {"DisplayName": "Yankee Co", "CurrencyRef": {"value": "USD"}})
    invoice = qbo.create("Invoice", _usd_invoice(qbo, yankee))
    chequing = qbo.named("Account", "Chequing")
    paying = {
        "CustomerRef": {"value": yankee["Id"]},
        "TotalAmt": Decimal("100.00"),
        "DepositToAccountRef": {"value": chequing["Id"]},
        "Line": [{"Amount": Decimal("100.00"), "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    }
    assert_fault(qbo.post("Payment", paying), 400, "2020")  # no rate: the sandbox has no market rate
    in_cad = paying | {"CurrencyRef": {"value": "CAD"}}
    assert "customer's currency" in assert_fault(qbo.post("Payment", in_cad), 400, "6000")["Detail"]
    qbo.create("Payment", paying | {"ExchangeRate": Decimal("1.3630")})
    paid = qbo.get("Invoice", invoice["Id"]).json()["Invoice"]
    assert (paid["Balance"], paid["HomeBalance"]) == (0, 0)
    assert qbo.named("Account", "Chequing")["CurrentBalance"] == Decimal("136.30")
