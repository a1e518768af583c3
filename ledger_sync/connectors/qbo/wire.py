"""Ledger records to QBO JSON, and QBO JSON to the ledger-neutral account and tax-rate types.

Every record carries its external id ("stamp") in a field QBO keeps but does not interpret, so that
`find_by_external_id` can tell our records from a same-named one somebody else created.
Money stays Decimal end to end (see `ledger_sync.connectors.jsonnum`). Invoices are built for the company's
tax model (`tax_model`): explicit tax lines per rate outside the US; `TAX`/`NON` lines, the invoice's one
combined code and Service Opus's tax as the `TotalTax` override in the US. Text is made to fit QBO's field
limits by `fields`, and no string sent holds a character XML 1.0 cannot.

Discounts, in every tax model: a discount line is a sales line with a negative `Qty` (QBO's own way: the
unit price stays positive); Service Opus's invoice discount is ONE `DiscountLineDetail` line (QBO takes one
per invoice) carrying the exact amount, not a percentage QBO would round on its own, posted to the mapped
Sales Income account. Its tax is in the tax we send: non-US, the per-rate tax lines already count the
discount; US, `ApplyTaxAfterDiscount` (the discount comes off before tax) and the `TotalTax` override.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger_sync.connectors.qbo import fields
from ledger_sync.connectors.qbo.tax_model import US_NON_TAXABLE, US_TAXABLE, QboTaxModel
from ledger_sync.connectors.qbo.tracking import line_refs, revenue_by_option, transaction_refs
from ledger_sync.core.ledger import LedgerAccount, LedgerRef, LedgerSnapshot, LedgerTaxRate
from ledger_sync.core.records import (
    Address,
    CreditApplicationRecord,
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
    PayoutRecord,
    RefundRecord,
    TipRecord,
)
from ledger_sync.core.text import xml_safe_strings

QBO_ENTITY = {
    EntityType.CUSTOMER: "Customer",
    EntityType.ITEM: "Item",
    EntityType.INVOICE: "Invoice",
    EntityType.CREDIT_NOTE: "CreditMemo",
    EntityType.CREDIT_APPLICATION: "Payment",
    EntityType.PAYMENT: "Payment",
    EntityType.TIP: "Deposit",
    EntityType.REFUND: "RefundReceipt",
    EntityType.PAYOUT: "Deposit",
}
STAMP_FIELDS = {
    EntityType.CUSTOMER: ("Notes",),
    EntityType.ITEM: ("Sku",),
    EntityType.INVOICE: ("PrivateNote",),
    EntityType.CREDIT_NOTE: ("PrivateNote",),
    EntityType.CREDIT_APPLICATION: ("PaymentRefNum", "PrivateNote"),
    EntityType.PAYMENT: ("PaymentRefNum", "PrivateNote"),
    EntityType.TIP: ("PrivateNote",),
    EntityType.REFUND: ("PrivateNote",),
    EntityType.PAYOUT: ("PrivateNote",),
}
"""Where each entity carries our external id."""

JsonObject = dict[str, Any]
SalesDocument = InvoiceRecord | CreditNoteRecord
"""What QBO takes as a sales transaction with lines and tax: an Invoice, or a CreditMemo (its credit)."""


def ref(value: str) -> JsonObject:
    return {"value": value}


class MixedUsTaxCodes(ValueError):
    """A US invoice names one tax code; these lines map to several. The message is the parking reason."""


def to_qbo(
    record: LedgerRecord, existing: LedgerRef | None = None, tax_model: QboTaxModel = QboTaxModel.NON_US
) -> JsonObject:
    """The create body, or with `existing` a sparse update of the same fields. An invoice's `Line` carries every
    line, and QBO replaces them all with it, so a correction lands whole; a sparse (not a full) update keeps the
    fields a bookkeeper set that we never send (terms, class, memo), which a full update would clear."""
    match record:
        case CustomerRecord():
            body = _customer(record)
        case ItemRecord():
            body = _item(record)
        case RefundRecord():
            body = _refund_receipt(record, tax_model)
        case InvoiceRecord() | CreditNoteRecord():
            body = _us_invoice(record) if tax_model.is_us else _invoice(record)
        case PaymentRecord():
            body = _payment(record)
        case CreditApplicationRecord():
            body = _credit_application(record)
        case TipRecord():
            body = _tip_deposit(record)
        case PayoutRecord():
            body = _payout_deposit(record)
    body = xml_safe_strings(body)
    if existing is None:
        return body
    # QBO does not honour sparse updates of a Deposit (it asks for DepositToAccountRef and Line again): a tip's or
    # payout's update is a full one, and carries everything a create does.
    sparse = not isinstance(record, TipRecord | PayoutRecord)
    return {"Id": existing.id, "SyncToken": existing.sync_token or "0", "sparse": sparse, **body}


def is_stamped(entity_type: EntityType, entity: Mapping[str, Any], external_id: str) -> bool:
    """True if the QBO entity carries `external_id` as a whole word in one of its stamp fields."""
    return any(external_id in str(entity.get(name) or "").split() for name in STAMP_FIELDS[entity_type])


def ledger_ref(entity: Mapping[str, Any]) -> LedgerRef:
    return LedgerRef(id=str(entity["Id"]), sync_token=str(entity["SyncToken"]) if "SyncToken" in entity else None)


def _customer(record: CustomerRecord) -> JsonObject:
    body: JsonObject = {"DisplayName": fields.display_name(record), "Notes": fields.customer_notes(record)}
    email = fields.email(record)
    if email:
        body["PrimaryEmailAddr"] = {"Address": email}
    if record.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": record.phone}
    if record.address:
        body["BillAddr"] = _address(record.address)
    if record.currency:
        body["CurrencyRef"] = ref(record.currency)
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
        "Name": fields.item_name(record),
        "Description": fields.item_description(record),
        "UnitPrice": record.unit_price,
        "IncomeAccountRef": ref(record.income_account_ref),
        "Sku": record.external_id,
    }


def _sales_lines(record: SalesDocument, line_tax_code: Callable[[str], str]) -> list[JsonObject]:
    """The record's lines, then its discount."""
    lines = [
        {
            "LineNum": number,
            "Amount": line.amount,
            "Description": fields.description(line.description),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": ref(line.item_ref),
                **_quantity_and_price(line),
                "TaxCodeRef": ref(line_tax_code(line.tax_code_ref)),
                **line_refs(line),
            },
        }
        for number, line in enumerate(record.lines, start=1)
    ]
    if isinstance(record, InvoiceRecord) and record.discounts:
        lines.append(
            {
                "LineNum": len(lines) + 1,
                "Amount": -sum((discount.amount for discount in record.discounts), Decimal("0.00")),
                "Description": f"Discount {record.discounts[0].percent}%",
                "DetailType": "DiscountLineDetail",
                "DiscountLineDetail": {
                    "PercentBased": False,
                    "DiscountAccountRef": ref(record.discounts[0].account_ref),
                },
            }
        )
    return lines


