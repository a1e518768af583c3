"""Sales invoices (ACCREC): contact resolution, line checks against accounts and tax rates, totals.

Tax is computed per line and rounded to the cent (or given per line as `TaxAmount`), then summed, as Xero
does. Lines must post to an
ACTIVE revenue account (or the ROUNDING system account, which Xero offers for rounding adjustment
lines) and use an ACTIVE tax rate that can apply to revenue.

A line may be negative (a negative UnitAmount: a discount, a trade-in), but not its Quantity, and an
invoice totalling below zero can be a draft but cannot be approved: that is a credit note in Xero.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.xero import contacts, currencies, wire
from ledger_sync.sandboxes.xero.books import ID_FIELDS, Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import cents, line_tax, number, quantity, unit_amount
from ledger_sync.sandboxes.xero.tracking import line_tracking

MODES = ("Exclusive", "Inclusive", "NoTax")
_CREATE_STATUSES = ("DRAFT", "SUBMITTED", "AUTHORISED")
_NEXT_STATUSES = {
    "DRAFT": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "SUBMITTED": ("DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"),
    "AUTHORISED": ("AUTHORISED", "VOIDED"),
}
_ALLOCATED = "This document cannot be edited as it has a payment or credit note allocated to it."
_NOT_MODIFIABLE = "Invoice not of valid status for modification"
ZERO = Decimal("0.00")
TAX_OVERRIDE_TOLERANCE = Decimal("0.01")


def existing(books: Books, element: dict[str, Any]) -> dict[str, Any] | None:
    """The invoice a POST updates: by InvoiceID, else by InvoiceNumber."""
    if element.get("InvoiceID"):
        found = books.find("Invoices", element["InvoiceID"])
        if found is None:
            raise Invalid("Invoice could not be found")
        return found
    return books.find("Invoices", element.get("InvoiceNumber")) if element.get("InvoiceNumber") else None


def save(books: Books, element: dict[str, Any], current: dict[str, Any] | None, unitdp: int) -> dict[str, Any]:
    invoice = dict(current) if current else _blank(books)
    kind = element.get("Type", invoice.get("Type"))
    if kind != "ACCREC":
        raise Invalid(
            "Invoice Type must be ACCREC (the sandbox models sales invoices only)."
            if kind
            else "Invoice Type must be specified."
        )
    invoice["Type"] = kind
    _check_status(element, current)
    errors: list[str] = []
    for step in (_header, _contact, _lines):
        try:
            step(books, invoice, element, current, unitdp)
        except Invalid as bad:
            errors.extend(bad.messages)
    if errors:
        raise Invalid(*errors)
    if invoice["Status"] in ("SUBMITTED", "AUTHORISED") and invoice.get("Total", ZERO) < 0:
        # Xero keeps a negative invoice as a draft only ("cannot be approved, as it has a value below $0");
        # its exact message is not documented (?).
        total = invoice["Total"]
        raise Invalid(f"The invoice total ({total}) is below zero: it cannot be approved. Use a credit note.")
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    if invoice["Status"] in ("VOIDED", "DELETED"):
        invoice["AmountDue"] = ZERO
    return books.save("Invoices", invoice)


def _blank(books: Books) -> dict[str, Any]:
    return {
        "InvoiceID": books.new_id(),
        "Reference": "",
        "Payments": [],
        "CreditNotes": [],
        "Prepayments": [],
        "Overpayments": [],
        "AmountPaid": ZERO,
        "AmountCredited": ZERO,
        "CurrencyRate": Decimal("1.000000"),
        "IsDiscounted": False,
        "HasAttachments": False,
        "HasErrors": False,
        "Status": "DRAFT",
        "LineAmountTypes": "Exclusive",
        "LineItems": [],
        "CurrencyCode": "CAD",
    }


def _check_status(element: dict[str, Any], current: dict[str, Any] | None) -> None:
    wanted = element.get("Status")
    if current is None:
        if wanted is not None and wanted not in _CREATE_STATUSES:
            raise Invalid(f"Invoice Status must be one of {', '.join(_CREATE_STATUSES)} when creating an invoice.")
        return
    status = current["Status"]
    allocated = current["AmountPaid"] or current["AmountCredited"]  # Xero's own words: "payment or credit note"
    if status == "PAID" or (allocated and ("LineItems" in element or wanted in ("VOIDED", "DELETED"))):
        raise Invalid(_ALLOCATED)
    if status not in _NEXT_STATUSES or (wanted is not None and wanted not in _NEXT_STATUSES[status]):
        raise Invalid(_NOT_MODIFIABLE)


def _header(books: Books, invoice: dict[str, Any], element: dict[str, Any], current: Any, unitdp: int) -> None:
    errors: list[str] = []
    for field in ("Reference", "Status", "SentToContact", "BrandingThemeID"):
        if field in element:
            invoice[field] = element[field]
    currency_fields(books, invoice, element, current, errors)
    for field in ("Date", "DueDate"):
        if field in element or (field == "Date" and current is None):
            try:
                day = wire.parse_day(element[field]) if field in element else books.today()
            except ValueError:
                errors.append(f"{field} is not a valid date.")
                continue
            invoice[field], invoice[f"{field}String"] = wire.day_fields(day)
    if invoice.get("Status", "DRAFT") != "DRAFT" and "DueDate" not in invoice:
        errors.append("Due Date must be specified.")  # a new org has no default payment terms
    number_given = element.get("InvoiceNumber")
    if number_given is not None:
        invoice["InvoiceNumber"] = str(number_given).strip()
    elif current is None:
        invoice["InvoiceNumber"] = books.next_number("Invoices", "INV")
    clash = any(
        other["InvoiceID"] != invoice["InvoiceID"] and other["Type"] == "ACCREC"
        for other in books.store.matching(books.tenant, "Invoices", "InvoiceNumber", invoice["InvoiceNumber"])
    )
    if clash:
        errors.append("Invoice # must be unique.")
    if errors:
        raise Invalid(*errors)


def currency_fields(
    books: Books, document: dict[str, Any], element: dict[str, Any], current: Any, errors: list[str]
) -> None:
    """An invoice's or credit note's `CurrencyCode` (enabled) and `CurrencyRate` (`currencies.rate`); an update in
    the same currency keeps its rate unless it sends one. Each problem goes to `errors`."""
    code = str(element.get("CurrencyCode", document["CurrencyCode"]))
    refusal = currencies.check_enabled(code, books)
    if refusal is not None:
        errors.append(refusal)
        return
    kept = document["CurrencyRate"] if current is not None and code == document["CurrencyCode"] else None
    document["CurrencyRate"] = currencies.rate(code, element.get("CurrencyRate", kept), errors)
    document["CurrencyCode"] = code


def _contact(books: Books, invoice: dict[str, Any], element: dict[str, Any], current: Any, unitdp: int) -> None:
    given = element.get("Contact")
    if given is None:
        if current is None:
            raise Invalid("A Contact must be specified for this type of transaction")
        return
    if not isinstance(given, dict):
        raise Invalid("Contact must be an object.")
    if given.get("ContactID") or given.get("ContactNumber"):
        contact = books.find("Contacts", given.get("ContactID") or given.get("ContactNumber"))
        if contact is None:
            raise Invalid("The contact could not be found.")
        if given.get("Name") and str(given["Name"]).strip() != contact["Name"]:
            contact = contacts.save(books, {"Name": given["Name"]}, contact)
    elif given.get("Name"):
        wanted = str(given["Name"]).strip().casefold()
        contact = next(
            (
                c
                for c in books.store.matching(books.tenant, "Contacts", "Name", wanted)
                if c["ContactStatus"] == "ACTIVE" and c["Name"].casefold() == wanted
            ),
            None,
        ) or contacts.save(books, given, None)
    else:
        raise Invalid("A Contact must be specified for this type of transaction")
    if contact["ContactStatus"] != "ACTIVE":
        raise Invalid(f"The contact '{contact['Name']}' is archived and cannot be used on a new transaction.")
    currency = element.get("CurrencyCode", invoice["CurrencyCode"])
    billed = contact.get("DefaultCurrency") or currencies.BASE
    if billed != currency and currencies.check_enabled(currency, books) is None:  # else refused for the currency
        # Xero's own rule here is undocumented; the sandbox takes the strict one: a contact has one currency, the
        # base one unless it names another.
        raise Invalid(f"The contact '{contact['Name']}' is billed in {billed}, not {currency}.")
    if not contact.get("IsCustomer"):
        contact = contacts.save(books, {"IsCustomer": True}, contact)
    invoice["Contact"] = contacts.summary(contact)


def _lines(books: Books, invoice: dict[str, Any], element: dict[str, Any], current: Any, unitdp: int) -> None:
    mode = element.get("LineAmountTypes", invoice["LineAmountTypes"])
    if mode not in MODES:
        raise Invalid(f"LineAmountTypes must be one of {', '.join(MODES)}.")
    if current is not None and "LineItems" not in element and mode == invoice["LineAmountTypes"]:
        return
    invoice["LineAmountTypes"] = mode
    given = element["LineItems"] if "LineItems" in element else invoice["LineItems"]
    if not isinstance(given, list):
        raise Invalid("LineItems must be a list.")
    if not given and invoice["Status"] != "DRAFT":
        raise Invalid("At least one line item must be specified.")
    old_ids = {line.get("LineItemID") for line in invoice["LineItems"]}
    lines, errors = [], []
    for raw in given:
        try:
            lines.append(_line(books, raw, mode, unitdp, old_ids))
        except Invalid as bad:
            errors.extend(bad.messages)
    if errors:
        raise Invalid(*errors)
    amounts = sum((line["LineAmount"] for line in lines), ZERO)
    tax = sum((line["TaxAmount"] for line in lines), ZERO)
    invoice["LineItems"] = lines
    invoice["SubTotal"] = amounts - tax if mode == "Inclusive" else amounts
    invoice["TotalTax"] = tax
    invoice["Total"] = invoice["SubTotal"] + tax


def _line(books: Books, raw: Any, mode: str, unitdp: int, old_ids: set[Any]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise Invalid("Each line item must be an object.")
    for unsupported in ("DiscountRate", "DiscountAmount"):
        if raw.get(unsupported):
            raise Invalid(f"{unsupported} is not supported by the sandbox.")
    item: dict[str, Any] = {}
    line: dict[str, Any] = {}
    if raw.get("ItemCode"):
        item = books.find("Items", raw["ItemCode"]) or {}
        if not item:
            raise Invalid(f"Item code '{raw['ItemCode']}' is not valid.")
        line["ItemCode"] = item["Code"]
    sales = item.get("SalesDetails", {})
    description = raw.get("Description") or item.get("Description")
    if not description and not item:
        raise Invalid("Description must be specified for each line item.")
    line["Description"] = description or ""
    qty = quantity(raw.get("Quantity", 1))
    if qty < 0:
        # Reported for invoices and purchase orders; Xero's own form takes a negative price instead (stricter).
        raise Invalid(f"The quantity value '{qty}' is invalid. Quantity must not be less than zero.")
    unit = unit_amount(raw.get("UnitAmount", sales.get("UnitPrice", 0)), unitdp)
    amount = cents(qty * unit)
    if "LineAmount" in raw and cents(number(raw["LineAmount"], "LineAmount")) != amount:
        raise Invalid(f"The line amount {raw['LineAmount']} does not equal Quantity x UnitAmount ({amount}).")
    account = _account(books, raw.get("AccountCode") or sales.get("AccountCode"))
    tax_type = raw.get("TaxType") or sales.get("TaxType") or account.get("TaxType") or "NONE"
    rate = _tax_rate(books, tax_type, account["Code"])
    tracking = line_tracking(books, raw.get("Tracking"))
    line.update(
        {
            "UnitAmount": unit,
            "TaxType": tax_type,
            "TaxAmount": _tax(raw, amount, Decimal(str(rate["EffectiveRate"])), mode),
            "LineAmount": amount,
            "AccountCode": account["Code"],
            "Tracking": tracking,
            "Quantity": qty,
            "LineItemID": raw["LineItemID"] if raw.get("LineItemID") in old_ids else Books.new_id(),
        }
    )
    return line


def _tax(raw: dict[str, Any], amount: Decimal, rate_percent: Decimal, mode: str) -> Decimal:
    """The line's own TaxAmount when given (the spec lets a client override Xero's calculation: "This value can
    be overriden if the calculated <TaxAmount> is not correct"), else Xero's per-line tax.

    The spec sets no bound on an override; the sandbox takes the stricter reading (an assumption): a whole
    number of cents, within a cent of its own per-line calculation (all a rounding difference needs), and
    never tax on an untaxed line (rate 0 or NoTax).
    """
    computed = line_tax(amount, rate_percent, mode)
    if raw.get("TaxAmount") is None:
        return computed
    given = number(raw["TaxAmount"], "TaxAmount")
    if given != 0 and (rate_percent == 0 or mode == "NoTax"):
        raise Invalid("TaxAmount cannot be set on a line without tax.")
    if given != cents(given) or abs(given - computed) > TAX_OVERRIDE_TOLERANCE:
        raise Invalid(
            f"The TaxAmount {raw['TaxAmount']} cannot be used: the tax calculated for this line is {computed}."
        )
    return given


def _account(books: Books, code: Any) -> dict[str, Any]:
    if not code:
        raise Invalid("Account code must be specified for each line item.")
    account = books.find("Accounts", str(code))
    postable = account is not None and (account.get("Class") == "REVENUE" or account.get("SystemAccount") == "ROUNDING")
    if account is None or not postable:
        raise Invalid(f"Account code '{code}' is not a valid code for this document.")
    if account.get("Status") != "ACTIVE":
        raise Invalid(
            f"The account code '{code}' has been archived, or deleted. Each line item must reference a valid account."
        )
    return account


def _tax_rate(books: Books, tax_type: str, account_code: str) -> dict[str, Any]:
    rate = books.get("TaxRates", tax_type)
    if rate is None or rate.get("Status") != "ACTIVE":
        raise Invalid(f"The TaxType code '{tax_type}' does not exist or cannot be used with this type of transaction.")
    if not rate.get("CanApplyToRevenue"):
        raise Invalid(f"The TaxType code '{tax_type}' cannot be used with account code '{account_code}'.")
    return rate


def reapply_payments(books: Books, invoice: dict[str, Any]) -> None:
    """Recompute what is paid from the invoice's payments as they stand (one changed by hand in the UI)."""
    paid = [books.get("Payments", p["PaymentID"]) for p in invoice["Payments"]]
    live = [p for p in paid if p is not None and p["Status"] != "DELETED"]
    invoice["Payments"] = [
        {**entry, "Amount": p["Amount"]}
        for entry in invoice["Payments"]
        for p in live
        if p["PaymentID"] == entry["PaymentID"]
    ]
    invoice["AmountPaid"] = sum((p["Amount"] for p in live), Decimal(0))
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    invoice["Status"] = "PAID" if invoice["AmountDue"] == 0 else "AUTHORISED"
    books.save("Invoices", invoice)


