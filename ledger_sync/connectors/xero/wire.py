"""Ledger records to Xero JSON elements, and Xero JSON to the ledger-neutral types and outcomes.

Every record carries its external id ("stamp") where Xero keeps it verbatim: a Contact's
`ContactNumber`, an Item's `Code`, an Invoice's `Reference` (next to its `InvoiceNumber`), a CreditNote's
`Reference` (next to its `CreditNoteNumber`), a Payment's `Reference` and a tip's BankTransaction's `Reference`.
Money stays Decimal end to end (see `ledger_sync.connectors.jsonnum`). Text is made to fit Xero's field limits
by `fields`, and no string sent holds a character XML 1.0 cannot.
"""

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger_sync.connectors.xero import fields, prepayments
from ledger_sync.connectors.xero.rounding import XeroLine
from ledger_sync.core.currency import CurrencyProblem, xero_home_amount, xero_rate
from ledger_sync.core.ledger import (
    GONE_STATUSES,
    ErrorKind,
    LedgerAccount,
    LedgerError,
    LedgerRef,
    LedgerSnapshot,
    LedgerTaxRate,
)
from ledger_sync.core.records import (
    CreditApplicationRecord,
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    PayoutRecord,
    RefundRecord,
    TipRecord,
)
from ledger_sync.core.text import xml_safe_strings
from ledger_sync.core.tracking import LedgerTrackingOption, TrackingLevel

COLLECTIONS = {
    EntityType.CUSTOMER: "Contacts",
    EntityType.ITEM: "Items",
    EntityType.INVOICE: "Invoices",
    EntityType.CREDIT_NOTE: "CreditNotes",
    EntityType.CREDIT_APPLICATION: "CreditNotes",
    EntityType.PAYMENT: "Payments",
    EntityType.TIP: "BankTransactions",
    EntityType.REFUND: "CreditNotes",
    EntityType.PAYOUT: "BankTransactions",
}
"""Where each record kind is read (a credit application: on its credit note, as one of its Allocations)."""
REF_FIELDS = {
    EntityType.CUSTOMER: "ContactID",
    EntityType.ITEM: "Code",
    EntityType.INVOICE: "InvoiceID",
    EntityType.CREDIT_NOTE: "CreditNoteID",
    EntityType.CREDIT_APPLICATION: "AllocationID",
    EntityType.PAYMENT: "PaymentID",
    EntityType.TIP: "BankTransactionID",
    EntityType.REFUND: "CreditNoteID",
    EntityType.PAYOUT: "BankTransactionID",
}
"""What other records point at: items are referenced by Code on invoice lines, the rest by id."""
STAMP_FIELDS = {
    EntityType.CUSTOMER: "ContactNumber",
    EntityType.ITEM: "Code",
    EntityType.INVOICE: "Reference",
    EntityType.CREDIT_NOTE: "Reference",
    EntityType.PAYMENT: "Reference",
    EntityType.TIP: "Reference",
    EntityType.REFUND: "Reference",
    EntityType.PAYOUT: "Reference",
}
"""A credit application has no stamp: Xero's Allocation has no reference field (see `allocation`)."""
ROUNDING_DESCRIPTION = "Rounding adjustment to match the Service Opus invoice total"
NO_TAX = "NONE"
_DUPLICATE = re.compile(r"already assigned to another contact|must be unique|already exists", re.IGNORECASE)
_LOCKED = re.compile(
    r"cannot be edited as it has a payment or credit note allocated|cannot be before the .*lock date", re.IGNORECASE
)
"""Xero keeps an invoice with a payment or credit note allocated as it is, and refuses a document dated before a
lock date ("The document date cannot be before the end of year lock date, currently set at 31-Jul-2013",
xeroizer#92): the correction must take another way."""

JsonObject = dict[str, Any]


def contact(record: CustomerRecord, existing: LedgerRef | None = None) -> JsonObject:
    body: JsonObject = {"ContactID": existing.id} if existing else {}
    body |= {"Name": fields.contact_name(record), "ContactNumber": record.external_id}
    email = fields.email(record)
    if email:
        body["EmailAddress"] = email
    if record.phone:
        body["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": record.phone}]
    if record.currency:
        body["DefaultCurrency"] = record.currency
    if record.address:
        address = record.address
        body["Addresses"] = [
            {
                "AddressType": "POBOX",
                "AddressLine1": address.line1,
                "City": address.city,
                "Region": address.region,
                "PostalCode": address.postal_code,
                "Country": address.country,
            }
        ]
    return xml_safe_strings(body)


