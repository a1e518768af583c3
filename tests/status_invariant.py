"""The `status` invariant every end-to-end test asserts: each record the sync answers for is in one state."""

from collections.abc import Mapping
from typing import Any

STATES = ("synced", "parked", "waiting", "skipped", "pending")


def accounting_errors(status: Mapping[str, Any]) -> list[str]:
    """Entity types whose states do not add up to what Service Opus holds (empty: the invariant holds)."""
    entities: Mapping[str, Mapping[str, int]] = status["entities"]
    errors = [
        f"{kind}: {dict(counts)}"
        for kind, counts in entities.items()
        if sum(counts[s] for s in STATES) != counts["source"]
    ]
    missing = {"customer", "item", "invoice", "payment"} - set(entities)
    return errors + [f"{kind}: missing from status" for kind in sorted(missing)]
