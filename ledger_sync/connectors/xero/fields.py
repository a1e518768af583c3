"""Xero's field limits, and the rules that make a record's text fit them before it is sent.

The limits are the accounting spec's `maxLength`s and Xero's documented ones (InvoiceNumber, Reference and a
line's Description). A name too long is cut to end in "… (<external id>)", so two long names that start alike
stay distinct; tabs and line breaks in a name become a space. A contact has no free-text field the API can
write (only history notes, a separate call), so a cut contact name lives on in full in Service Opus, found
from Xero by the ContactNumber stamp; an item's full name leads its Description. Descriptions are
informational and cut with a marker. What no rule can fix (an invoice number or an email address over its
limit, a stamp that does not fit) is refused before any call: `too_long` names it, and the record is parked.
"""

from ledger_sync.core.records import (
    CreditNoteRecord,
    CustomerRecord,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
    TipRecord,
)
from ledger_sync.core.text import first_too_long, led_by_name, one_line, shorten_name, shorten_text, xml_safe

LABEL = "Xero"
CONTACT_NAME_MAX = 255
CONTACT_NUMBER_MAX = 50
EMAIL_MAX = 255
ITEM_CODE_MAX = 30
ITEM_NAME_MAX = 50
INVOICE_NUMBER_MAX = 255
REFERENCE_MAX = 255
DESCRIPTION_MAX = 4000
"""An item's and a line's Description."""
SHORTENED = " … (shortened; the full text is in Service Opus)"


def contact_name(record: CustomerRecord) -> str:
    return shorten_name(one_line(record.display_name), CONTACT_NAME_MAX, record.external_id)


def item_name(record: ItemRecord) -> str:
    return shorten_name(one_line(record.name), ITEM_NAME_MAX, record.external_id)


def invoice_number(record: InvoiceRecord | CreditNoteRecord) -> str:
    """The InvoiceNumber (a credit note's CreditNoteNumber): also what an invoice is looked up by."""
    return one_line(record.number)


def email(record: CustomerRecord) -> str | None:
    return one_line(record.email) if record.email else None


def description(text: str) -> str:
    return shorten_text(xml_safe(text), DESCRIPTION_MAX, SHORTENED)


def item_description(record: ItemRecord) -> str:
    """The item's description, led by its Service Opus name when the Name had to be cut."""
    return description(led_by_name(xml_safe(record.description), one_line(record.name), item_name(record)))


def payment_reference(record: PaymentRecord) -> str:
    """A payment's `Reference`: our stamp first (never cut, the first word: what the payment is found by), then its
    method and Service Opus reference (card's last four, check number), as a bookkeeper matches a bank line by them,
    cut to fit: "SO-P12 · card 4242"."""
    details = one_line(f"{record.method} {record.reference}".strip())
    return shorten_text(xml_safe(f"{record.external_id} · {details}"), REFERENCE_MAX, SHORTENED)


def too_long(record: LedgerRecord) -> str | None:
    """Why Xero cannot take the record, when a field no rule may change is over its limit; else None."""
    stamp = record.external_id
    checks: list[tuple[str, str, int]] = []
    match record:
        case CustomerRecord():
            checks.append(("Customer email", email(record) or "", EMAIL_MAX))
            checks.append((f"The customer's stamp (ContactNumber) '{stamp}'", stamp, CONTACT_NUMBER_MAX))
        case ItemRecord():
            checks.append((f"The item's stamp (Code) '{stamp}'", stamp, ITEM_CODE_MAX))
        case InvoiceRecord():
            checks.append((f"Invoice number '{invoice_number(record)}'", invoice_number(record), INVOICE_NUMBER_MAX))
            checks.append((f"The invoice's stamp (Reference) '{stamp}'", stamp, REFERENCE_MAX))
        case CreditNoteRecord():
            number = invoice_number(record)
            checks.append((f"Credit note number '{number}'", number, INVOICE_NUMBER_MAX))
            checks.append((f"The credit note's stamp (Reference) '{stamp}'", stamp, REFERENCE_MAX))
        case PaymentRecord() | TipRecord():
            checks.append((f"The {record.entity_type.value}'s stamp (Reference) '{stamp}'", stamp, REFERENCE_MAX))
    return first_too_long(LABEL, checks)