def _quantity_and_price(line: InvoiceLineRecord) -> JsonObject:
    """A negative line the way QBO enters one: a negative `Qty` at a positive `UnitPrice` (same amount)."""
    if line.unit_price >= 0:
        return {"Qty": line.quantity, "UnitPrice": line.unit_price}
    return {"Qty": -line.quantity if line.quantity else line.quantity, "UnitPrice": -line.unit_price}


def _invoice_header(record: SalesDocument) -> JsonObject:
    invoice_only = (
        {"DueDate": record.due_date.isoformat(), **transaction_refs(record)}
        if isinstance(record, InvoiceRecord)
        else {}
    )
    return {
        "DocNumber": fields.doc_number(record),
        "TxnDate": record.issue_date.isoformat(),
        **invoice_only,
        "CustomerRef": ref(record.customer_ref),
        "CurrencyRef": ref(record.currency),
        **_exchange_rate(record.exchange_rate),
    }


def _exchange_rate(rate: Decimal | None) -> JsonObject:
    """Service Opus's recorded rate, QBO's way round already (home units per foreign unit); none for home money."""
    return {} if rate is None else {"ExchangeRate": rate}


def _invoice(record: SalesDocument) -> JsonObject:
    """An invoice or credit memo outside the US: Service Opus's tax lines per rate."""
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
        **_invoice_header(record),
        "GlobalTaxCalculation": "TaxExcluded",
        "PrivateNote": fields.private_note(record.external_id),
        "Line": _sales_lines(record, lambda code: code),
        "TxnTaxDetail": {"TotalTax": record.total_tax, "TaxLine": tax_lines},
    }


