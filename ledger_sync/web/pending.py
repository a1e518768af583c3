"""Authorizations in flight, kept server-side and single use.

A `state` is valid once, for 15 minutes, and only in the browser session that started it (the session
lists its states; this table holds what goes with each: company, ledger, the encrypted PKCE verifier).
Tokens waiting for the admin to pick a Xero organisation are parked here too, encrypted.
"""

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from ledger_sync.core.tokens import TokenSet
from ledger_sync.state.db import session_scope
from ledger_sync.state.models import PendingAuthorization
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher, UnreadableToken

PENDING_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Pending:
    company_id: int
    ledger: str
    code_verifier: str | None = None
    tokens: TokenSet | None = None


def _dump(tokens: TokenSet) -> str:
    return json.dumps(
        {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "access_expires_at": tokens.access_expires_at.isoformat(),
            "refresh_expires_at": tokens.refresh_expires_at.isoformat() if tokens.refresh_expires_at else None,
        }
    )


def _load(raw: str) -> TokenSet:
    data = json.loads(raw)
    refresh_expires = data["refresh_expires_at"]
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=data["refresh_token"],
        access_expires_at=datetime.fromisoformat(data["access_expires_at"]),
        refresh_expires_at=datetime.fromisoformat(refresh_expires) if refresh_expires else None,
    )


class PendingAuthorizations:
    def __init__(self, store: StateStore, cipher: TokenCipher) -> None:
        self._store = store
        self._cipher = cipher

    def open(self, state: str, company_id: int, ledger: str, code_verifier: str | None) -> None:
        """Remember a consent in flight under its `state`."""
        verifier = self._cipher.encrypt(code_verifier) if code_verifier else None
        self._add(PendingAuthorization(key=state, company_id=company_id, ledger=ledger, code_verifier_enc=verifier))

    def hold_tokens(self, company_id: int, ledger: str, tokens: TokenSet) -> str:
        """Park tokens until the admin picks an organisation; returns the key to claim them with."""
        key = secrets.token_urlsafe(24)
        self._add(
            PendingAuthorization(
                key=key, company_id=company_id, ledger=ledger, tokens_enc=self._cipher.encrypt(_dump(tokens))
            )
        )
        return key

    def take(self, key: str, ledger: str) -> Pending | None:
        """Claim and forget `key`; None when it is unknown, used, expired, for another ledger, or no longer
        readable (its encryption key was rotated away): the admin clicks Connect again."""
        with session_scope(self._store.sessions) as session:
            row = session.get(PendingAuthorization, key, with_for_update=True)
            if row is None:
                return None
            session.delete(row)
            if row.ledger != ledger or row.created_at < datetime.now(UTC) - PENDING_TTL:
                return None
            try:
                return Pending(
                    row.company_id,
                    row.ledger,
                    self._cipher.decrypt(row.code_verifier_enc) if row.code_verifier_enc else None,
                    _load(self._cipher.decrypt(row.tokens_enc)) if row.tokens_enc else None,
                )
            except UnreadableToken:
                return None

    def _add(self, row: PendingAuthorization) -> None:
        with session_scope(self._store.sessions) as session:
            stale = datetime.now(UTC) - PENDING_TTL
            session.execute(delete(PendingAuthorization).where(PendingAuthorization.created_at < stale))
            session.add(row)
