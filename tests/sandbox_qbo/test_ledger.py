"""The new company's books, invoice tax and totals, and payments against invoices."""

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo import wire

from .helpers import Qbo


def test_new_company_has_a_canadian_chart_and_sales_taxes(client: TestClient, qbo: Qbo) -> None:
    accounts = {a["Name"]: a for a in client.get(f"/_sandbox/realms/{qbo.realm_id}/Account").json()}
    assert accounts["Undeposited Funds"]["AccountSubType"] == "UndepositedFunds"
    assert accounts["Undeposited Funds"]["AccountType"] == "Other Current Asset"
    assert accounts["GST/HST Payable"]["AccountSubType"] == "GlobalTaxPayable"
    assert accounts["Chequing"]["AccountType"] == "Bank" and accounts["Old Sales Income"]["Active"] is False
    assert {"Sales of Product Income", "Services", "Labour Income", "Service Plan Income"} <= set(accounts)
    hst = qbo.named("TaxCode", "HST ON")
    [detail] = hst["SalesTaxRateList"]["TaxRateDetail"]
    assert detail["TaxTypeApplicable"] == "TaxOnAmount"
    rate = wire.loads(qbo.get("TaxRate", detail["TaxRateRef"]["value"]).content)["TaxRate"]
    assert (rate["Name"], rate["RateValue"]) == ("HST ON", Decimal("13"))
    assert qbo.rows("SELECT * FROM Item") == []
    info = qbo.get("CompanyInfo", qbo.realm_id).json()["CompanyInfo"]
    assert info["Country"] == "CA"


def make_invoice(qbo: Qbo, **fields: Any) -> dict[str, Any]:
    item, customer = qbo.item(), qbo.customer()
    lines = [
        qbo.sales_line(item, "3", "33.33", "99.99", "GST"),
        qbo.sales_line(item, "1", "0.10", "0.10", "GST"),
        qbo.sales_line(item, "1.5", "40.10", "60.15", "PST BC"),
    ]
    return qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": lines, **fields})


def test_tax_is_computed_per_rate_over_summed_lines_half_up(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    detail = invoice["TxnTaxDetail"]
    gst, pst = detail["TaxLine"]
    assert gst["TaxLineDetail"]["NetAmountTaxable"] == Decimal("100.09")
    assert gst["Amount"] == Decimal("5.00")  # 100.09 x 5% = 5.0045 -> 5.00 (per line it would be 5.00 + 0.01)
    assert (pst["Amount"], pst["TaxLineDetail"]["TaxPercent"]) == (Decimal("4.21"), Decimal("7"))  # 4.2105
    assert gst["TaxLineDetail"]["PercentBased"] is True and gst["DetailType"] == "TaxLineDetail"
    assert detail["TotalTax"] == Decimal("9.21")
    assert invoice["TotalAmt"] == invoice["Balance"] == Decimal("169.45")
    assert invoice["GlobalTaxCalculation"] == "TaxExcluded"
    assert invoice["Line"][-1]["DetailType"] == "SubTotalLineDetail" and invoice["Line"][-1]["Amount"] == Decimal(
        "160.24"
    )
    assert invoice["DocNumber"] == "1001" and invoice["SyncToken"] == "0" and invoice["CurrencyRef"]["value"] == "CAD"


def test_supplied_tax_amounts_are_kept(qbo: Qbo) -> None:
    gst_rate = qbo.named("TaxRate", "GST")
    override = {
        "TaxLine": [
            {
                "Amount": Decimal("5.01"),
                "DetailType": "TaxLineDetail",
                "TaxLineDetail": {"TaxRateRef": {"value": gst_rate["Id"]}},
            }
        ]
    }
    invoice = make_invoice(qbo, TxnTaxDetail=override, GlobalTaxCalculation="TaxExcluded")
    assert invoice["TxnTaxDetail"]["TotalTax"] == Decimal("5.01")
    assert invoice["TotalAmt"] == Decimal("165.25")


def test_sending_lines_replaces_all_lines(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    item_ref = invoice["Line"][0]["SalesItemLineDetail"]["ItemRef"]
    line = qbo.sales_line({"Id": item_ref["value"]}, "2", "10", "20", "HST ON")
    updated = qbo.create("Invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "Line": [line]})
    assert [entry["DetailType"] for entry in updated["Line"]] == ["SalesItemLineDetail", "SubTotalLineDetail"]
    assert (updated["TxnTaxDetail"]["TotalTax"], updated["TotalAmt"]) == (Decimal("2.60"), Decimal("22.60"))


def test_payment_reduces_the_balance_and_keeps_the_remainder_unapplied(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    payment = qbo.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": Decimal("100.00"),
            "Line": [{"Amount": Decimal("60.00"), "LinkedTxn": link}],
        },
    )
    assert (payment["TotalAmt"], payment["UnappliedAmt"]) == (Decimal("100.00"), Decimal("40.00"))
    assert payment["DepositToAccountRef"]["name"] == "Undeposited Funds"
    stored = wire.loads(qbo.get("Invoice", invoice["Id"]).content)["Invoice"]
    assert stored["Balance"] == Decimal("109.45") and stored["SyncToken"] == "1"
    assert stored["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    rest = {"CustomerRef": invoice["CustomerRef"], "TotalAmt": Decimal("109.45")}
    qbo.create("Payment", {**rest, "Line": [{"Amount": Decimal("109.45"), "LinkedTxn": link}]})
    assert wire.loads(qbo.get("Invoice", invoice["Id"]).content)["Invoice"]["Balance"] == Decimal("0.00")


def test_request_log_marks_writes_and_admin_lists_entities(client: TestClient, qbo: Qbo) -> None:
    since = client.get("/_sandbox/requests").json()[-1]["id"]
    qbo.customer("Logged Co")
    qbo.query("SELECT * FROM Customer")
    entries = client.get("/_sandbox/requests", params={"since": since}).json()
    assert [(e["method"], e["write"], e["status"]) for e in entries] == [("POST", True, 200), ("GET", False, 200)]
    assert entries[0]["path"] == f"/v3/company/{qbo.realm_id}/customer" and "minorversion=75" in entries[0]["query"]
    listed = client.get(f"/_sandbox/realms/{qbo.realm_id}/customer").json()
    assert [c["DisplayName"] for c in listed] == ["Logged Co"]
    now = client.post("/_sandbox/clock/advance", json={"seconds": 10}).json()["now"]
    assert now.endswith(("-07:00", "-08:00"))


def test_request_log_marks_a_batch_of_queries_as_a_read_and_any_other_batch_as_a_write(
    client: TestClient, qbo: Qbo
) -> None:
    since = client.get("/_sandbox/requests").json()[-1]["id"]
    qbo.batch([{"bId": "0", "Query": "SELECT * FROM Account"}, {"bId": "1", "Query": "SELECT * FROM CompanyInfo"}])
    made = {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batched Co"}}
    qbo.batch([{"bId": "0", "Query": "SELECT * FROM Customer"}, made])
    entries = client.get("/_sandbox/requests", params={"since": since}).json()
    assert [(e["path"].rsplit("/", 1)[1], e["write"]) for e in entries] == [("batch", False), ("batch", True)]
