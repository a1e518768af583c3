"""Contacts: name rules (at most 255 characters, unique among ACTIVE contacts) and ContactNumber (<= 50); a
`DefaultCurrency` enabled, and kept once the contact has transactions."""

from typing import Any

from ledger_sync.sandboxes.xero import currencies
from ledger_sync.sandboxes.xero.books import Books, Invalid

_WRITABLE = (
    "Name",
    "ContactNumber",
    "AccountNumber",
    "ContactStatus",
    "FirstName",
    "LastName",
    "CompanyNumber",
    "EmailAddress",
    "TaxNumber",
    "DefaultCurrency",
    "Website",
    "BankAccountDetails",
    "Addresses",
    "Phones",
    "ContactPersons",
    "IsSupplier",
    "IsCustomer",
)
_STATUSES = ("ACTIVE", "ARCHIVED", "GDPRREQUEST")
MAX_NAME = 255
MAX_NUMBER = 50


def duplicate_name_message(name: str) -> str:
    return (
        f"The contact name {name} is already assigned to another contact. "
        "The contact name must be unique across all active contacts."
    )


def check(books: Books, contact: dict[str, Any]) -> None:
    """Raise Invalid with every rule the (merged) contact breaks."""
    errors = []
    name = str(contact.get("Name") or "").strip()
    if not name:
        errors.append("The contact name must be specified.")
    elif len(name) > MAX_NAME:
        errors.append("The contact name must not be more than 255 characters long.")
    elif contact.get("ContactStatus", "ACTIVE") == "ACTIVE":
        clash = next(
            (
                other
                for other in books.store.matching(books.tenant, "Contacts", "Name", name)
                if other["ContactID"] != contact.get("ContactID")
                and other.get("ContactStatus") == "ACTIVE"
                and str(other.get("Name", "")).strip().casefold() == name.casefold()
            ),
            None,
        )
        if clash is not None:
            errors.append(duplicate_name_message(name))
    if len(str(contact.get("ContactNumber") or "")) > MAX_NUMBER:
        errors.append("The ContactNumber must not be more than 50 characters long.")
    if contact.get("DefaultCurrency") and (refusal := currencies.check_enabled(contact["DefaultCurrency"], books)):
        errors.append(refusal)
    if contact.get("ContactStatus", "ACTIVE") not in _STATUSES:
        errors.append(f"ContactStatus must be one of {', '.join(_STATUSES)}.")
    if errors:
        raise Invalid(*errors)


def existing(books: Books, element: dict[str, Any]) -> dict[str, Any] | None:
    """The contact a POST updates: by ContactID, else by ContactNumber."""
    if element.get("ContactID"):
        found = books.find("Contacts", element["ContactID"])
        if found is None:
            raise Invalid("Contact not found")
        return found
    return books.find("Contacts", element.get("ContactNumber")) if element.get("ContactNumber") else None


def save(books: Books, element: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """Create (current is None) or update a contact from a request element."""
    contact = dict(current) if current else _blank(books)
    contact.update({field: element[field] for field in _WRITABLE if field in element})
    if isinstance(contact.get("Name"), str):
        contact["Name"] = contact["Name"].strip()
    check(books, contact)
    if current is not None:
        _check_currency_kept(books, current, contact)
    return books.save("Contacts", contact)


TRANSACTIONS = ("Invoices", "CreditNotes", "BankTransactions")
"""Where a contact's transactions are held (its payments, allocations and refunds hang off these)."""


def _check_currency_kept(books: Books, current: dict[str, Any], contact: dict[str, Any]) -> None:
    """A contact's `DefaultCurrency` (none: the base one) stays as it is once the contact has a transaction. Xero's
    help ("Set a default foreign currency for a contact") lets a bookkeeper set it and override it per transaction,
    and documents no refusal of a change; the sandbox takes the stricter reading, as QBO's rule for a customer's
    currency: a contact has one currency, and changing it under existing transactions is refused."""
    before = current.get("DefaultCurrency") or currencies.BASE
    after = contact.get("DefaultCurrency") or currencies.BASE
    if before == after:
        return
    held = any(
        (document.get("Contact") or {}).get("ContactID") == current["ContactID"]
        for collection in TRANSACTIONS
        for document in books.all(collection)
    )
    if held:
        raise Invalid(
            f"The default currency of contact '{current['Name']}' cannot be changed from {before} to {after}: "
            "it has transactions."
        )


def _blank(books: Books) -> dict[str, Any]:
    return {
        "ContactID": books.new_id(),
        "ContactStatus": "ACTIVE",
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "HasValidationErrors": False,
    }


def summary(contact: dict[str, Any]) -> dict[str, Any]:
    """The contact as embedded in an invoice (the fields real Xero returns there)."""
    return {
        "ContactID": contact["ContactID"],
        "Name": contact["Name"],
        "Addresses": [],
        "Phones": [],
        "ContactGroups": [],
        "ContactPersons": [],
        "HasValidationErrors": False,
    }
