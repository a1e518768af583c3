"""The sandbox's persistent state in one SQLite file, so a restart keeps organisations, tokens and keys.

Accounting records are stored as the JSON documents the API returns; secrets are stored only as hashes.
"""

import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ledger_sync.sandboxes.xero import wire

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    tenant TEXT NOT NULL, collection TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (tenant, collection, id));
CREATE TABLE IF NOT EXISTS connections (
    id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL UNIQUE, auth_event_id TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    hash TEXT PRIMARY KEY, redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, challenge TEXT,
    auth_event_id TEXT NOT NULL, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS grants (
    id TEXT PRIMARY KEY, auth_event_id TEXT NOT NULL, scope TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY, kind TEXT NOT NULL, grant_id TEXT NOT NULL, issued_at REAL NOT NULL,
    expires_at REAL NOT NULL, first_used_at REAL);
CREATE TABLE IF NOT EXISTS idempotency (
    tenant TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, status INTEGER NOT NULL,
    body TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (tenant, key));
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
    query TEXT NOT NULL, status INTEGER NOT NULL, write INTEGER NOT NULL, tenant TEXT);
"""


class Store:
    """Thread-safe access to the SQLite file; `transaction()` makes a multi-step write atomic."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            self._depth += 1
            if self._depth == 1:
                self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    self._db.execute("ROLLBACK")
                raise
            else:
                if self._depth == 1:
                    self._db.execute("COMMIT")
            finally:
                self._depth -= 1

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a transaction: undo just this block if it raises (one batch element, say)."""
        with self.transaction():
            self._db.execute("SAVEPOINT element")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK TO element")
                self._db.execute("RELEASE element")
                raise
            self._db.execute("RELEASE element")

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def secret(self) -> bytes:
        """A per-database server secret, for deriving token pairs that can be re-issued identically."""
        with self.transaction():
            row = self.one("SELECT value FROM meta WHERE key = 'secret'")
            if row is None:
                value = secrets.token_hex(32)
                self.execute("INSERT INTO meta (key, value) VALUES ('secret', ?)", (value,))
                return bytes.fromhex(value)
            return bytes.fromhex(row["value"])

    # Accounting documents, kept in the order they were created.

    def get(self, tenant: str, collection: str, doc_id: str) -> dict[str, Any] | None:
        row = self.one(
            "SELECT body FROM docs WHERE tenant = ? AND collection = ? AND id = ?", (tenant, collection, doc_id)
        )
        return wire.loads(row["body"]) if row else None

    def all(self, tenant: str, collection: str) -> list[dict[str, Any]]:
        rows = self.execute(
            "SELECT body FROM docs WHERE tenant = ? AND collection = ? ORDER BY seq", (tenant, collection)
        )
        return [wire.loads(row["body"]) for row in rows]

    def matching(self, tenant: str, collection: str, field: str, value: str) -> list[dict[str, Any]]:
        """Documents whose top-level `field` equals `value` ignoring case. SQLite narrows ASCII values
        down before anything is decoded (a per-element uniqueness check must not decode every document)."""
        if value.isascii():
            rows = self.execute(
                "SELECT body FROM docs WHERE tenant = ? AND collection = ? "
                "AND lower(json_extract(body, ?)) = lower(?) ORDER BY seq",
                (tenant, collection, f"$.{field}", value),
            )
            docs = [wire.loads(row["body"]) for row in rows]
        else:
            docs = self.all(tenant, collection)
        wanted = value.casefold()
        return [doc for doc in docs if str(doc.get(field, "")).casefold() == wanted]

    def put(self, tenant: str, collection: str, doc_id: str, body: dict[str, Any]) -> None:
        with self.transaction():
            updated = self._db.execute(
                "UPDATE docs SET body = ? WHERE tenant = ? AND collection = ? AND id = ?",
                (wire.dumps(body), tenant, collection, doc_id),
            )
            if updated.rowcount == 0:
                self._db.execute(
                    "INSERT INTO docs (tenant, collection, id, seq, body) VALUES (?, ?, ?, "
                    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM docs), ?)",
                    (tenant, collection, doc_id, wire.dumps(body)),
                )
