"""What validation and derivation read: one company's entities, by type and Id, and the lookups writes need."""

from typing import Any, Protocol


class Books(Protocol):
    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None: ...

    def all(self, entity: str) -> list[dict[str, Any]]: ...

    def named(self, entities: tuple[str, ...], field: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        """(entity, body) of each of `entities` whose `field` is `name` by `name_key`, in `entities` then Id order."""
        ...

    def with_doc_number(self, doc_number: str, entity: str = "Invoice") -> list[dict[str, Any]]:
        """The invoices (or credit memos) whose DocNumber is exactly `doc_number`, by Id."""
        ...

    def payments_linking(self, invoice_id: str) -> list[dict[str, Any]]:
        """A superset of the payments linked to `invoice_id` (an invoice or credit memo Id), by Id
        (`payments.invoice_links` and `payments.credit_links` tell exactly)."""
        ...


def name_key(name: str) -> str:
    """How QBO compares names: ignoring case and surrounding whitespace."""
    return name.strip().casefold()


def ref_id(ref: object) -> str | None:
    """The Id a reference (`{"value": "5", "name": ...}`) points at, or None when it is absent or empty."""
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None
