"""Admin sessions kept server-side, in the state store, so that ending one is real.

The signed cookie carries only a random session id (next to the CSRF token and notices); the store keeps
its SHA-256 with who signed in, with which credential and until when. Logout deletes the row, "sign out
everywhere" deletes them all, and a session signed in with another credential than the configured one (the
admin password was changed) is refused and deleted. A saved copy of an old cookie then opens nothing.

How the admin proved who they are is not this module's business: the password form (`login.py`) calls
`start` after checking the configured credential; an identity provider's callback would do the same.
"""

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy import delete

from ledger_sync.state.db import session_scope
from ledger_sync.state.models import AdminSession
from ledger_sync.state.store import StateStore

SESSION_LIFETIME = timedelta(hours=8)
"""A session ends this long after sign-in, however active (as the cookie did before)."""
SESSION_ID = "sid"
"""Cookie session key of the random session id."""


def credential_fingerprint(secret: str, *parts: str) -> str:
    """A keyed fingerprint of the configured credential: it changes when the credential does, and without
    the session secret it cannot be brute-forced back into the password."""
    return hmac.new(secret.encode(), "\0".join(parts).encode(), "sha256").hexdigest()


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class AdminSessions:
    """Sessions of the admin signed in with `credential` (see `credential_fingerprint`)."""

    def __init__(self, store: StateStore, credential: str, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._credential = credential
        self._clock = clock

    def start(self, request: Request, username: str) -> None:
        """A fresh session (and CSRF token) for someone who just proved to be the admin."""
        request.session.clear()
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        with session_scope(self._store.sessions) as session:
            session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
            session.add(
                AdminSession(
                    id_hash=_hash(session_id),
                    username=username,
                    credential=self._credential,
                    created_at=now,
                    expires_at=now + SESSION_LIFETIME,
                )
            )
        request.session[SESSION_ID] = session_id

    def current(self, request: Request) -> str | None:
        """The signed-in admin's name, or None: no session, ended, expired or signed in with an old credential."""
        session_id = request.session.get(SESSION_ID)
        if not session_id:
            return None
        with session_scope(self._store.sessions) as session:
            row = session.get(AdminSession, _hash(str(session_id)))
            if row is None:
                return None
            if row.expires_at <= self._clock() or not hmac.compare_digest(row.credential, self._credential):
                session.delete(row)
                return None
            return row.username

    def end(self, request: Request) -> None:
        """Logout: the session ends here and for every copy of its cookie."""
        session_id = request.session.get(SESSION_ID)
        request.session.clear()
        if session_id:
            with session_scope(self._store.sessions) as session:
                session.execute(delete(AdminSession).where(AdminSession.id_hash == _hash(str(session_id))))

    def end_all(self) -> None:
        """Sign out everywhere: every admin session ends."""
        with session_scope(self._store.sessions) as session:
            session.execute(delete(AdminSession))
