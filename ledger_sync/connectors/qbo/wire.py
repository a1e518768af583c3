"""Ledger records to QBO JSON, and QBO JSON to the ledger-neutral account and tax-rate types.

Every record carries its external id ("stamp") in a field QBO keeps but does not interpret, so that
`find_by_external_id` can tell our records from a same-named one somebody else created.
Money stays Decimal end to end (see `ledger_sync.connectors.jsonnum`).
"""

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger_sync.core.ledger import LedgerAccount, LedgerRef, LedgerTaxRate
from ledger_sync.core.records import (
    Address,
    CustomerRecord,
    EntityType,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
)

QBO_ENTITY = {
    EntityType.CUSTOMER: "Customer",
    EntityType.ITEM: "Item",
    EntityType.INVOICE: "Invoice",
    EntityType.PAYMENT: "Payment",
}
STAMP_FIELDS = {
    EntityType.CUSTOMER: ("Notes",),
    EntityType.ITEM: ("Sku",),
    EntityType.INVOICE: ("PrivateNote",),
    EntityType.PAYMENT: ("PaymentRefNum", "PrivateNote"),
}
"""Where each entity carries our external id."""

JsonObject = dict[str, Any]


def ref(value: str) -> JsonObject:
    return {"value": value}


def to_qbo(record: LedgerRecord, existing: LedgerRef | None = None) -> JsonObject:
    """The create body, or with `existing` a sparse update of the same fields (invoice lines are all sent)."""
    match record:
        case CustomerRecord():
            body = _customer(record)
        case ItemRecord():
            body = _item(record)
        case InvoiceRecord():
            body = _invoice(record)
        case PaymentRecord():
            body = _payment(record)
    if existing is None:
        return body
    return {"Id": existing.id, "SyncToken": existing.sync_token or "0", "sparse": True, **body}


def is_stamped(entity_type: EntityType, entity: Mapping[str, Any], external_id: str) -> bool:
    """True if the QBO entity carries `external_id` as a whole word in one of its stamp fields."""
    return any(external_id in str(entity.get(name) or "").split() for name in STAMP_FIELDS[entity_type])


def ledger_ref(entity: Mapping[str, Any]) -> LedgerRef:
    return LedgerRef(id=str(entity["Id"]), sync_token=str(entity["SyncToken"]) if "SyncToken" in entity else None)


def _customer(record: CustomerRecord) -> JsonObject:
    body: JsonObject = {"DisplayName": record.display_name, "Notes": record.external_id}
    if record.email:
        body["PrimaryEmailAddr"] = {"Address": record.email}
    if record.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": record.phone}
    if record.address:
        body["BillAddr"] = _address(record.address)
    return body


def _address(address: Address) -> JsonObject:
    return {
        "Line1": address.line1,
        "City": address.city,
        "CountrySubDivisionCode": address.region,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }


def _item(record: ItemRecord) -> JsonObject:
    return {
        "Type": "Service",
        "Name": record.name,
        "Description": record.description,
        "UnitPrice": record.unit_price,
        "IncomeAccountRef": ref(record.income_account_ref),
        "Sku": record.external_id,
    }


def _invoice(record: InvoiceRecord) -> JsonObject:
    lines = [
        {
            "LineNum": number,
            "Amount": line.amount,
            "Description": line.description,
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": ref(line.item_ref),
                "Qty": line.quantity,
                "UnitPrice": line.unit_price,
                "TaxCodeRef": ref(line.tax_code_ref),
            },
        }
        for number, line in enumerate(record.lines, start=1)
    ]
    tax_lines = [
        {
            "Amount": tax.amount,
            "DetailType": "TaxLineDetail",
            "TaxLineDetail": {
                "TaxRateRef": ref(tax.tax_rate_ref),
                "PercentBased": True,
                "TaxPercent": tax.rate_percent,
                "NetAmountTaxable": tax.net_taxable,
            },
        }
        for tax in record.tax_lines
    ]
    return {
        "DocNumber": record.number,
        "TxnDate": record.issue_date.isoformat(),
        "DueDate": record.due_date.isoformat(),
        "CustomerRef": ref(record.customer_ref),
        "CurrencyRef": ref(record.currency),
        "GlobalTaxCalculation": "TaxExcluded",
        "PrivateNote": record.external_id,
        "Line": lines,
        "TxnTaxDetail": {"TotalTax": record.total_tax, "TaxLine": tax_lines},
    }


def _payment(record: PaymentRecord) -> JsonObject:
    return {
        "CustomerRef": ref(record.customer_ref),
        "TotalAmt": record.amount,
        "TxnDate": record.paid_on.isoformat(),
        "PaymentRefNum": record.external_id,
        "PrivateNote": f"{record.external_id} {record.method}".strip(),
        "DepositToAccountRef": ref(record.deposit_account_ref),
        "Line": [{"Amount": record.amount, "LinkedTxn": [{"TxnId": record.invoice_ref, "TxnType": "Invoice"}]}],
    }


_ACCOUNT_TYPES = {
    "Income": "income",
    "Other Income": "income",
    "Bank": "bank",
    "Other Current Asset": "other_current_asset",
    "Other Current Liability": "liability",
    "Long Term Liability": "liability",
    "Accounts Payable": "liability",
    "Credit Card": "liability",
    "Expense": "expense",
    "Other Expense": "expense",
    "Cost of Goods Sold": "expense",
}


def to_account(account: Mapping[str, Any]) -> LedgerAccount:
    kind = _ACCOUNT_TYPES.get(str(account.get("AccountType")), "other")
    if kind == "other_current_asset" and account.get("AccountSubType") == "UndepositedFunds":
        kind = "undeposited_funds"
    return LedgerAccount(
        id=str(account["Id"]),
        name=str(account.get("Name", "")),
        type=kind,
        active=bool(account.get("Active", True)),
        code=account.get("AcctNum") or None,
    )


def to_tax_rates(codes: Sequence[Mapping[str, Any]], rates: Sequence[Mapping[str, Any]]) -> list[LedgerTaxRate]:
    """One entry per TaxCode with exactly one sales TaxRate.

    Codes combining several sales rates are left out on purpose: a single rate_ref cannot describe
    their tax lines, so mapping to them must fail visibly rather than post wrong tax.
    """
    rates_by_id = {str(rate["Id"]): rate for rate in rates}
    result = []
    for code in codes:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        if len(details) != 1:
            continue
        rate = rates_by_id.get(str(details[0]["TaxRateRef"]["value"]))
        if rate is None or rate.get("RateValue") is None:
            continue
        result.append(
            LedgerTaxRate(
                id=str(code["Id"]),
                name=str(code.get("Name", "")),
                rate_percent=Decimal(str(rate["RateValue"])),
                active=bool(code.get("Active", True)) and bool(rate.get("Active", True)),
                rate_ref=str(rate["Id"]),
            )
        )
    return result
