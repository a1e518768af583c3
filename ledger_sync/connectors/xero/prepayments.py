"""A payment that leaves the customer credit, as Xero holds it: a deposit taken before its invoice exists is a
RECEIVE-PREPAYMENT, an overpayment a RECEIVE-OVERPAYMENT, each of the payment's whole amount (`PUT
/BankTransactions`), then allocated to the invoice for what it pays (`PUT /{Prepayments|Overpayments}/{id}
/Allocations`); what is not allocated is the contact's credit (`RemainingCredit`). Xero's Prepayment has no
Reference of its own (the spec: "Reference field isn't available"), so the stamp lives on the bank transaction,
which names the credit it made (`PrepaymentID` / `OverpaymentID`)."""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ledger_sync.connectors.xero import fields
from ledger_sync.core.ledger import LedgerRef, LedgerSnapshot
from ledger_sync.core.records import PaymentRecord

KINDS = {
    "RECEIVE-PREPAYMENT": ("Prepayments", "PrepaymentID"),
    "RECEIVE-OVERPAYMENT": ("Overpayments", "OverpaymentID"),
}
"""Bank transaction Type -> the collection of the credit it makes and that credit's id field."""
TYPES_WHERE = " OR ".join(f'Type=="{kind}"' for kind in KINDS)
NO_TAX = "NONE"


def leaves_credit(record: PaymentRecord) -> bool:
    """A deposit not yet applied, or an overpayment: Xero takes it as the contact's credit, not as a payment."""
    return record.credit > 0


def receipt(record: PaymentRecord, receivable_code: str) -> dict[str, Any]:
    """The bank transaction receiving the whole payment as the contact's credit: a prepayment while there is no
    invoice, an overpayment when it pays one. Its one untaxed line is coded to Accounts Receivable, which Xero asks
    of an overpayment, so nothing reaches revenue before the invoice does (the invoice carries the revenue)."""
    kind = "RECEIVE-OVERPAYMENT" if record.invoice_ref else "RECEIVE-PREPAYMENT"
    what = "Overpayment" if record.invoice_ref else "Deposit"
    return {
        "Type": kind,
        "Contact": {"ContactID": record.customer_ref},
        "BankAccount": {"AccountID": record.deposit_account_ref},
        "Date": record.paid_on.isoformat(),
        "Reference": fields.payment_reference(record),
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": f"{what} {record.external_id}",
                "Quantity": Decimal(1),
                "UnitAmount": record.amount,
                "AccountCode": receivable_code,
                "TaxType": NO_TAX,
                "LineAmount": record.amount,
            }
        ],
    }


def credit_of(transaction: Mapping[str, Any]) -> tuple[str, str] | None:
    """(collection, id) of the credit a prepayment or overpayment bank transaction made; None for another one."""
    kind = KINDS.get(str(transaction.get("Type")))
    if kind is None or not transaction.get(kind[1]):
        return None
    return kind[0], str(transaction[kind[1]])


def allocation(record: PaymentRecord) -> dict[str, Any]:
    return {
        "Allocations": [
            {
                "Invoice": {"InvoiceID": record.invoice_ref},
                "Amount": record.applied_amount,
                "Date": record.paid_on.isoformat(),
            }
        ]
    }


def allocated_to(credit: Mapping[str, Any], invoice_id: str) -> bool:
    """The credit has a live allocation to the invoice (made before: a re-run leaves it)."""
    return any(
        str((a.get("Invoice") or {}).get("InvoiceID")) == invoice_id and not a.get("IsDeleted")
        for a in credit.get("Allocations") or []
    )


def is_credit(document: Mapping[str, Any]) -> bool:
    """A prepayment or overpayment as read from its own collection (not a payment, not its bank transaction)."""
    return "PrepaymentID" in document or "OverpaymentID" in document


def credit_ref(credit: Mapping[str, Any]) -> LedgerRef:
    return LedgerRef(str(credit.get("PrepaymentID") or credit.get("OverpaymentID")))


def snapshot(stamp: str, credit: Mapping[str, Any]) -> LedgerSnapshot:
    """The payment as reconciliation reads it: its whole amount, and the credit left unallocated as `balance`."""
    return LedgerSnapshot(
        credit_ref(credit).id,
        stamp,
        Decimal(str(credit.get("Total", 0))),
        str((credit.get("Contact") or {}).get("ContactID", "")),
        str(credit.get("Status") or "").upper(),
        balance=Decimal(str(credit.get("RemainingCredit", 0))),
    )
