"""Refund receipts in the QBO sandbox: priced like an invoice, paid out of a Bank account or Undeposited Funds
(`DepositToAccountRef`, required), no balance left, found by DocNumber and stamp, XSD element names only."""

from decimal import Decimal
from typing import Any

import pytest

from .helpers import Qbo, assert_fault
from .test_contract import schema, unknown_names  # noqa: F401 - the module-scoped XSD fixture

REFUND_FROM = "Undeposited Funds"


def refund_body(qbo: Qbo, amount: str = "40.00", account: str | None = REFUND_FROM, **fields: Any) -> dict[str, Any]:
    customer = qbo.customer(f"Refunded Customer {amount} {account}")
    item = qbo.item(f"Refunded work {amount} {account}")
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [qbo.sales_line(item, "1", amount, amount, "GST")]}
    if account is not None:
        body["DepositToAccountRef"] = {"value": qbo.named("Account", account)["Id"]}
    return {**body, **fields}


def test_a_refund_receipt_is_priced_paid_out_and_found_by_its_stamp(qbo: Qbo) -> None:
    receipt = qbo.create("RefundReceipt", refund_body(qbo, PrivateNote="SO-R7 Part returned unused"))
    assert (receipt["TxnTaxDetail"]["TotalTax"], receipt["TotalAmt"]) == (Decimal("2.00"), Decimal("42.00"))
    assert receipt["Balance"] == 0 and receipt["DepositToAccountRef"]["name"] == REFUND_FROM
    found = qbo.rows(f"select * from RefundReceipt where DocNumber = '{receipt['DocNumber']}'")
    assert [row["PrivateNote"] for row in found] == ["SO-R7 Part returned unused"]


def test_a_refund_receipt_needs_an_account_money_can_be_paid_out_of(qbo: Qbo) -> None:
    missing = assert_fault(qbo.post("RefundReceipt", refund_body(qbo, "10.00", None)), 400, "2020")
    assert missing["element"] == "DepositToAccountRef"
    income = qbo.post("RefundReceipt", refund_body(qbo, "11.00", "Services"))
    assert "bank account or Undeposited Funds" in assert_fault(income, 400, "6000")["Detail"]
    assert qbo.create("RefundReceipt", refund_body(qbo, "12.00", "Chequing"))["TotalAmt"] == Decimal("12.60")


def test_a_refund_receipt_of_nothing_is_refused(qbo: Qbo) -> None:
    assert_fault(qbo.post("RefundReceipt", refund_body(qbo, "0.00")), 400, "6000")


@pytest.mark.contract
def test_a_refund_receipt_uses_only_xsd_element_names(schema: Any, qbo: Qbo) -> None:  # noqa: F811
    receipt = qbo.create("RefundReceipt", refund_body(qbo, "13.00", PrivateNote="SO-R8"))
    read = qbo.get("RefundReceipt", receipt["Id"]).json()["RefundReceipt"]
    assert unknown_names(schema.types["RefundReceipt"], read, "RefundReceipt") == []
