"""SQLite persistence of the sandbox: companies' entities, OAuth token hashes, replays and the request log.

One connection guarded by a re-entrant lock: the sandbox is small and writes must be serialised anyway
(name and DocNumber uniqueness are checked then written). Nested `transaction()` blocks are savepoints,
so one failing batch item rolls back alone.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger_sync.sandboxes.qbo import wire

SCHEMA = """
CREATE TABLE IF NOT EXISTS realms (realm_id TEXT PRIMARY KEY, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS entities (
    realm_id TEXT NOT NULL, entity TEXT NOT NULL, id INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (realm_id, entity, id)
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id TEXT NOT NULL, realm_id TEXT NOT NULL,
    redirect_uri TEXT, issued_at REAL NOT NULL, expires_at REAL NOT NULL, consented_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_grant ON tokens (grant_id);
CREATE TABLE IF NOT EXISTS replays (
    realm_id TEXT NOT NULL, request_id TEXT NOT NULL, status INTEGER NOT NULL, body BLOB NOT NULL,
    PRIMARY KEY (realm_id, request_id)
);
CREATE TABLE IF NOT EXISTS request_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, status INTEGER NOT NULL, write INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class TokenRow:
    """A code, access or refresh token, known only by its sha256; all tokens of one consent share `grant_id`."""

    token_hash: str
    kind: str
    grant_id: str
    realm_id: str
    issued_at: float
    expires_at: float
    consented_at: float
    redirect_uri: str | None = None
    used: bool = False
    revoked: bool = False


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing; nested blocks are savepoints. Holds the store's lock throughout."""
        with self._lock:
            savepoint = f"sp{self._depth}"
            self._conn.execute("BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {savepoint}")
                    self._conn.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            self._conn.execute("COMMIT" if self._depth == 0 else f"RELEASE {savepoint}")

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._lock:
            return self._conn.execute(sql, params).lastrowid or 0

    # Companies and their entities

    def has_realm(self, realm_id: str) -> bool:
        return bool(self._rows("SELECT 1 FROM realms WHERE realm_id = ?", (realm_id,)))

    def add_realm(self, realm_id: str, created_at: float) -> None:
        self._run("INSERT INTO realms (realm_id, created_at) VALUES (?, ?)", (realm_id, created_at))

    def get(self, realm_id: str, entity: str, entity_id: str) -> dict[str, Any] | None:
        if not entity_id.isdigit():
            return None
        rows = self._rows(
            "SELECT body FROM entities WHERE realm_id = ? AND entity = ? AND id = ?", (realm_id, entity, int(entity_id))
        )
        return wire.loads(rows[0][0]) if rows else None

    def all(self, realm_id: str, entity: str) -> list[dict[str, Any]]:
        rows = self._rows("SELECT body FROM entities WHERE realm_id = ? AND entity = ? ORDER BY id", (realm_id, entity))
        return [wire.loads(body) for (body,) in rows]

    def next_id(self, realm_id: str, entity: str) -> str:
        rows = self._rows(
            "SELECT COALESCE(MAX(id), 0) + 1 FROM entities WHERE realm_id = ? AND entity = ?", (realm_id, entity)
        )
        return str(rows[0][0])

    def put(self, realm_id: str, entity: str, body: dict[str, Any]) -> None:
        self._run(
            "INSERT OR REPLACE INTO entities (realm_id, entity, id, body) VALUES (?, ?, ?, ?)",
            (realm_id, entity, int(body["Id"]), wire.dumps(body)),
        )

    # OAuth tokens

    def add_token(self, row: TokenRow) -> None:
        self._run(
            "INSERT INTO tokens (token_hash, kind, grant_id, realm_id, redirect_uri, issued_at, expires_at, "
            "consented_at, used, revoked) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                row.token_hash,
                row.kind,
                row.grant_id,
                row.realm_id,
                row.redirect_uri,
                row.issued_at,
                row.expires_at,
                row.consented_at,
                int(row.used),
                int(row.revoked),
            ),
        )

    def token(self, token_hash: str) -> TokenRow | None:
        rows = self._rows(
            "SELECT token_hash, kind, grant_id, realm_id, issued_at, expires_at, consented_at, redirect_uri, used, "
            "revoked FROM tokens WHERE token_hash = ?",
            (token_hash,),
        )
        if not rows:
            return None
        *head, used, revoked = rows[0]
        return TokenRow(*head, used=bool(used), revoked=bool(revoked))

    def mark_token_used(self, token_hash: str) -> None:
        self._run("UPDATE tokens SET used = 1 WHERE token_hash = ?", (token_hash,))

    def extend_token(self, token_hash: str, expires_at: float) -> None:
        self._run("UPDATE tokens SET expires_at = ? WHERE token_hash = ?", (expires_at, token_hash))

    def revoke_token(self, token_hash: str) -> None:
        self._run("UPDATE tokens SET revoked = 1 WHERE token_hash = ?", (token_hash,))

    def revoke_grant(self, grant_id: str) -> None:
        self._run("UPDATE tokens SET revoked = 1 WHERE grant_id = ?", (grant_id,))

    # Idempotent replays

    def replay(self, realm_id: str, request_id: str) -> tuple[int, bytes] | None:
        rows = self._rows(
            "SELECT status, body FROM replays WHERE realm_id = ? AND request_id = ?", (realm_id, request_id)
        )
        return (int(rows[0][0]), bytes(rows[0][1])) if rows else None

    def save_replay(self, realm_id: str, request_id: str, status: int, body: bytes) -> None:
        self._run(
            "INSERT INTO replays (realm_id, request_id, status, body) VALUES (?, ?, ?, ?)",
            (realm_id, request_id, status, body),
        )

    # Request log

    def log_request(self, time: str, method: str, path: str, query: str, status: int, write: bool) -> None:
        self._run(
            "INSERT INTO request_log (time, method, path, query, status, write) VALUES (?, ?, ?, ?, ?, ?)",
            (time, method, path, query, status, int(write)),
        )

    def requests_since(self, since: int) -> list[dict[str, Any]]:
        rows = self._rows(
            "SELECT id, time, method, path, query, status, write FROM request_log WHERE id > ? ORDER BY id", (since,)
        )
        keys = ("id", "time", "method", "path", "query", "status", "write")
        return [dict(zip(keys, row, strict=True)) | {"write": bool(row[6])} for row in rows]
