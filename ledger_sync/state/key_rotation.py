"""Re-encrypting every stored secret with the newest key (`ledger-sync keys rotate`).

Run with the new key first in LEDGER_SYNC_ENCRYPTION_KEYS and the old ones after it; once it reports
nothing unreadable, the old keys can be dropped. Each connection is rotated under the same row lock as a
token refresh, so a refresh running meanwhile is never overwritten with an older token. A connection
whose tokens no configured key opens is marked "needs reconnect" with the reason, and the others go on.
"""

from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from ledger_sync.state.db import session_scope
from ledger_sync.state.models import Connection, PendingAuthorization
from ledger_sync.state.sync_events import emit_needs_reconnect
from ledger_sync.state.tokens import UNREADABLE_REASON, TokenCipher, UnreadableToken, mark_unreadable


@dataclass
class Rotation:
    connections: int = 0
    """Connections whose tokens are now encrypted with the newest key."""
    pending: int = 0
    """Authorizations in flight re-encrypted."""
    unreadable: list[tuple[int, str]] = field(default_factory=list)
    """(company id, ledger) of connections no key could open: marked "needs reconnect"."""
    dropped_pending: int = 0
    """Unreadable authorizations in flight, forgotten (the admin clicks Connect again)."""


def rotate_keys(sessions: sessionmaker[Session], cipher: TokenCipher) -> Rotation:
    result = Rotation()
    with sessions() as session:
        ids = list(session.scalars(select(Connection.id).where(Connection.refresh_token_enc.is_not(None))))
    for connection_id in ids:
        stopped: tuple[int, str] | None = None
        with session_scope(sessions) as session:
            session.execute(update(Connection).where(Connection.id == connection_id).values(status=Connection.status))
            row = session.get(Connection, connection_id, with_for_update=True, populate_existing=True)
            if row is None or row.refresh_token_enc is None:
                continue  # disconnected meanwhile
            try:
                access = cipher.rotate(row.access_token_enc) if row.access_token_enc else None
                row.refresh_token_enc = cipher.rotate(row.refresh_token_enc)
            except UnreadableToken:
                mark_unreadable(row)
                stopped = (row.company_id, row.ledger)
                result.unreadable.append(stopped)
            else:
                row.access_token_enc = access
                result.connections += 1
        if stopped is not None:  # committed: tell whoever the notification automation reaches
            emit_needs_reconnect(connection_id, *stopped, UNREADABLE_REASON)
    with session_scope(sessions) as session:
        for pending in session.scalars(select(PendingAuthorization)):
            try:
                if pending.code_verifier_enc:
                    pending.code_verifier_enc = cipher.rotate(pending.code_verifier_enc)
                if pending.tokens_enc:
                    pending.tokens_enc = cipher.rotate(pending.tokens_enc)
            except UnreadableToken:
                session.delete(pending)
                result.dropped_pending += 1
            else:
                result.pending += 1
    return result