def item(record: ItemRecord, account_code: str) -> JsonObject:
    """Code is the external id (items are found and referenced by it); a long name is cut to Xero's 50
    characters (see `fields`) and then given in full at the start of the description."""
    body = {
        "Code": record.external_id,
        "Name": fields.item_name(record),
        "Description": fields.item_description(record),
        "IsSold": True,
        "SalesDetails": {"UnitPrice": record.unit_price, "AccountCode": account_code},
    }
    return xml_safe_strings(body)


def invoice(
    record: InvoiceRecord,
    lines: list[XeroLine],
    item_accounts: Mapping[str, str],
    rounding: tuple[Decimal, str] | None,
    existing: LedgerRef | None = None,
    discount_account: str | None = None,
) -> JsonObject:
    """An AUTHORISED sales invoice with tax-exclusive lines; `rounding` is (adjustment, account code), and
    discount rows post to `discount_account` (a code). An update names its InvoiceID: a POST matching by
    InvoiceNumber alone would overwrite whatever invoice has that number."""
    body: JsonObject = {"InvoiceID": existing.id} if existing else {}
    body |= {
        "Type": "ACCREC",
        "Contact": {"ContactID": record.customer_ref},
        "InvoiceNumber": fields.invoice_number(record),
        "Reference": record.external_id,
        "Date": record.issue_date.isoformat(),
        "DueDate": record.due_date.isoformat(),
        "CurrencyCode": record.currency,
        **_currency_rate(record.total, record.exchange_rate),
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": _line_items(lines, item_accounts, rounding, discount_account),
    }
    return xml_safe_strings(body)


def credit_note(
    record: CreditNoteRecord,
    lines: list[XeroLine],
    item_accounts: Mapping[str, str],
    rounding: tuple[Decimal, str] | None,
    existing: LedgerRef | None = None,
) -> JsonObject:
    """An AUTHORISED sales credit note (ACCRECCREDIT), lines as an invoice's; updated by its CreditNoteID."""
    body: JsonObject = {"CreditNoteID": existing.id} if existing else {}
    body |= {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": record.customer_ref},
        "CreditNoteNumber": fields.invoice_number(record),
        "Reference": record.external_id,
        "Date": record.issue_date.isoformat(),
        "CurrencyCode": record.currency,
        **_currency_rate(record.total, record.exchange_rate),
        "Status": "AUTHORISED",
        "LineAmountTypes": "Exclusive",
        "LineItems": _line_items(lines, item_accounts, rounding, None),
    }
    return xml_safe_strings(body)


def allocation(record: CreditApplicationRecord) -> JsonObject:
    """All the credit applied, to the invoice it credits (ids, date and amount: nothing XML refuses)."""
    return {
        "Allocations": [
            {
                "Amount": record.amount,
                "Invoice": {"InvoiceID": record.invoice_ref},
                "Date": record.applied_on.isoformat(),
            }
        ]
    }


def applications(record: CreditApplicationRecord, note: Mapping[str, Any]) -> list[JsonObject]:
    """The live allocations of `note` (its CreditNote as Xero holds it) to the record's invoice."""
    return [
        found
        for found in note.get("Allocations") or []
        if str((found.get("Invoice") or {}).get("InvoiceID", "")) == record.invoice_ref and not found.get("IsDeleted")
    ]


def application_snapshot(record: CreditApplicationRecord, found: Mapping[str, Any]) -> LedgerSnapshot:
    ledger_id = str(found.get("AllocationID") or record.credit_note_ref)
    amount = Decimal(str(found.get("Amount", 0)))
    return LedgerSnapshot(ledger_id, record.external_id, amount, record.customer_ref, "AUTHORISED")


def _line_items(
    lines: list[XeroLine],
    item_accounts: Mapping[str, str],
    rounding: tuple[Decimal, str] | None,
    discount_account: str | None,
) -> list[JsonObject]:
    items = [_line(line, item_accounts.get(line.item_code) if line.item_code else discount_account) for line in lines]
    if rounding is not None:
        amount, account_code = rounding
        items.append(
            {
                "Description": ROUNDING_DESCRIPTION,
                "Quantity": Decimal(1),
                "UnitAmount": amount,
                "AccountCode": account_code,
                "TaxType": NO_TAX,
            }
        )
    return items


