"""Throttling failed sign-ins, per account and per client address.

Four failures are free; the fifth locks the account (and the address) out for 30 s and each further one for
twice as long as the last, up to 15 minutes. While locked, even the right password is refused with "try
again in N s", so guessing runs at a few tries an hour instead of fifty a second. A success clears the
account's and the address's counts; an hour without failures forgets them.

The counts live in the state store, not in memory: a restart (or a crash the attacker provokes) must not
reset them, and every web process behind a load balancer must see the same counts. The clock is injected
so tests need no sleeps.
"""

import hashlib
import math
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError

from ledger_sync.state.db import session_scope
from ledger_sync.state.models import LoginFailure
from ledger_sync.state.store import StateStore

LOCK_AT = 5
"""The failure that brings the first lock."""
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def throttle_keys(username: str, address: str | None) -> list[str]:
    """The account (hashed: any text can be typed there) and the client address a sign-in is counted under."""
    account = hashlib.sha256(username.casefold().encode()).hexdigest()
    return [f"account:{account}", f"address:{(address or 'unknown')[:64]}"]


class LoginThrottle:
    def __init__(self, store: StateStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def wait_seconds(self, keys: list[str]) -> int:
        """How long any of `keys` is still locked out, in whole seconds (0: not locked)."""
        now = self._clock()
        with self._store.sessions() as session:
            locks = session.scalars(
                select(LoginFailure.locked_until).where(LoginFailure.key.in_(keys), LoginFailure.locked_until > now)
            ).all()
        return max((math.ceil((lock - now).total_seconds()) for lock in locks if lock is not None), default=0)

    def attempt(self, keys: list[str]) -> int:
        """Admit a sign-in attempt, counted as failed until `succeeded` says otherwise (so a burst of parallel
        guesses cannot all pass before the first is counted), or return how long to wait if a key is locked."""
        try:
            return self._count(keys)
        except IntegrityError:  # another process inserted the same key meanwhile: count again on its row
            return self._count(keys)

    def succeeded(self, keys: list[str]) -> None:
        with session_scope(self._store.sessions) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))

    def _count(self, keys: list[str]) -> int:
        now = self._clock()
        with session_scope(self._store.sessions) as session:
            # A write first: it takes the database's write lock on SQLite (the rows' locks on PostgreSQL come
            # below), so concurrent attempts are counted one after the other.
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.last_failure_at < now - FORGET_AFTER,
                    or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
                )
            )
            rows = [session.get(LoginFailure, key, with_for_update=True) for key in keys]
            locks = [row.locked_until for row in rows if row is not None and row.locked_until is not None]
            if (wait := max((math.ceil((lock - now).total_seconds()) for lock in locks), default=0)) > 0:
                return wait  # refused, so not counted: waiting out the lock is what lifts it
            for key, found in zip(keys, rows, strict=True):
                row = found or LoginFailure(key=key, failures=0)
                session.add(row)
                row.failures += 1
                row.last_failure_at = now
                if row.failures >= LOCK_AT:
                    doublings = min(row.failures - LOCK_AT, 5)  # 30 s * 2**5 is past the longest lock
                    row.locked_until = now + min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)
            session.flush()
            return 0
