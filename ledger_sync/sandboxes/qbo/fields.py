"""QBO's limits on text fields, and the characters it cannot store, checked on the entity as it would be saved.

Lengths are Intuit's (API reference; the XSD's where it is stricter: a customer's Notes, 1024 there and 2000
in the reference). A string too long is fault 2050, naming the element and both lengths, as QBO answers. Names
(DisplayName, an item's Name) are checked with their other rules in `rules`.

QBO keeps its data as XML: a character XML 1.0 cannot hold (see `sandboxes.text`) anywhere in the entity is
refused with 2040 "Invalid String", the fault QBO gives for characters it does not take in a name. Intuit does
not document which answer such a character gets; refusing it with a validation fault is the strict reading (a
real company might store it mangled, or fail with a 500).
"""

from typing import Any

from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.text import at_path, unstorable

LIMITS: dict[str, tuple[tuple[str, int], ...]] = {
    "Customer": (("Notes", 1024), ("PrimaryEmailAddr.Address", 100)),
    "Item": (("Description", 4000), ("Sku", 100)),
    "Invoice": (("DocNumber", 21), ("PrivateNote", 4000), ("Line.Description", 4000)),
    "CreditMemo": (("DocNumber", 21), ("PrivateNote", 4000), ("Line.Description", 4000)),
    "Payment": (("PaymentRefNum", 21), ("PrivateNote", 4000)),
    "Deposit": (("PrivateNote", 4000),),
    "RefundReceipt": (("DocNumber", 21), ("PrivateNote", 4000), ("Line.Description", 4000)),
}
"""Per entity, (element path, maximum length)."""


def check_lengths(entity: str, body: dict[str, Any]) -> None:
    """2050 for the first element longer than QBO stores."""
    for path, maximum in LIMITS.get(entity, ()):
        for text in at_path(body, path):
            if len(text) > maximum:
                raise faults.string_length(path, maximum, len(text))


def check_characters(body: dict[str, Any]) -> None:
    """2040 for the first element holding a character XML 1.0 cannot."""
    for path, _ in unstorable(body):
        raise faults.unstorable_characters(path)