def _line(line: XeroLine, account_code: str | None) -> JsonObject:
    """No LineAmount: Xero recomputes it from Quantity x UnitAmount (and refuses one that differs).
    TaxAmount is Service Opus's, overriding Xero's own per-line calculation (allowed by the spec)."""
    body: JsonObject = {
        "Description": fields.description(line.description),
        "Quantity": line.quantity,
        "UnitAmount": line.unit_amount,
        "TaxType": line.tax_type,
        "TaxAmount": line.tax,
    }
    if line.item_code:
        body["ItemCode"] = line.item_code
    if account_code:
        body["AccountCode"] = account_code
    if line.tracking:  # by name, the form Xero documents for writes (its ids alone are reported dropped at times)
        body["Tracking"] = [{"Name": carried.category, "Option": carried.option} for carried in line.tracking]
    return body


def revenue_by_option(element: Mapping[str, Any]) -> tuple[tuple[str, Decimal], ...]:
    """An invoice's net line revenue per tracking option id, as Xero holds its lines (`LineAmountTypes`
    Exclusive: `LineAmount` is net)."""
    totals: dict[str, Decimal] = {}
    for line in element.get("LineItems") or []:
        for carried in line.get("Tracking") or []:
            option = str(carried.get("TrackingOptionID", ""))
            totals[option] = totals.get(option, Decimal(0)) + Decimal(str(line.get("LineAmount", 0)))
    return tuple(sorted(totals.items()))


def payment(record: PaymentRecord) -> JsonObject:
    """Every field is ours (ids, date, amount, stamp): nothing here can hold a character XML refuses. A payment is
    in its invoice's currency (Xero takes no currency on it), at its own rate."""
    return {
        "Invoice": {"InvoiceID": record.invoice_ref},
        "Account": {"AccountID": record.deposit_account_ref},
        "Date": record.paid_on.isoformat(),
        "Amount": record.amount,
        "Reference": fields.payment_reference(record),
        **_currency_rate(record.amount, record.exchange_rate),
    }


def _currency_rate(amount: Decimal, rate: Decimal | None) -> JsonObject:
    """Xero's `CurrencyRate` for Service Opus's recorded rate (`core.currency.xero_rate`); none for home money. One
    6 places cannot express closely enough for `amount` is a refusal (VALIDATION) naming both figures."""
    if rate is None:
        return {}
    try:
        return {"CurrencyRate": xero_rate(amount, rate)}
    except CurrencyProblem as problem:
        raise LedgerError(ErrorKind.VALIDATION, str(problem)) from problem


def refund_payment(record: RefundRecord, credit_note_id: str) -> JsonObject:
    """Xero's refund of a credit note: a payment naming the note (not an invoice), paid out of the account the
    refunded payment landed in; all of the note's credit, so the note is PAID and leaves no credit behind. A foreign
    refund is paid out in the note's currency at the refund's rate, as its note."""
    return {
        "CreditNote": {"CreditNoteID": credit_note_id},
        "Account": {"AccountID": record.deposit_account_ref},
        "Date": record.issue_date.isoformat(),
        "Amount": record.total,
        "Reference": record.external_id,
        **_currency_rate(record.total, record.exchange_rate),
    }


def tip(record: TipRecord, tips_account_code: str, existing: LedgerRef | None) -> JsonObject:
    """A tip: money received (RECEIVE) from the customer into the payment's bank account, its one untaxed line
    posted to the Tips account; an update names the bank transaction and carries everything again."""
    element: JsonObject = {
        "Type": "RECEIVE",
        "Contact": {"ContactID": record.customer_ref},
        "BankAccount": {"AccountID": record.deposit_account_ref},
        "Date": record.paid_on.isoformat(),
        "Reference": record.external_id,
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": f"Tip with payment {record.payment_external_id}",
                "Quantity": Decimal(1),
                "UnitAmount": record.amount,
                "AccountCode": tips_account_code,
                "TaxType": NO_TAX,
                "LineAmount": record.amount,
            }
        ],
    }
    return {"BankTransactionID": existing.id, **element} if existing else element


PAYOUT_RECEIVED = "RECEIVE-TRANSFER"
"""The side of a payout's transfer that lands in the operating account: the payout's ledger record."""
PAYOUT_SPENT = frozenset({"SPEND", "SPEND-TRANSFER"})
"""A payout's bank transactions out of the clearing account: its fees and its transfer's source side."""