def us_tax_code(record: SalesDocument) -> str | None:
    """The one combined code a US invoice names (None: every line is `NON`)."""
    codes = sorted({line.tax_code_ref for line in record.lines} - {US_NON_TAXABLE})
    if len(codes) > 1:
        raise MixedUsTaxCodes(
            f"A US QuickBooks invoice carries one sales tax code; the lines of invoice {record.number} map to "
            f"{len(codes)} different codes"
        )
    return codes[0] if codes else None


def _us_invoice(record: SalesDocument) -> JsonObject:
    """`TAX`/`NON` lines and the invoice's combined code; Service Opus's tax always goes as the `TotalTax`
    override: QBO's own figure (combined-rate rounding, or AST's address-based pick) may differ from it,
    and the override is the only way to make it equal (no `GlobalTaxCalculation`: not for US companies)."""
    code = us_tax_code(record)
    tax_detail: JsonObject = {"TotalTax": record.total_tax}
    if code is not None:
        tax_detail = {"TxnTaxCodeRef": ref(code), **tax_detail}
    discount: JsonObject = (
        {"ApplyTaxAfterDiscount": True} if isinstance(record, InvoiceRecord) and record.discounts else {}
    )
    return {
        **_invoice_header(record),
        "PrivateNote": fields.private_note(record.external_id),
        "Line": _sales_lines(record, lambda code: US_NON_TAXABLE if code == US_NON_TAXABLE else US_TAXABLE),
        "TxnTaxDetail": tax_detail,
        **discount,
    }


def _refund_receipt(record: RefundRecord, tax_model: QboTaxModel) -> JsonObject:
    """A RefundReceipt: priced like a credit memo (its lines give back revenue and tax), paid out of
    `DepositToAccountRef` (QBO's "Refund from": the account the refunded payment landed in). It touches no
    invoice's balance and leaves no credit on the customer; the reason follows our stamp in `PrivateNote`."""
    body = _us_invoice(record) if tax_model.is_us else _invoice(record)
    return {
        **body,
        "PrivateNote": fields.private_note(record.external_id, record.reason),
        "DepositToAccountRef": ref(record.deposit_account_ref),
    }


