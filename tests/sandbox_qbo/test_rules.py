"""Each refusal QBO gives, with its status, Fault type and code."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo import wire

from .helpers import Qbo, assert_fault


def invoice(qbo: Qbo, customer: dict[str, Any], *lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"CustomerRef": {"value": customer["Id"]}, "Line": list(lines), **fields}


def test_stale_sync_token_is_5010(qbo: Qbo) -> None:
    customer = qbo.customer()
    updated = qbo.create("Customer", {**customer, "CompanyName": "Beta"})
    assert updated["SyncToken"] == "1"
    stale = qbo.post("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "late"})
    assert_fault(stale, 400, "5010")


def test_a_stale_invoice_update_is_5010_on_synctoken_and_changes_nothing(qbo: Qbo) -> None:
    """A correction sent with the token from before a payment (which saves the invoice again) is refused in
    QBO's Fault shape; sent with the current token, its `Line` replaces every line and the payment stays."""
    item, customer = qbo.item(), qbo.customer()
    created = qbo.create("Invoice", invoice(qbo, customer, qbo.sales_line(item, "1", "100", "100", "GST")))
    link = [{"TxnId": created["Id"], "TxnType": "Invoice"}]
    payment = {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": Decimal("30"), "Line": []}
    qbo.create("Payment", {**payment, "Line": [{"Amount": Decimal("30"), "LinkedTxn": link}]})
    lines = [qbo.sales_line(item, "2", "100", "200", "GST"), qbo.sales_line(item, "1", "20", "20", "GST")]
    correction = {"Id": created["Id"], "sparse": True, "Line": lines}
    error = assert_fault(qbo.post("Invoice", {**correction, "SyncToken": created["SyncToken"]}), 400, "5010")
    assert (error["Message"], error["element"]) == ("Stale Object Error", "SyncToken")
    current = wire_invoice(qbo, created["Id"])
    assert current["TotalAmt"] == Decimal("105.00") and current["SyncToken"] != created["SyncToken"]
    corrected = qbo.create("Invoice", {**correction, "SyncToken": current["SyncToken"]})
    assert (corrected["Id"], corrected["TotalAmt"], corrected["Balance"]) == (
        created["Id"],
        Decimal("231.00"),
        Decimal("201.00"),
    )
    assert [line["Amount"] for line in corrected["Line"] if line["DetailType"] == "SalesItemLineDetail"] == [
        Decimal("200"),
        Decimal("20"),
    ]


def wire_invoice(qbo: Qbo, invoice_id: str) -> dict[str, Any]:
    response = qbo.get("Invoice", invoice_id)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = wire.loads(response.content)["Invoice"]
    return found


def test_sparse_update_changes_only_the_fields_sent(qbo: Qbo) -> None:
    customer = qbo.create("Customer", {"DisplayName": "Sparse Co", "Notes": "keep me"})
    updated = qbo.create("Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "CompanyName": "SC"})
    assert (updated["Notes"], updated["CompanyName"], updated["SyncToken"]) == ("keep me", "SC", "1")
    assert updated["MetaData"]["CreateTime"] == customer["MetaData"]["CreateTime"]


def test_display_name_clash_with_a_vendor_is_6240_naming_its_id(qbo: Qbo) -> None:
    vendor = qbo.named("Vendor", "Acme Supplies")
    error = assert_fault(qbo.post("Customer", {"DisplayName": "acme supplies"}), 400, "6240")
    assert error["Message"] == "Duplicate Name Exists Error" and f"Id={vendor['Id']}" in error["Detail"]


def test_display_name_clash_with_an_employee_or_customer_is_6240(qbo: Qbo) -> None:
    assert_fault(qbo.post("Customer", {"DisplayName": "Jordan Lee"}), 400, "6240")
    qbo.customer("Unique Co")
    assert_fault(qbo.post("Customer", {"DisplayName": "Unique Co"}), 400, "6240")


def test_item_name_clash_is_6240(qbo: Qbo) -> None:
    qbo.item("Windows")
    income = qbo.named("Account", "Services")
    clash = qbo.post("Item", {"Name": "Windows", "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}})
    assert_fault(clash, 400, "6240")


def test_colon_in_display_name_is_2040(qbo: Qbo) -> None:
    assert_fault(qbo.post("Customer", {"DisplayName": "Parent:Child"}), 400, "2040")


def test_tab_or_newline_in_display_name_is_2040(qbo: Qbo) -> None:
    assert_fault(qbo.post("Customer", {"DisplayName": "Tab\tbed"}), 400, "2040")
    assert_fault(qbo.post("Customer", {"DisplayName": "Two\nlines"}), 400, "2040")


def test_display_name_over_500_characters_is_2050(qbo: Qbo) -> None:
    error = assert_fault(qbo.post("Customer", {"DisplayName": "x" * 501}), 400, "2050")
    assert "Max:500" in error["Detail"]
    assert qbo.post("Customer", {"DisplayName": "x" * 500}).status_code == 200


def test_doc_number_over_21_characters_is_2050(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    error = assert_fault(qbo.post("Invoice", invoice(qbo, customer, line, DocNumber="D" * 22)), 400, "2050")
    assert error["element"] == "DocNumber"


def test_duplicate_doc_number_is_6140_unless_allowed(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    first = qbo.create("Invoice", invoice(qbo, customer, line, DocNumber="SO-1"))
    error = assert_fault(qbo.post("Invoice", invoice(qbo, customer, line, DocNumber="SO-1")), 400, "6140")
    assert f"TxnId={first['Id']}" in error["Detail"]
    allowed = qbo.post("Invoice", invoice(qbo, customer, line, DocNumber="SO-1"), include="allowduplicatedocnum")
    assert allowed.status_code == 200


def test_sales_line_without_item_ref_is_2020(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    del line["SalesItemLineDetail"]["ItemRef"]
    error = assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "2020")
    assert error["element"] == "Line.SalesItemLineDetail.ItemRef"


def test_amount_not_qty_times_unit_price_is_6070(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "3", "33.33", "100.00", "GST")
    assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "6070")
    rounded = qbo.sales_line(item, "1.5", "40.105", "60.16", "GST")  # 60.1575 rounds half-up to 60.16
    assert qbo.post("Invoice", invoice(qbo, customer, rounded)).status_code == 200


def test_line_without_tax_code_in_a_canadian_company_is_6000(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    del line["SalesItemLineDetail"]["TaxCodeRef"]
    error = assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "6000")
    assert "GST/HST" in error["Detail"]


def test_inactive_tax_code_is_610(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "HST NS")
    assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "610")


def test_tax_code_archived_behind_our_back_is_610(client: TestClient, qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    gst = qbo.named("TaxCode", "GST")
    patched = client.patch(f"/_sandbox/realms/{qbo.realm_id}/TaxCode/{gst['Id']}", json={"Active": False})
    assert patched.status_code == 200 and patched.json()["TaxCode"]["SyncToken"] == "1"
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "610")


def test_a_closed_period_refuses_invoices_dated_in_it_as_5010_account_period_closed(
    client: TestClient, qbo: Qbo
) -> None:
    """A bookkeeper sets the books' closing date: an invoice dated in the closed period is neither created nor
    edited (QBO's 5010 with its own message, not a stale token); one dated after it still is."""
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    march = qbo.create("Invoice", invoice(qbo, customer, line, TxnDate="2026-03-02"))
    closed = {"AccountingInfoPrefs": {"BookCloseDate": "2026-03-31"}}
    assert client.patch(f"/_sandbox/realms/{qbo.realm_id}/Preferences/1", json=closed).status_code == 200
    edit = {"Id": march["Id"], "SyncToken": march["SyncToken"], "sparse": True, "Line": [line, line]}
    for refused in (qbo.post("Invoice", edit), qbo.post("Invoice", invoice(qbo, customer, line, TxnDate="2026-03-31"))):
        error = assert_fault(refused, 400, "5010")
        assert (error["Message"], error["Detail"]) == ("Account Period Closed", "The account period has closed. {1}")
    assert wire_invoice(qbo, march["Id"])["SyncToken"] == march["SyncToken"]
    assert qbo.create("Invoice", invoice(qbo, customer, line, TxnDate="2026-04-01"))["TotalAmt"] == Decimal("10.50")


def test_unknown_item_or_customer_reference_is_2500(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    line = qbo.sales_line(item, "1", "10", "10", "GST")
    line["SalesItemLineDetail"]["ItemRef"] = {"value": "999"}
    assert_fault(qbo.post("Invoice", invoice(qbo, customer, line)), 400, "2500")
    assert_fault(
        qbo.post("Invoice", invoice(qbo, {"Id": "999"}, qbo.sales_line(item, "1", "1", "1", "GST"))), 400, "2500"
    )


def test_item_on_inactive_income_account_is_610(qbo: Qbo) -> None:
    old = qbo.named("Account", "Old Sales Income")
    assert old["Active"] is False
    response = qbo.post("Item", {"Name": "Legacy", "Type": "Service", "IncomeAccountRef": {"value": old["Id"]}})
    assert_fault(response, 400, "610")


def test_service_item_without_income_account_is_2020(qbo: Qbo) -> None:
    error = assert_fault(qbo.post("Item", {"Name": "Bare", "Type": "NonInventory"}), 400, "2020")
    assert error["element"] == "IncomeAccountRef"


def test_payment_over_the_open_balance_is_6000(qbo: Qbo) -> None:
    item, customer = qbo.item(), qbo.customer()
    created = qbo.create("Invoice", invoice(qbo, customer, qbo.sales_line(item, "1", "100", "100", "GST")))
    assert created["TotalAmt"] == Decimal("105.00")
    link = [{"TxnId": created["Id"], "TxnType": "Invoice"}]
    over = {
        "CustomerRef": {"value": customer["Id"]},
        "TotalAmt": Decimal("106"),
        "Line": [{"Amount": Decimal("106"), "LinkedTxn": link}],
    }
    assert_fault(qbo.post("Payment", over), 400, "6000")
    first = {
        "CustomerRef": {"value": customer["Id"]},
        "TotalAmt": Decimal("100"),
        "Line": [{"Amount": Decimal("100"), "LinkedTxn": link}],
    }
    qbo.create("Payment", first)
    second = {
        "CustomerRef": {"value": customer["Id"]},
        "TotalAmt": Decimal("10"),
        "Line": [{"Amount": Decimal("10"), "LinkedTxn": link}],
    }
    assert_fault(qbo.post("Payment", second), 400, "6000")


def test_payment_deposits_only_to_a_bank_account_or_undeposited_funds(qbo: Qbo) -> None:
    """Anything else (an income account, Inventory Asset: an Other Current Asset that is not Undeposited Funds)
    is 6000, and nothing is saved."""
    item, customer = qbo.item(), qbo.customer()
    created = qbo.create("Invoice", invoice(qbo, customer, qbo.sales_line(item, "1", "100", "100", "GST")))
    accounts = {a["Name"]: a["Id"] for a in qbo.rows("SELECT * FROM Account")}

    def paid(account: str, amount: str) -> dict[str, Any]:
        return {
            "CustomerRef": {"value": customer["Id"]},
            "TotalAmt": Decimal(amount),
            "DepositToAccountRef": {"value": accounts[account]},
            "Line": [{"Amount": Decimal(amount), "LinkedTxn": [{"TxnId": created["Id"], "TxnType": "Invoice"}]}],
        }

    for wrong in ("Services", "Inventory Asset", "Tips Payable"):
        refused = qbo.post("Payment", paid(wrong, "10"))
        assert_fault(refused, 400, "6000")
        assert "bank account or Undeposited Funds" in refused.text
    assert qbo.rows("SELECT * FROM Payment") == []
    for account in ("Card Clearing", "Cash Drawer", "Chequing", "Undeposited Funds"):
        saved = qbo.create("Payment", paid(account, "10"))
        assert saved["DepositToAccountRef"]["value"] == accounts[account]


def test_malformed_json_is_2010(qbo: Qbo) -> None:
    response = qbo.client.post(
        f"{qbo.base}/customer",
        content=b'{"DisplayName": ',
        headers={**qbo.headers(), "Content-Type": "application/json"},
    )
    error = assert_fault(response, 400, "2010")
    assert error["Message"] == "Request has invalid or unsupported property"


def test_unknown_id_is_610_and_tax_codes_are_read_only(qbo: Qbo) -> None:
    assert_fault(qbo.get("Customer", "4242"), 400, "610")
    assert_fault(qbo.post("TaxCode", {"Name": "Mine"}), 400, "500")
