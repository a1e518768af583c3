"""`Idempotency-Key` on writes: a repeat within the retention window gets the first answer again.

Xero's retention is reported as about 6 minutes (counted on the sandbox clock here); reusing a key
for a different request is refused. Kept in SQLite, so a sandbox restart does not forget.
"""

import hashlib
from dataclasses import dataclass

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.xero.store import Store

RETENTION_SECONDS = 360
MAX_KEY_LENGTH = 128


@dataclass(frozen=True)
class Recorded:
    status: int
    body: str


class KeyReused(Exception):
    """The key was used, within the window, for a request with another method, URL or body."""


def fingerprint(method: str, url: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), url.encode(), body])).hexdigest()


class IdempotencyKeys:
    def __init__(self, store: Store, clock: ScaledClock) -> None:
        self._store = store
        self._clock = clock

    def recall(self, tenant: str, key: str, print_: str) -> Recorded | None:
        row = self._store.one("SELECT * FROM idempotency WHERE tenant = ? AND key = ?", (tenant, key))
        if row is None or row["created"] < self._clock.seconds() - RETENTION_SECONDS:
            return None
        if row["fingerprint"] != print_:
            raise KeyReused(key)
        return Recorded(row["status"], row["body"])

    def remember(self, tenant: str, key: str, print_: str, recorded: Recorded) -> None:
        self._store.execute(
            "INSERT OR REPLACE INTO idempotency (tenant, key, fingerprint, status, body, created) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (tenant, key, print_, recorded.status, recorded.body, self._clock.seconds()),
        )