def payout_fees(record: PayoutRecord, contact_id: str, fees_account_code: str) -> JsonObject:
    """A payout's fees: money spent (SPEND) from the clearing account to the processor, its one untaxed line
    posted to the Processing Fees account. Stamped with the payout's Reference, like its transfer."""
    return {
        "Type": "SPEND",
        "Contact": {"ContactID": contact_id},
        "BankAccount": {"AccountID": record.clearing_account_ref},
        "Date": record.paid_on.isoformat(),
        "Reference": record.external_id,
        "LineAmountTypes": "NoTax",
        "LineItems": [
            {
                "Description": f"{record.processor} fees",
                "Quantity": Decimal(1),
                "UnitAmount": record.fees,
                "AccountCode": fees_account_code,
                "TaxType": NO_TAX,
                "LineAmount": record.fees,
            }
        ],
    }


def payout_transfer(record: PayoutRecord) -> JsonObject:
    """A payout's net: a BankTransfer from the clearing account to the operating account, stamped in Reference."""
    return {
        "FromBankAccount": {"AccountID": record.clearing_account_ref},
        "ToBankAccount": {"AccountID": record.operating_account_ref},
        "Amount": record.net,
        "Date": record.paid_on.isoformat(),
        "Reference": record.external_id,
    }


def payout_snapshots(docs: Sequence[Mapping[str, Any]]) -> list[LedgerSnapshot]:
    """Each transfer into the operating account stamped for one payout, its amount the net; its `balance` is what
    the payout's live bank transactions took out of the clearing account (transfer and fees: the gross)."""
    live = [doc for doc in docs if str(doc.get("Status") or "").upper() not in GONE_STATUSES]
    spent = sum((Decimal(str(doc.get("Total", 0))) for doc in live if doc.get("Type") in PAYOUT_SPENT), Decimal(0))
    return [
        LedgerSnapshot(
            str(doc.get("BankTransactionID", "")),
            str(doc.get("Reference", "")),
            Decimal(str(doc.get("Total", 0))),
            "",
            str(doc.get("Status") or "").upper(),
            balance=spent,
        )
        for doc in docs
        if doc.get("Type") == PAYOUT_RECEIVED
    ]


def element_error(element: Mapping[str, Any]) -> LedgerError | None:
    """The error Xero reported on one element of a `summarizeErrors=false` answer, or None if it was saved."""
    messages = [str(e.get("Message", "")) for e in element.get("ValidationErrors") or [] if isinstance(e, dict)]
    flagged = element.get("HasErrors") or element.get("HasValidationErrors")
    if not messages and not flagged and element.get("StatusAttributeString") != "ERROR":
        return None
    text = "; ".join(m for m in messages if m) or "Xero refused this element without a message"
    kind = ErrorKind.DUPLICATE if _DUPLICATE.search(text) else ErrorKind.VALIDATION
    return LedgerError(ErrorKind.LOCKED if _LOCKED.search(text) else kind, text)


def element_ref(entity_type: EntityType, element: Mapping[str, Any]) -> LedgerRef | None:
    if entity_type is EntityType.PAYMENT and prepayments.credit_of(element) is not None:
        return prepayments.credit_ref(element)
    value = element.get(REF_FIELDS[entity_type])
    return LedgerRef(id=str(value)) if value else None


def stamp_of(entity_type: EntityType, element: Mapping[str, Any]) -> str:
    """The external id an element carries: its stamp field, whose first word only for a payment (its `Reference`
    goes on with the method and Service Opus reference: `fields.payment_reference`)."""
    stamp = str(element.get(STAMP_FIELDS[entity_type]) or "")
    return next(iter(stamp.split()), "") if entity_type is EntityType.PAYMENT else stamp


def to_snapshot(entity_type: EntityType, element: Mapping[str, Any]) -> LedgerSnapshot:
    """A stamped invoice or payment as reconciliation compares it; a VOIDED or DELETED one is not present."""
    ledger_id, stamp = str(element.get(REF_FIELDS[entity_type], "")), stamp_of(entity_type, element)
    status = str(element.get("Status") or "").upper()
    if entity_type is EntityType.INVOICE:
        customer = str((element.get("Contact") or {}).get("ContactID", ""))
        total, tax, due = (Decimal(str(element.get(name, 0))) for name in ("Total", "TotalTax", "AmountDue"))
        issued = date.fromisoformat(str(element["DateString"])[:10]) if element.get("DateString") else None
        tracked = revenue_by_option(element)
        rate = Decimal(str(element.get("CurrencyRate", 1)))
        home = (xero_home_amount(total, rate), xero_home_amount(due, rate)) if rate != 1 else (None, None)
        return LedgerSnapshot(
            ledger_id,
            stamp,
            total,
            customer,
            status,
            tax,
            due,
            issued,
            revenue_by_option=tracked,
            home_amount=home[0],
            home_balance=home[1],
        )
    if entity_type in (EntityType.CREDIT_NOTE, EntityType.REFUND):
        customer = str((element.get("Contact") or {}).get("ContactID", ""))
        total, tax, left = (Decimal(str(element.get(name, 0))) for name in ("Total", "TotalTax", "RemainingCredit"))
        rate = Decimal(str(element.get("CurrencyRate", 1)))
        home = (xero_home_amount(total, rate), xero_home_amount(left, rate)) if rate != 1 else (None, None)
        return LedgerSnapshot(
            ledger_id, stamp, total, customer, status, tax, left, home_amount=home[0], home_balance=home[1]
        )
    if entity_type is EntityType.TIP:
        customer = str((element.get("Contact") or {}).get("ContactID", ""))
        return LedgerSnapshot(ledger_id, stamp, Decimal(str(element.get("Total", 0))), customer, status)
    if prepayments.credit_of(element) is not None:
        return prepayments.snapshot(stamp, element)
    invoice = element.get("Invoice") or {}
    customer = str((invoice.get("Contact") or {}).get("ContactID", ""))
    return LedgerSnapshot(ledger_id, stamp, Decimal(str(element.get("Amount", 0))), customer, status)


