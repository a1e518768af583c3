"""Throttling failed sign-ins, per account and per client address.

Five failures are free; each further one locks the account (and the address) out for twice as long as the
last lock, from 30 s up to 15 minutes, and while locked even the right password is refused with "try again
in N s", so guessing runs at a few tries an hour instead of fifty a second. A success clears the account's
and the address's count; an hour without failures forgets them.

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

FREE_FAILURES = 5
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

    def failed(self, keys: list[str]) -> None:
        """Count a failed sign-in under each key, locking the ones past the free failures."""
        try:
            self._count(keys)
        except IntegrityError:  # another process inserted the same key meanwhile: count again on its row
            self._count(keys)

    def succeeded(self, keys: list[str]) -> None:
        with session_scope(self._store.sessions) as session:
            session.execute(delete(LoginFailure).where(LoginFailure.key.in_(keys)))

    def _count(self, keys: list[str]) -> None:
        now = self._clock()
        with session_scope(self._store.sessions) as session:
            stale = now - FORGET_AFTER
            session.execute(
                delete(LoginFailure).where(
                    LoginFailure.last_failure_at < stale,
                    or_(LoginFailure.locked_until.is_(None), LoginFailure.locked_until < now),
                )
            )
            for key in keys:
                row = session.get(LoginFailure, key, with_for_update=True)
                if row is None:
                    row = LoginFailure(key=key, failures=0)
                    session.add(row)
                row.failures += 1
                row.last_failure_at = now
                if row.failures >= FREE_FAILURES:
                    doublings = min(row.failures - FREE_FAILURES, 5)  # 30 s * 2**5 is past the longest lock
                    row.locked_until = now + min(FIRST_LOCK * 2**doublings, LONGEST_LOCK)
                session.flush()
