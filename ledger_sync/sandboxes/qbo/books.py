"""What validation and derivation read: one company's entities, by type and Id."""

from typing import Any, Protocol


class Books(Protocol):
    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None: ...

    def all(self, entity: str) -> list[dict[str, Any]]: ...


def ref_id(ref: object) -> str | None:
    """The Id a reference (`{"value": "5", "name": ...}`) points at, or None when it is absent or empty."""
    if isinstance(ref, dict) and ref.get("value") not in (None, ""):
        return str(ref["value"])
    return None