_ACCOUNT_TYPES = {
    "REVENUE": "income",
    "SALES": "income",
    "OTHERINCOME": "income",
    "BANK": "bank",
    "CURRENT": "other_current_asset",
    "PREPAYMENT": "other_current_asset",
    "INVENTORY": "other_current_asset",
    "CURRLIAB": "liability",
    "LIABILITY": "liability",
    "TERMLIAB": "liability",
    "PAYGLIABILITY": "liability",
    "SUPERANNUATIONLIABILITY": "liability",
    "WAGESPAYABLELIABILITY": "liability",
    "EXPENSE": "expense",
    "DIRECTCOSTS": "expense",
    "OVERHEADS": "expense",
    "DEPRECIATN": "expense",
}
CONTROL_ACCOUNTS = frozenset({"DEBTORS", "CREDITORS"})
"""System accounts Xero posts to itself: nothing may be mapped to them."""


def to_account(account: Mapping[str, Any]) -> LedgerAccount:
    """Normalised: a non-bank account taking payments (EnablePaymentsToAccount) is where card payments clear."""
    kind = _ACCOUNT_TYPES.get(str(account.get("Type")), "other")
    if kind != "bank" and account.get("EnablePaymentsToAccount"):
        kind = "undeposited_funds"
    if account.get("SystemAccount") in CONTROL_ACCOUNTS:
        kind = "other"
    return LedgerAccount(
        id=str(account["AccountID"]),
        name=str(account.get("Name", "")),
        type=kind,
        active=account.get("Status") == "ACTIVE",
        code=account.get("Code") or None,
    )


def bank_summary_balances(reports: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    """Each bank account's closing balance (its row's last cell) in a Bank Summary report, by its `accountID`
    attribute (the spec's `ReportWithRows` example: the first cell names the account, values are strings)."""
    balances: dict[str, Decimal] = {}
    for report in reports:
        for section in report.get("Rows") or []:
            for row in section.get("Rows") or []:
                cells = row.get("Cells") or []
                if row.get("RowType") != "Row" or not cells:
                    continue
                ids = [a["Value"] for a in cells[0].get("Attributes") or [] if a.get("Id") == "accountID"]
                if ids:
                    balances[str(ids[0])] = Decimal(str(cells[-1]["Value"]).replace(",", ""))
    return balances


def to_tax_rate(rate: Mapping[str, Any]) -> LedgerTaxRate:
    """Only an ACTIVE rate that can apply to revenue can go on a sales line."""
    return LedgerTaxRate(
        id=str(rate["TaxType"]),
        name=str(rate.get("Name", "")),
        rate_percent=Decimal(str(rate.get("EffectiveRate", 0))),
        active=rate.get("Status") == "ACTIVE" and bool(rate.get("CanApplyToRevenue")),
        rate_ref=str(rate["TaxType"]),
    )


def to_tracking_options(category: Mapping[str, Any]) -> list[LedgerTrackingOption]:
    """A tracking category's options; each is carried on line items, and active while it and its category are."""
    active = category.get("Status") == "ACTIVE"
    return [
        LedgerTrackingOption(
            id=str(option["TrackingOptionID"]),
            name=str(option.get("Name", "")),
            category_id=str(category["TrackingCategoryID"]),
            category=str(category.get("Name", "")),
            active=active and option.get("Status") == "ACTIVE",
            level=TrackingLevel.LINE,
        )
        for option in category.get("Options") or []
    ]
