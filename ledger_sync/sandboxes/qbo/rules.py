"""QBO's validation: what it refuses and with which Fault, checked before anything is written.

Each `check_*` raises the first Fault QBO would give for the entity as it would be saved (after a sparse
merge). The checks read the company through `Books` and never change anything.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import faults, us_sales_tax
from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.invoicing import DISCOUNT, SALES, TAX_CALCULATIONS
from ledger_sync.sandboxes.qbo.money import MoneyError, cents, to_decimal
from ledger_sync.sandboxes.qbo.payments import (
    LINKABLE,
    applied_amount,
    credit_links,
    credited_amount,
    invoice_links,
    net_applied,
)

PEOPLE = ("Customer", "Vendor", "Employee")
"""DisplayName is unique across all three."""
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")
NAME_PARTS = ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")
BAD_NAME_CHARACTERS = (":", "\t", "\n", "\r")


def reference(books: Books, entity: str, ref: object, element: str) -> dict[str, Any]:
    """The active `entity` that `ref` points at: 2020 when absent, 2500 when unknown, 610 when inactive."""
    target_id = ref_id(ref)
    if target_id is None:
        raise faults.required(element)
    target = books.get(entity, target_id)
    if target is None:
        raise faults.invalid_reference(element)
    if target.get("Active") is False:
        raise faults.object_not_found(element)
    return target


def money(value: object, element: str) -> Decimal:
    if value is None:
        raise faults.required(element)
    try:
        return to_decimal(value)
    except MoneyError as exc:
        raise faults.invalid_value(element) from exc


def _text(body: dict[str, Any], key: str, maximum: int) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise faults.required(key)
    if len(value) > maximum:
        raise faults.string_length(key, maximum, len(value))
    if any(char in value for char in BAD_NAME_CHARACTERS):
        raise faults.invalid_characters(key)
    return value


def display_name(body: dict[str, Any]) -> str | None:
    """DisplayName as given, else built from the name parts or the company name, as QBO does."""
    if body.get("DisplayName"):
        return str(body["DisplayName"])
    parts = " ".join(str(body[p]) for p in NAME_PARTS if body.get(p))
    return parts or body.get("CompanyName") or None


def check_person(books: Books, entity: str, body: dict[str, Any]) -> None:
    """Customer, Vendor or Employee: a clean DisplayName no other person of any of the three kinds uses."""
    name = _text(body, "DisplayName", 500)
    for kind, other in books.named(PEOPLE, "DisplayName", name):
        if (kind, other["Id"]) != (entity, body.get("Id")):
            raise faults.duplicate_name(other["Id"], "customer, vendor or employee")
    if entity == "Customer" and ref_id(body.get("DefaultTaxCodeRef")) is not None:
        reference(books, "TaxCode", body["DefaultTaxCodeRef"], "DefaultTaxCodeRef")


def check_item(books: Books, body: dict[str, Any]) -> None:
    name = _text(body, "Name", 100)
    for _, other in books.named(("Item",), "Name", name):
        if other["Id"] != body.get("Id"):
            raise faults.duplicate_name(other["Id"], "product or service")
    item_type = body.get("Type")
    if item_type is None:
        raise faults.required("Type")
    if item_type not in ITEM_TYPES:
        raise faults.invalid_value("Type")
    if item_type in ("Service", "NonInventory", "Inventory"):
        reference(books, "Account", body.get("IncomeAccountRef"), "IncomeAccountRef")
    if item_type == "Inventory":
        reference(books, "Account", body.get("AssetAccountRef"), "AssetAccountRef")
        reference(books, "Account", body.get("ExpenseAccountRef"), "ExpenseAccountRef")
    if body.get("UnitPrice") is not None:
        money(body["UnitPrice"], "UnitPrice")


PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")


def check_payment_method(books: Books, body: dict[str, Any]) -> None:
    """A clean Name of at most 31 characters (QBO's limit for a payment method) that no other payment method uses,
    active or not (6240), and a Type QBO knows."""
    name = _text(body, "Name", 31)
    for _, other in books.named(("PaymentMethod",), "Name", name):
        if other["Id"] != body.get("Id"):
            raise faults.duplicate_name(other["Id"], "payment method")
    if body.get("Type") not in PAYMENT_METHOD_TYPES:
        raise faults.invalid_value("Type")


def check_account(books: Books, body: dict[str, Any]) -> None:
    name = _text(body, "Name", 100)
    for _, other in books.named(("Account",), "Name", name):
        if other["Id"] != body.get("Id"):
            raise faults.duplicate_name(other["Id"], "account")
    if not body.get("AccountType"):
        raise faults.required("AccountType")


def _check_doc_number(books: Books, body: dict[str, Any], allow_duplicate: bool, entity: str) -> None:
    """A duplicate; its length is checked with the other fields' (`fields`)."""
    doc_number = body.get("DocNumber")
    if doc_number is None:
        return
    doc_number = str(doc_number)
    if allow_duplicate:
        return
    for other in books.with_doc_number(doc_number, entity):
        if other["Id"] != body.get("Id"):
            raise faults.duplicate_doc_number(doc_number, entity, other["Id"])


def _check_sales_line(books: Books, line: dict[str, Any], us: bool) -> None:
    detail = line.get(SALES)
    if not isinstance(detail, dict):
        raise faults.required(f"Line.{SALES}")
    if ref_id(detail.get("ItemRef")) is None:
        raise faults.required(f"Line.{SALES}.ItemRef")
    reference(books, "Item", detail["ItemRef"], f"Line.{SALES}.ItemRef")
    amount = money(line.get("Amount"), "Line.Amount")
    if detail.get("Qty") is not None and detail.get("UnitPrice") is not None:
        quantity = money(detail["Qty"], f"Line.{SALES}.Qty")
        unit_price = money(detail["UnitPrice"], f"Line.{SALES}.UnitPrice")
        if unit_price < 0:
            # QBO enters a credit line as a negative quantity; what it makes of a negative rate is reported
            # inconsistently (Avalara: the UI turns the amount positive), so the sandbox refuses one (stricter).
            raise faults.invalid_value(f"Line.{SALES}.UnitPrice")
        if cents(quantity * unit_price) != amount:
            raise faults.amount_mismatch(line.get("Amount"))
    if us:
        if us_sales_tax.line_code(detail) not in us_sales_tax.LINE_CODES:
            raise faults.us_line_tax_code()
        return
    if ref_id(detail.get("TaxCodeRef")) is None:
        raise faults.business("Make sure all your transactions have a GST/HST rate before you save.")
    reference(books, "TaxCode", detail["TaxCodeRef"], f"Line.{SALES}.TaxCodeRef")


def check_invoice(
    books: Books, body: dict[str, Any], allow_duplicate_doc_number: bool, entity: str = "Invoice"
) -> None:
    """An invoice, or a credit memo (`entity`), which QBO validates as the same kind of sales transaction."""
    reference(books, "Customer", body.get("CustomerRef"), "CustomerRef")
    _check_doc_number(books, body, allow_duplicate_doc_number, entity)
    us = us_sales_tax.is_us(books)
    if us:
        _check_us_tax_detail(books, body)
    elif body.get("GlobalTaxCalculation", "TaxExcluded") not in TAX_CALCULATIONS:
        raise faults.invalid_value("GlobalTaxCalculation")
    lines = body.get("Line")
    if not isinstance(lines, list) or not lines:
        raise faults.required("Line")
    for line in lines:
        detail_type = line.get("DetailType") if isinstance(line, dict) else None
        if detail_type is None:
            raise faults.required("Line.DetailType")
        if detail_type == SALES:
            _check_sales_line(books, line, us)
        elif detail_type == DISCOUNT:
            _check_discount_line(books, line)
        elif detail_type not in ("DescriptionOnly", "SubTotalLineDetail"):
            raise faults.invalid_value("Line.DetailType")
    if sum(1 for line in lines if line.get("DetailType") == DISCOUNT) > 1:
        # The QBO form has one discount per transaction; what the API does with a second is undocumented,
        # so the sandbox refuses it (stricter).
        raise faults.business("A transaction can have only one discount line.")
    tax_lines = (body.get("TxnTaxDetail") or {}).get("TaxLine") or []
    for tax_line in tax_lines:
        rate_ref = (tax_line.get("TaxLineDetail") or {}).get("TaxRateRef")
        if ref_id(rate_ref) is None or books.get("TaxRate", str(ref_id(rate_ref))) is None:
            raise faults.invalid_reference("TxnTaxDetail.TaxLine.TaxLineDetail.TaxRateRef")
        money(tax_line.get("Amount"), "TxnTaxDetail.TaxLine.Amount")


def _check_discount_line(books: Books, line: dict[str, Any]) -> None:
    """A discount of a positive amount, or of a percentage from 0 to 100 (QBO computes the amount), posted
    to an income account. QBO falls back to the company's default discount account when none is named; the
    sandbox does not model that default and requires the account (stricter)."""
    detail = line.get(DISCOUNT)
    if not isinstance(detail, dict):
        raise faults.required(f"Line.{DISCOUNT}")
    if detail.get("PercentBased") is True:
        percent = money(detail.get("DiscountPercent"), f"Line.{DISCOUNT}.DiscountPercent")
        if not 0 <= percent <= 100:
            raise faults.invalid_value(f"Line.{DISCOUNT}.DiscountPercent")
    elif money(line.get("Amount"), "Line.Amount") < 0:
        raise faults.invalid_value("Line.Amount")
    account = reference(books, "Account", detail.get("DiscountAccountRef"), f"Line.{DISCOUNT}.DiscountAccountRef")
    if account.get("AccountType") not in ("Income", "Other Income"):
        raise faults.business("The discount account must be an income account.")


def _check_us_tax_detail(books: Books, body: dict[str, Any]) -> None:
    """What a US company refuses at invoice level: a bad TxnTaxCodeRef, a non-decimal TotalTax, and
    `GlobalTaxCalculation`, which Intuit documents as not applicable to US companies (real QBO may ignore
    it; the sandbox refuses it, the stricter reading). Saved US invoices never carry it."""
    if "GlobalTaxCalculation" in body:
        raise faults.invalid_value("GlobalTaxCalculation")
    detail = body.get("TxnTaxDetail") or {}
    if ref_id(detail.get("TxnTaxCodeRef")) is not None:
        reference(books, "TaxCode", detail["TxnTaxCodeRef"], "TxnTaxDetail.TxnTaxCodeRef")
    if detail.get("TotalTax") is not None:
        money(detail["TotalTax"], "TxnTaxDetail.TotalTax")


def deposit_account(books: Books, ref: object) -> dict[str, Any]:
    """A payment deposits to a Bank account or to Undeposited Funds (an Other Current Asset). QBO's UI offers
    only those; whether its API takes any other Other Current Asset is not documented, so the sandbox refuses
    every other account, the stricter reading (6000, a business validation error)."""
    account = reference(books, "Account", ref, "DepositToAccountRef")
    if account.get("AccountType") != "Bank" and account.get("AccountSubType") != "UndepositedFunds":
        raise faults.business(
            f"A payment can only be deposited to a bank account or Undeposited Funds; "
            f"'{account.get('Name')}' is {account.get('AccountType')}."
        )
    return account


def check_payment(books: Books, body: dict[str, Any]) -> None:
    """Every linked invoice is the customer's and open for at least the amount applied to it."""
    customer = reference(books, "Customer", body.get("CustomerRef"), "CustomerRef")
    total = money(body.get("TotalAmt"), "TotalAmt")
    if total < 0:
        raise faults.invalid_value("TotalAmt")
    if ref_id(body.get("DepositToAccountRef")) is not None:
        deposit_account(books, body["DepositToAccountRef"])
    if ref_id(body.get("PaymentMethodRef")) is not None:
        reference(books, "PaymentMethod", body["PaymentMethodRef"], "PaymentMethodRef")
    lines = body.get("Line") or []
    for line in lines:
        if not isinstance(line, dict):
            raise faults.invalid_value("Line")
        money(line.get("Amount"), "Line.Amount")
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") not in LINKABLE:
                raise faults.invalid_value("Line.LinkedTxn.TxnType")
    applied_here: dict[str, Decimal] = {}
    for invoice_id, amount in invoice_links(body):
        invoice = books.get("Invoice", invoice_id)
        if invoice is None:
            raise faults.invalid_reference("Line.LinkedTxn.TxnId")
        if ref_id(invoice.get("CustomerRef")) != customer["Id"]:
            raise faults.business(f"Invoice {invoice_id} belongs to another customer than this payment.")
        applied_here[invoice_id] = applied_here.get(invoice_id, Decimal(0)) + amount
        open_balance = to_decimal(invoice["TotalAmt"]) - applied_amount(books, invoice_id, body.get("Id"))
        if applied_here[invoice_id] > open_balance:
            raise faults.business(
                f"The payment amount applied to invoice {invoice_id} ({applied_here[invoice_id]}) is more than "
                f"its open balance ({open_balance})."
            )
    _check_credits(books, body, customer["Id"])
    if net_applied(body) > total:
        raise faults.business("The amounts applied to transactions are more than the payment's total amount.")


def _check_credits(books: Books, body: dict[str, Any], customer_id: str) -> None:
    """Each credit memo a payment applies is the customer's and holds at least the credit applied from it.
    QBO's wording of these refusals is not documented (?): the sandbox answers business errors (6000)."""
    applied_here: dict[str, Decimal] = {}
    for memo_id, amount in credit_links(body):
        memo = books.get("CreditMemo", memo_id)
        if memo is None:
            raise faults.invalid_reference("Line.LinkedTxn.TxnId")
        if ref_id(memo.get("CustomerRef")) != customer_id:
            raise faults.business(f"Credit memo {memo_id} belongs to another customer than this payment.")
        if amount <= 0:
            raise faults.invalid_value("Line.Amount")
        applied_here[memo_id] = applied_here.get(memo_id, Decimal(0)) + amount
        remaining = to_decimal(memo["TotalAmt"]) - credited_amount(books, memo_id, body.get("Id"))
        if applied_here[memo_id] > remaining:
            raise faults.business(
                f"The credit applied from credit memo {memo_id} ({applied_here[memo_id]}) is more than its "
                f"remaining credit ({remaining})."
            )
