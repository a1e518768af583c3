"""Idempotent writes: a repeated `requestid` gets the first answer back, byte for byte, and changes nothing.

Replays live in the store, so they survive a sandbox restart (QBO's own retention window is undocumented).
"""

from collections.abc import Callable

from ledger_sync.sandboxes.qbo.store import Store

Answer = tuple[int, bytes]


def once(
    store: Store,
    realm_id: str,
    request_id: str | None,
    produce: Callable[[], Answer],
    replayed: Callable[[Answer], Answer] | None = None,
) -> Answer:
    """`produce()`'s (status, body), or the one recorded the first time this request id was seen
    (passed through `replayed` when given: what a replay answers instead of the recording)."""
    if not request_id:
        return produce()
    with store.transaction():
        recorded = store.replay(realm_id, request_id)
        if recorded is not None:
            return replayed(recorded) if replayed is not None else recorded
        status, body = produce()
        store.save_replay(realm_id, request_id, status, body)
        return status, body