def record_payment(books: Books, invoice: dict[str, Any], payment: dict[str, Any]) -> None:
    """Apply a payment: AmountPaid up, AmountDue down, PAID (with FullyPaidOnDate) at zero."""
    invoice["Payments"].append(
        {
            "PaymentID": payment["PaymentID"],
            "Date": payment["Date"],
            "Amount": payment["Amount"],
            "Reference": payment.get("Reference", ""),
            "CurrencyRate": payment["CurrencyRate"],
            "HasAccount": False,
            "HasValidationErrors": False,
        }
    )
    invoice["AmountPaid"] += payment["Amount"]
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    if invoice["AmountDue"] == 0:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = payment["Date"]
    books.save("Invoices", invoice)


def record_credit(books: Books, invoice: dict[str, Any], note: dict[str, Any], amount: Decimal) -> None:
    """Apply a credit note allocation: AmountCredited up, AmountDue down, PAID at zero."""
    listed = {
        "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note["CreditNoteNumber"],
        "AppliedAmount": amount,
        "Total": note["Total"],
    }
    record_allocation(books, invoice, "CreditNotes", listed, amount, note["Allocations"][-1]["Date"])


def record_allocation(
    books: Books, invoice: dict[str, Any], listed_in: str, listed: dict[str, Any], amount: Decimal, day: str
) -> None:
    """Apply an allocation of credit (a credit note, prepayment or overpayment, listed on the invoice under
    `listed_in`): AmountCredited up, AmountDue down, PAID at zero."""
    invoice[listed_in].append(listed)
    invoice["AmountCredited"] += amount
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    if invoice["AmountDue"] == 0:
        invoice["Status"] = "PAID"
        invoice["FullyPaidOnDate"] = day
    books.save("Invoices", invoice)


def remove_allocation(books: Books, invoice: dict[str, Any], listed_in: str, credit_id: str, amount: Decimal) -> None:
    """Undo one allocation of credit (`record_allocation`) from the credit `credit_id` listed under `listed_in`:
    AmountCredited down, AmountDue up, AUTHORISED again."""
    id_field = ID_FIELDS[listed_in]
    credited = invoice[listed_in]
    index = next(i for i, c in enumerate(credited) if c[id_field] == credit_id and c["AppliedAmount"] == amount)
    del credited[index]
    invoice["AmountCredited"] -= amount
    invoice["AmountDue"] = invoice["Total"] - invoice["AmountPaid"] - invoice["AmountCredited"]
    if invoice["Status"] == "PAID":
        invoice["Status"] = "AUTHORISED"
        invoice.pop("FullyPaidOnDate", None)
    books.save("Invoices", invoice)
