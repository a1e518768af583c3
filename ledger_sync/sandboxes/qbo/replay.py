"""Idempotent writes: a repeated `requestid` gets the first answer back, byte for byte, and changes nothing.

Replays live in the store, so they survive a sandbox restart (QBO's own retention window is undocumented).
"""

from collections.abc import Callable

from ledger_sync.sandboxes.qbo.store import Store


def once(
    store: Store, realm_id: str, request_id: str | None, produce: Callable[[], tuple[int, bytes]]
) -> tuple[int, bytes]:
    """`produce()`'s (status, body), or the one recorded the first time this request id was seen."""
    if not request_id:
        return produce()
    with store.transaction():
        recorded = store.replay(realm_id, request_id)
        if recorded is not None:
            return recorded
        status, body = produce()
        store.save_replay(realm_id, request_id, status, body)
        return status, body