def invoice_totals(invoice: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(total tax, total) of a saved QBO invoice."""
    total_tax = (invoice.get("TxnTaxDetail") or {}).get("TotalTax", 0)
    return Decimal(str(total_tax)), Decimal(str(invoice.get("TotalAmt", 0)))


VOIDED_NOTE = "Voided"
"""QBO has no status field: a voided transaction is kept at zero with this memo (PrivateNote) instead of ours."""


def is_voided(entity: Mapping[str, Any]) -> bool:
    return entity.get("PrivateNote") == VOIDED_NOTE and Decimal(str(entity.get("TotalAmt", 0))) == 0


def linked_payment_ids(invoice: Mapping[str, Any]) -> list[str]:
    """The payments QBO lists as applied to an invoice (its `LinkedTxn`)."""
    return [str(t["TxnId"]) for t in invoice.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"]


def to_snapshot(entity_type: EntityType, entity: Mapping[str, Any]) -> LedgerSnapshot:
    """A stamped invoice or payment as reconciliation compares it (deleted is gone; voided is VOIDED)."""
    stamp = STAMP_FIELDS[entity_type][0]
    customer = str((entity.get("CustomerRef") or {}).get("value", ""))
    status = "VOIDED" if is_voided(entity) else ""
    if entity_type in (EntityType.INVOICE, EntityType.CREDIT_NOTE, EntityType.REFUND):
        tax, total = invoice_totals(entity)
        balance = Decimal(str(entity.get("Balance", 0)))
        issued = date.fromisoformat(str(entity["TxnDate"])) if entity.get("TxnDate") else None
        tracked = revenue_by_option(entity) if entity_type is EntityType.INVOICE else ()
        home_total, home_balance = (
            (Decimal(str(entity["HomeTotalAmt"])), Decimal(str(entity.get("HomeBalance", 0))))
            if "HomeTotalAmt" in entity
            else (None, None)
        )
        return LedgerSnapshot(
            str(entity["Id"]),
            str(entity.get(stamp) or ""),
            total,
            customer,
            status,
            tax,
            balance,
            issued,
            revenue_by_option=tracked,
            home_amount=home_total,
            home_balance=home_balance,
        )
    if entity_type is EntityType.CREDIT_APPLICATION:
        amount = sum((Decimal(str(line.get("Amount", 0))) for line in _credit_lines(entity)), Decimal(0))
        return LedgerSnapshot(str(entity["Id"]), str(entity.get(stamp) or ""), amount, customer, status)
    amount = Decimal(str(entity.get("TotalAmt", 0)))
    if entity_type is EntityType.PAYOUT:  # the net deposited; `balance`: the gross its lines take from clearing
        gross = sum(
            (a for line in entity.get("Line") or [] if (a := Decimal(str(line.get("Amount", 0)))) > 0), Decimal(0)
        )
        return LedgerSnapshot(str(entity["Id"]), str(entity.get(stamp) or ""), amount, "", status, balance=gross)
    credit = Decimal(str(entity.get("UnappliedAmt", 0))) if entity_type is EntityType.PAYMENT else None
    return LedgerSnapshot(str(entity["Id"]), str(entity.get(stamp) or ""), amount, customer, status, balance=credit)


def _payment(record: PaymentRecord) -> JsonObject:
    return {
        "CustomerRef": ref(record.customer_ref),
        "TotalAmt": record.amount,
        "TxnDate": record.paid_on.isoformat(),
        "PaymentRefNum": record.external_id,
        "PrivateNote": fields.private_note(record.external_id, f"{record.method} {record.reference}".strip()),
        "DepositToAccountRef": ref(record.deposit_account_ref),
        "Line": _invoice_line(record),
        **({"CurrencyRef": ref(record.currency)} if record.currency else {}),
        **_exchange_rate(record.exchange_rate),
    }


def _invoice_line(record: PaymentRecord) -> list[JsonObject]:
    """The line paying the invoice with what the payment applies; QBO keeps the rest of TotalAmt as UnappliedAmt,
    the customer's credit (an overpayment's excess, or a whole deposit, which has no line until it is applied: its
    application is a sparse update carrying this line)."""
    if not record.invoice_ref:
        return []
    linked = [{"TxnId": record.invoice_ref, "TxnType": "Invoice"}]
    return [{"Amount": record.applied_amount, "LinkedTxn": linked}]


def _credit_application(record: CreditApplicationRecord) -> JsonObject:
    """How QBO applies a credit memo to an invoice: a payment of TotalAmt 0 whose invoice line is paid by its
    credit memo line (no money moves, so no deposit account). A foreign credit is applied in its currency at the credit
    memo's rate: QBO takes a payment only in its customer's currency, and one linking a credit memo and an invoice in
    another currency is refused."""
    return {
        "CustomerRef": ref(record.customer_ref),
        "TotalAmt": Decimal("0.00"),
        "TxnDate": record.applied_on.isoformat(),
        "PaymentRefNum": record.external_id,
        "PrivateNote": fields.private_note(record.external_id, "credit note applied"),
        "Line": [
            {"Amount": record.amount, "LinkedTxn": [{"TxnId": record.invoice_ref, "TxnType": "Invoice"}]},
            {"Amount": record.amount, "LinkedTxn": [{"TxnId": record.credit_note_ref, "TxnType": "CreditMemo"}]},
        ],
        **({"CurrencyRef": ref(record.currency)} if record.currency else {}),
        **_exchange_rate(record.exchange_rate),
    }


def _tip_deposit(record: TipRecord) -> JsonObject:
    """A tip: a Deposit into the payment's deposit account whose one line credits the Tips account, from the
    customer (`Entity`). Stamped in `PrivateNote` (a Deposit has no reference field QBO lets us query)."""
    note = f"tip with payment {record.payment_external_id}"
    return {
        "TxnDate": record.paid_on.isoformat(),
        "PrivateNote": fields.private_note(record.external_id, note),
        "DepositToAccountRef": ref(record.deposit_account_ref),
        "Line": [
            {
                "Amount": record.amount,
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": {
                    "AccountRef": ref(record.tips_account_ref),
                    "Entity": {**ref(record.customer_ref), "type": "CUSTOMER"},
                },
            }
        ],
    }


def _payout_deposit(record: PayoutRecord) -> JsonObject:
    """A payout: one Deposit into the operating bank account for the net. The gross leaves the clearing account,
    by a line linking each settled payment when they wait in Undeposited Funds (a Deposit is what empties it), or
    by one line from the clearing account when that is a Bank account (a deposit line may come from any other
    account, bank ones included); the fees are a negative line to the Processing Fees expense account, as QBO's
    own bank-deposit screen records a processor's fees. Stamped in `PrivateNote`."""
    if record.clearing_holds_payments:
        gross: list[JsonObject] = [
            {"Amount": paid.amount, "LinkedTxn": [{"TxnId": paid.payment_ref, "TxnType": "Payment"}]}
            for paid in record.payments
        ]
    else:
        gross = [_account_line(record.gross, record.clearing_account_ref)]
    return {
        "TxnDate": record.paid_on.isoformat(),
        "PrivateNote": fields.private_note(record.external_id, f"{record.processor} payout"),
        "DepositToAccountRef": ref(record.operating_account_ref),
        "Line": [*gross, _account_line(-record.fees, record.fees_account_ref)] if record.fees else gross,
    }


