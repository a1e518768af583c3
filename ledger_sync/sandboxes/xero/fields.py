"""Xero's limits on text fields, and the characters it cannot store, checked on each element as it is sent.

Lengths are the accounting spec's `maxLength`s and Xero's documented ones (an invoice's Reference and a line's
Description); a contact's Name and ContactNumber and an item's Code are checked with their other rules in
`contacts` and `items`. Each field over its limit is one of the element's ValidationErrors.

Xero keeps its data as XML: a character XML 1.0 cannot hold (see `sandboxes.text`) is refused in the words of
Xero's XML parser ("hexadecimal value 0x02, is an invalid character", calcinai/xero-php#832). Whether a JSON
body gets that answer per element or for the whole request is not documented; the sandbox refuses the element
(a ValidationException naming it, or with `summarizeErrors=false` the element's ValidationErrors).
"""

from typing import Any

from ledger_sync.sandboxes.text import at_path, unstorable
from ledger_sync.sandboxes.xero.books import Invalid

LIMITS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "Contacts": (("EmailAddress", "Email Address", 255),),
    "Items": (("Name", "Item Name", 50), ("Description", "Item Description", 4000)),
    "Invoices": (
        ("InvoiceNumber", "Invoice Number", 255),
        ("Reference", "Reference", 255),
        ("LineItems.Description", "Description", 4000),
    ),
    "CreditNotes": (("Reference", "Reference", 255), ("LineItems.Description", "Description", 4000)),
}
"""Per collection, (element path, what Xero calls it, maximum length)."""


def check(collection: str, element: dict[str, Any]) -> None:
    """Invalid with every field of `element` over its limit or holding a character XML 1.0 cannot."""
    errors = [
        f"{path}: hexadecimal value 0x{ord(character):02X}, is an invalid character."
        for path, character in unstorable(element)
    ]
    for path, label, maximum in LIMITS.get(collection, ()):
        if any(len(text) > maximum for text in at_path(element, path)):
            errors.append(f"The {label} must not be more than {maximum} characters long.")
    if errors:
        raise Invalid(*errors)
