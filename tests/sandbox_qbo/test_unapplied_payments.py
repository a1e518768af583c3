"""A payment taken before its invoice (no lines: all of it unapplied, the customer's credit), applied later by a
sparse update adding the invoice's line; an overpayment's excess stays unapplied; QBO's refusals."""

from decimal import Decimal

from ledger_sync.sandboxes.qbo import wire

from .helpers import Qbo, assert_fault
from .test_ledger import make_invoice


def test_a_deposit_is_unapplied_until_a_sparse_update_links_its_invoice(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)  # 169.45
    deposit = qbo.create("Payment", {"CustomerRef": invoice["CustomerRef"], "TotalAmt": Decimal("100.00")})
    assert (deposit["UnappliedAmt"], deposit.get("Line") or []) == (Decimal("100.00"), [])
    link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    applied = qbo.create(
        "Payment",
        {
            "Id": deposit["Id"],
            "SyncToken": deposit["SyncToken"],
            "sparse": True,
            "Line": [{"Amount": Decimal("100.00"), "LinkedTxn": link}],
        },
    )
    assert (applied["Id"], applied["TotalAmt"], applied["UnappliedAmt"]) == (deposit["Id"], Decimal("100.00"), 0)
    assert wire.loads(qbo.get("Invoice", invoice["Id"]).content)["Invoice"]["Balance"] == Decimal("69.45")


def test_an_overpayment_keeps_its_excess_unapplied_and_no_line_may_pass_the_balance(qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    customer = invoice["CustomerRef"]
    over = {"CustomerRef": customer, "TotalAmt": Decimal("200.00")}
    beyond = qbo.post("Payment", {**over, "Line": [{"Amount": Decimal("169.46"), "LinkedTxn": link}]})
    assert_fault(beyond, 400, "6000")
    lines_over_total = {"CustomerRef": customer, "TotalAmt": Decimal("50.00")}
    assert_fault(
        qbo.post("Payment", {**lines_over_total, "Line": [{"Amount": "60.00", "LinkedTxn": link}]}), 400, "6000"
    )
    paid = qbo.create("Payment", {**over, "Line": [{"Amount": Decimal("169.45"), "LinkedTxn": link}]})
    assert paid["UnappliedAmt"] == Decimal("30.55")
    stored = wire.loads(qbo.get("Invoice", invoice["Id"]).content)["Invoice"]
    assert stored["Balance"] == Decimal("0.00")
