"""Credit memos in the QBO sandbox, and how QBO applies one to an invoice: a payment linking both."""

from decimal import Decimal
from typing import Any

from .helpers import Qbo, assert_fault
from .test_ledger import make_invoice


def make_memo(qbo: Qbo, customer_id: str, amount: str = "40.00", **fields: Any) -> dict[str, Any]:
    item = qbo.named("Item", "Gutter cleaning")
    line = qbo.sales_line(item, "1", amount, amount, "GST")
    return qbo.create("CreditMemo", {"CustomerRef": {"value": customer_id}, "Line": [line], **fields})


def apply_credit(qbo: Qbo, memo: dict[str, Any], invoice: dict[str, Any], amount: str, **fields: Any):
    """A payment of TotalAmt 0 whose invoice line is paid by its credit memo line."""
    body = {
        "CustomerRef": memo["CustomerRef"],
        "TotalAmt": 0,
        "Line": [
            {"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
            {"Amount": amount, "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
        ],
        **fields,
    }
    return qbo.post("Payment", body)


def test_a_credit_memo_is_priced_like_an_invoice_and_found_by_its_stamp(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    memo = make_memo(qbo, invoice["CustomerRef"]["value"], PrivateNote="SO-N7")
    assert (memo["TxnTaxDetail"]["TotalTax"], memo["TotalAmt"]) == (Decimal("2.00"), Decimal("42.00"))
    assert memo["Balance"] == memo["RemainingCredit"] == Decimal("42.00") and memo["DocNumber"] == "1001"
    assert memo["LinkedTxn"] == []
    found = qbo.rows(f"select * from CreditMemo where DocNumber = '{memo['DocNumber']}'")
    assert [row["PrivateNote"] for row in found] == ["SO-N7"]
    assert qbo.get("CreditMemo", memo["Id"]).status_code == 200


def test_a_credit_memo_below_zero_is_refused(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    item = qbo.named("Item", "Gutter cleaning")
    line = qbo.sales_line(item, "-1", "10.00", "-10.00", "GST")
    response = qbo.post("CreditMemo", {"CustomerRef": invoice["CustomerRef"], "Line": [line]})
    assert_fault(response, 400, "6000")


def test_applying_a_credit_memo_lowers_both_balances_and_is_linked_both_ways(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)  # 169.45
    memo = make_memo(qbo, invoice["CustomerRef"]["value"])  # 42.00
    response = apply_credit(qbo, memo, invoice, "30.00")
    assert response.status_code == 200, response.text
    payment = response.json()["Payment"]
    assert (Decimal(str(payment["TotalAmt"])), Decimal(str(payment["UnappliedAmt"]))) == (0, 0)
    invoice_now = qbo.get("Invoice", invoice["Id"]).json()["Invoice"]
    memo_now = qbo.get("CreditMemo", memo["Id"]).json()["CreditMemo"]
    assert Decimal(str(invoice_now["Balance"])) == Decimal("139.45")
    assert Decimal(str(memo_now["Balance"])) == Decimal(str(memo_now["RemainingCredit"])) == Decimal("12.00")
    assert memo_now["LinkedTxn"] == invoice_now["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]


def test_a_credit_larger_than_the_memo_or_the_invoice_balance_is_refused(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)  # 169.45
    memo = make_memo(qbo, invoice["CustomerRef"]["value"])  # 42.00
    fault = assert_fault(apply_credit(qbo, memo, invoice, "42.01"), 400, "6000")
    assert "remaining credit" in str(fault)
    big = make_memo(qbo, invoice["CustomerRef"]["value"], amount="200.00")  # 210.00
    fault = assert_fault(apply_credit(qbo, big, invoice, "169.46"), 400, "6000")
    assert "open balance" in str(fault)
    assert apply_credit(qbo, big, invoice, "169.45").status_code == 200
    assert Decimal(str(qbo.get("Invoice", invoice["Id"]).json()["Invoice"]["Balance"])) == 0


def test_invoice_lines_beyond_the_credit_applied_need_money(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    memo = make_memo(qbo, invoice["CustomerRef"]["value"])
    lines = [
        {"Amount": "30.00", "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]},
        {"Amount": "20.00", "LinkedTxn": [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]},
    ]
    short = qbo.post("Payment", {"CustomerRef": memo["CustomerRef"], "TotalAmt": 0, "Line": lines})
    assert "more than the payment's total" in str(assert_fault(short, 400, "6000"))
    paid = qbo.post("Payment", {"CustomerRef": memo["CustomerRef"], "TotalAmt": "10.00", "Line": lines})
    assert paid.status_code == 200, paid.text
    assert Decimal(str(paid.json()["Payment"]["UnappliedAmt"])) == 0
    assert Decimal(str(qbo.get("Invoice", invoice["Id"]).json()["Invoice"]["Balance"])) == Decimal("139.45")


def test_a_credit_memo_of_another_customer_cannot_pay_an_invoice(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    other = qbo.customer("Someone Else")
    memo = make_memo(qbo, other["Id"])
    fault = assert_fault(apply_credit(qbo, memo, invoice, "1.00"), 400, "6000")
    assert "another customer" in str(fault)
