"""QBO's field limits, and the rules that make a record's text fit them before it is sent.

The limits are Intuit's (API reference; the XSD where it is stricter). What a rule can fix is fixed the same
way every time: a name loses what QBO refuses in names (a colon becomes " - "; tabs and line breaks a space)
and, when still too long, is cut to end in "… (<external id>)", so two long names that start alike stay
distinct; the Service Opus name is then kept in the record's other text (a customer's Notes, after our stamp;
an item's Description). Descriptions are informational and cut with a marker. What no rule can fix (an
invoice number or an email address over its limit, a stamp that does not fit) is refused before any call:
`too_long` names it, and the record is parked with that reason.
"""

import re

from ledger_sync.core.records import (
    CreditApplicationRecord,
    CreditNoteRecord,
    CustomerRecord,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
)
from ledger_sync.core.text import first_too_long, led_by_name, one_line, shorten_name, shorten_text, xml_safe

LABEL = "QuickBooks Online"
DISPLAY_NAME_MAX = 500
ITEM_NAME_MAX = 100
DOC_NUMBER_MAX = 21
DESCRIPTION_MAX = 4000
"""A line's and an item's Description."""
PRIVATE_NOTE_MAX = 4000
NOTES_MAX = 1024
"""A customer's Notes: the XSD says 1024 where Intuit's API reference says 2000; the stricter one holds."""
EMAIL_MAX = 100
SKU_MAX = 100
PAYMENT_REF_NUM_MAX = 21
NAME_COLON = re.compile(r"\s*:[\s:]*")
COLON_REPLACEMENT = " - "
"""What a colon in a name becomes: QBO reads a colon as its sub-customer separator and refuses it (2040)."""
SHORTENED = " … (shortened; the full text is in Service Opus)"
ORIGINAL_NAME = "Service Opus name: "


def _name(value: str, limit: int, tag: str) -> str:
    return shorten_name(NAME_COLON.sub(COLON_REPLACEMENT, one_line(value)).strip(), limit, tag)


def display_name(record: CustomerRecord) -> str:
    """The customer's DisplayName: also what it is looked up by."""
    return _name(record.display_name, DISPLAY_NAME_MAX, record.external_id)


def item_name(record: ItemRecord) -> str:
    """The item's Name: also what it is looked up by."""
    return _name(record.name, ITEM_NAME_MAX, record.external_id)


def doc_number(record: InvoiceRecord | CreditNoteRecord) -> str:
    """The invoice's (or credit memo's) DocNumber: also what it is looked up by."""
    return one_line(record.number)


def email(record: CustomerRecord) -> str | None:
    return one_line(record.email) if record.email else None


def description(text: str) -> str:
    return shorten_text(xml_safe(text), DESCRIPTION_MAX, SHORTENED)


def customer_notes(record: CustomerRecord) -> str:
    """Our stamp first (never cut), then the Service Opus name when the DisplayName had to be fixed."""
    original = one_line(record.display_name)
    if display_name(record) == original:
        return record.external_id
    return shorten_text(f"{record.external_id} {ORIGINAL_NAME}{original}", NOTES_MAX, SHORTENED)


def stamped_notes(stamp: str, notes: str | None) -> str:
    """A linked customer's Notes: our stamp first (never cut), then what the bookkeeper wrote, cut to fit."""
    return shorten_text(f"{stamp} {xml_safe(notes or '')}".strip(), NOTES_MAX, SHORTENED)


def item_description(record: ItemRecord) -> str:
    """The item's description, led by its Service Opus name when the Name had to be fixed."""
    return description(led_by_name(xml_safe(record.description), one_line(record.name), item_name(record)))


def private_note(stamp: str, text: str = "") -> str:
    """Our stamp first (never cut), then informational text cut to fit."""
    return shorten_text(f"{stamp} {one_line(text)}".strip(), PRIVATE_NOTE_MAX, SHORTENED)


def too_long(record: LedgerRecord) -> str | None:
    """Why QBO cannot take the record, when a field no rule may change is over its limit; else None."""
    checks: list[tuple[str, str, int]] = []
    match record:
        case CustomerRecord():
            checks.append(("Customer email", email(record) or "", EMAIL_MAX))
        case ItemRecord():
            checks.append((f"The item's stamp (Sku) '{record.external_id}'", record.external_id, SKU_MAX))
        case InvoiceRecord():
            checks.append((f"Invoice number '{doc_number(record)}'", doc_number(record), DOC_NUMBER_MAX))
        case CreditNoteRecord():
            checks.append((f"Credit note number '{doc_number(record)}'", doc_number(record), DOC_NUMBER_MAX))
        case PaymentRecord() | CreditApplicationRecord():
            stamp = record.external_id
            checks.append((f"The payment's stamp (PaymentRefNum) '{stamp}'", stamp, PAYMENT_REF_NUM_MAX))
    return first_too_long(LABEL, checks)
