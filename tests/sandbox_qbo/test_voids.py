"""Voids: `operation=void` on an invoice, `operation=update&include=void` on a payment, and their refusals."""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import wire

from .helpers import Qbo, assert_fault
from .test_ledger import make_invoice


def pay(qbo: Qbo, invoice: dict[str, Any], amount: str) -> dict[str, Any]:
    link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    return qbo.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": Decimal(amount),
            "Line": [{"Amount": Decimal(amount), "LinkedTxn": link}],
        },
    )


def read(qbo: Qbo, entity: str, entity_id: str) -> dict[str, Any]:
    response = qbo.get(entity, entity_id)
    assert response.status_code == 200, response.text
    return wire.loads(response.content)[entity]


def void_invoice(qbo: Qbo, invoice: dict[str, Any], **params: str) -> Any:
    return qbo.post("Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="void", **params)


def void_payment(qbo: Qbo, payment: dict[str, Any], **params: str) -> Any:
    body = {"Id": payment["Id"], "SyncToken": payment["SyncToken"], "sparse": True}
    return qbo.post("Payment", body, operation="update", include="void", **params)


def test_a_voided_invoice_keeps_its_number_and_customer_at_zero(qbo: Qbo) -> None:
    invoice = make_invoice(qbo, DocNumber="V-1")
    response = void_invoice(qbo, invoice)
    assert response.status_code == 200, response.text
    voided = wire.loads(response.content)["Invoice"]
    assert (voided["DocNumber"], voided["CustomerRef"]["value"]) == ("V-1", invoice["CustomerRef"]["value"])
    assert (voided["TotalAmt"], voided["Balance"], voided["TxnTaxDetail"]["TotalTax"]) == (0, 0, 0)
    assert all(line["Amount"] == 0 for line in voided["Line"] if "Amount" in line)
    assert voided["PrivateNote"] == "Voided" and voided["SyncToken"] == str(int(invoice["SyncToken"]) + 1)
    assert read(qbo, "Invoice", invoice["Id"]) == voided


def test_voiding_with_a_stale_sync_token_is_5010(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    qbo.create(
        "Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "sparse": True, "DueDate": "2026-04-30"}
    )
    assert_fault(void_invoice(qbo, invoice), 400, "5010")


def test_voiding_needs_the_id_and_sync_token(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    assert_fault(qbo.post("Invoice", {"Id": invoice["Id"]}, operation="void"), 400, "2020")
    assert_fault(qbo.post("Invoice", {"Id": "9999", "SyncToken": "0"}, operation="void"), 400, "610")


def test_an_invoice_with_a_payment_applied_is_not_voided_until_the_payment_is(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    payment = pay(qbo, invoice, "60.00")
    error = assert_fault(void_invoice(qbo, read(qbo, "Invoice", invoice["Id"])), 400, "6000")
    assert payment["Id"] in error["Detail"]
    voided_payment = void_payment(qbo, payment)
    assert voided_payment.status_code == 200, voided_payment.text
    body = wire.loads(voided_payment.content)["Payment"]
    assert (body["TotalAmt"], body["Line"], body["PrivateNote"]) == (0, [], "Voided")
    reopened = read(qbo, "Invoice", invoice["Id"])
    assert reopened["Balance"] == reopened["TotalAmt"] == Decimal("169.45") and reopened["LinkedTxn"] == []
    assert void_invoice(qbo, reopened).status_code == 200


def test_a_voided_transaction_takes_no_further_change(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    payment = pay(qbo, invoice, "10.00")
    assert void_payment(qbo, payment).status_code == 200
    assert_fault(void_payment(qbo, read(qbo, "Payment", payment["Id"])), 400, "6000")
    voided = wire.loads(void_invoice(qbo, read(qbo, "Invoice", invoice["Id"])).content)["Invoice"]
    assert_fault(void_invoice(qbo, voided), 400, "6000")
    edit = {"Id": voided["Id"], "SyncToken": voided["SyncToken"], "sparse": True, "DueDate": "2026-04-30"}
    assert_fault(qbo.post("Invoice", edit), 400, "6000")
    link = [{"TxnId": voided["Id"], "TxnType": "Invoice"}]
    late = {"CustomerRef": voided["CustomerRef"], "TotalAmt": 1, "Line": [{"Amount": 1, "LinkedTxn": link}]}
    assert_fault(qbo.post("Payment", late), 400, "6000")


def test_a_void_is_replayed_for_its_request_id(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    first = void_invoice(qbo, invoice, requestid="void-1")
    again = void_invoice(qbo, invoice, requestid="void-1")
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert read(qbo, "Invoice", invoice["Id"])["SyncToken"] == wire.loads(first.content)["Invoice"]["SyncToken"]


def test_void_is_refused_for_other_entities_and_other_operations(qbo: Qbo) -> None:
    customer = qbo.customer("Void Co")
    assert_fault(qbo.post("Customer", {"Id": customer["Id"], "SyncToken": "0"}, operation="void"), 400, "500")
    payment = pay(qbo, make_invoice(qbo), "5.00")
    assert_fault(qbo.post("Payment", {"Id": payment["Id"], "SyncToken": "0"}, operation="void"), 400, "500")
