"""Deposits (Finance.xsd `Deposit`): money into a bank account, each line from an account (`DepositLineDetail`).

What QBO refuses, modelled here (the stricter reading where Intuit does not document it):
- `DepositToAccountRef` is required and must be an active Bank account. The XSD calls it "the Asset Account (bank
  account)"; QBO's UI never offers Undeposited Funds as a deposit's target (a deposit is what empties it) and real
  QBO answers "Select a bank account for this deposit" (python-quickbooks#391). Whether its API takes Undeposited
  Funds or another asset account is not documented, so the sandbox refuses every non-Bank account (6000).
- a line without `LinkedTxn` needs `DepositLineDetail.AccountRef` (2020, as python-quickbooks#329 shows), an
  active account other than the deposit's own; a line's `Entity`, when given, must be a known customer.
- a line linking a transaction deposits one whole Payment held in Undeposited Funds (`LinkedTxn` of TxnType
  Payment, no DetailType: python-quickbooks#329), not voided and not deposited already, for its TotalAmt
  (stricter: QBO's UI deposits payments whole); other linked types are not modelled: refused (6000). The payment
  then names its deposit in its own `LinkedTxn`, and cannot be voided or changed until the deposit lets it go.
- the deposit's total (QBO computes `TotalAmt` from the lines) must be above zero (stricter: undocumented).
- an update is never sparse: QBO does not honour `sparse` for a Deposit and asks for `DepositToAccountRef` and
  `Line` again (intuit/quickbooks-online-mcp-server#124); the sandbox refuses a sparse update (2020).
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import cents, to_decimal
from ledger_sync.sandboxes.qbo.rules import money, reference
from ledger_sync.sandboxes.qbo.voiding import is_voided

DETAIL = "DepositLineDetail"


def check_sparse(request: dict[str, Any]) -> None:
    """A Deposit update must be whole (see the module's docstring)."""
    if request.get("sparse") is True:
        raise faults.required("DepositToAccountRef")


def check_deposit(books: Books, body: dict[str, Any]) -> None:
    """The first Fault QBO would give for this deposit, if any."""
    target = reference(books, "Account", body.get("DepositToAccountRef"), "DepositToAccountRef")
    if target.get("AccountType") != "Bank":
        raise faults.business("Select a bank account for this deposit.")
    lines = body.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    total = Decimal(0)
    for line in lines:
        if not isinstance(line, dict):
            raise faults.invalid_value("Line")
        total += money(line.get("Amount"), "Line.Amount")
        if line.get("LinkedTxn"):
            _check_linked_payment(books, line, body.get("Id"))
            continue
        if line.get("DetailType") != DETAIL or not isinstance(line.get(DETAIL), dict):
            raise faults.required(f"Line.{DETAIL}")
        detail = line[DETAIL]
        account = reference(books, "Account", detail.get("AccountRef"), f"Line.{DETAIL}.AccountRef")
        if account["Id"] == target["Id"]:
            raise faults.business("A deposit line cannot come from the account the deposit goes to.")
        if ref_id(detail.get("Entity")) is not None:
            reference(books, "Customer", detail["Entity"], f"Line.{DETAIL}.Entity")
    if total <= 0:
        raise faults.business("A deposit must total more than zero.")


def _check_linked_payment(books: Books, line: dict[str, Any], deposit_id: object) -> None:
    links = line["LinkedTxn"]
    if not isinstance(links, list) or len(links) != 1 or not isinstance(links[0], dict):
        raise faults.invalid_value("Line.LinkedTxn")
    if links[0].get("TxnType") != "Payment":
        raise faults.business("Only payments can be deposited by linking them in this sandbox.")
    payment = books.get("Payment", str(links[0].get("TxnId")))
    if payment is None:
        raise faults.invalid_reference("Line.LinkedTxn.TxnId")
    if is_voided(payment):
        raise faults.business(f"Payment {payment['Id']} has been voided and cannot be deposited.")
    held = books.get("Account", ref_id(payment.get("DepositToAccountRef")) or "") or {}
    if held.get("AccountSubType") != "UndepositedFunds":
        raise faults.business(
            f"Payment {payment['Id']} is not held in Undeposited Funds; only those payments can be deposited."
        )
    other = deposited_by(payment)
    if other is not None and other != str(deposit_id):
        raise faults.business(f"Payment {payment['Id']} is already deposited (deposit {other}).")
    if money(line.get("Amount"), "Line.Amount") != to_decimal(payment["TotalAmt"]):
        raise faults.business(f"A deposit takes payment {payment['Id']} whole: {payment['TotalAmt']}.")


def deposited_by(payment: dict[str, Any]) -> str | None:
    """The deposit a payment is in, as the payment names it (its own top-level `LinkedTxn`), if any."""
    return next((str(t["TxnId"]) for t in payment.get("LinkedTxn") or [] if t.get("TxnType") == "Deposit"), None)


def linked_payment_ids(deposit: dict[str, Any]) -> set[str]:
    return {
        str(linked["TxnId"])
        for line in deposit.get("Line") or []
        for linked in line.get("LinkedTxn") or []
        if linked.get("TxnType") == "Payment"
    }


def settle(books: Books, body: dict[str, Any]) -> dict[str, Any]:
    """Money as exact cents, `TotalAmt` computed from the lines, the accounts named."""
    lines = []
    for line in body["Line"]:
        if line.get("LinkedTxn"):
            lines.append({**line, "Amount": cents(line["Amount"])})
            continue
        detail = line[DETAIL]
        account = books.get("Account", ref_id(detail["AccountRef"]) or "") or {}
        named = {**detail, "AccountRef": {**detail["AccountRef"], "name": account.get("Name", "")}}
        lines.append({**line, "Amount": cents(line["Amount"]), DETAIL: named})
    target = books.get("Account", ref_id(body["DepositToAccountRef"]) or "") or {}
    return {
        **body,
        "Line": lines,
        "TotalAmt": sum((line["Amount"] for line in lines), Decimal("0.00")),
        "DepositToAccountRef": {**body["DepositToAccountRef"], "name": target.get("Name", "")},
    }