def _account_line(amount: Decimal, account_ref: str) -> JsonObject:
    return {"Amount": amount, "DetailType": "DepositLineDetail", "DepositLineDetail": {"AccountRef": ref(account_ref)}}


def _credit_lines(payment: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        line
        for line in payment.get("Line") or []
        if any(linked.get("TxnType") == "CreditMemo" for linked in line.get("LinkedTxn") or [])
    ]


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


US_NON_TAXABLE_RATE = LedgerTaxRate(
    id=US_NON_TAXABLE, name="Non-taxable (NON)", rate_percent=Decimal(0), active=True, rate_ref=US_NON_TAXABLE
)
"""What an untaxed Service Opus rate maps to in a US company: the `NON` line code (it is not a TaxCode entity)."""


def to_tax_rates(
    codes: Sequence[Mapping[str, Any]], rates: Sequence[Mapping[str, Any]], tax_model: QboTaxModel = QboTaxModel.NON_US
) -> list[LedgerTaxRate]:
    """What a Service Opus rate can map to.

    Non-US: one entry per TaxCode with exactly one sales TaxRate. Codes combining several sales rates are
    left out on purpose: a single rate_ref cannot describe their tax lines, so mapping to them must fail
    visibly rather than post wrong tax.
    US: every TaxCode, at its combined rate (the sum of its sales rates; US tax lines come from the code,
    not from us), plus `NON`.
    """
    rates_by_id = {str(rate["Id"]): rate for rate in rates}
    result = [US_NON_TAXABLE_RATE] if tax_model.is_us else []
    for code in codes:
        details = (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []
        if not details or (len(details) != 1 and not tax_model.is_us):
            continue
        found = [rates_by_id.get(str(detail["TaxRateRef"]["value"])) for detail in details]
        components = [rate for rate in found if rate is not None and rate.get("RateValue") is not None]
        if len(components) != len(details):
            continue
        result.append(
            LedgerTaxRate(
                id=str(code["Id"]),
                name=str(code.get("Name", "")),
                rate_percent=sum((Decimal(str(rate["RateValue"])) for rate in components), Decimal(0)),
                active=bool(code.get("Active", True)) and all(bool(rate.get("Active", True)) for rate in components),
                rate_ref=str(code["Id"]) if tax_model.is_us else str(components[0]["Id"]),
            )
        )
    return result
