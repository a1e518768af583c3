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
CREATE TABLE IF NOT EXISTS doc_keys (
    tenant TEXT NOT NULL, collection TEXT NOT NULL, field TEXT NOT NULL, folded TEXT NOT NULL, id TEXT NOT NULL,
    PRIMARY KEY (tenant, collection, field, folded, id));
CREATE INDEX IF NOT EXISTS docs_seq ON docs (seq);
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

KEYED_FIELDS = {
    "Accounts": ("Code",),
    "Contacts": ("Name", "ContactNumber"),
    "Items": ("Code",),
    "Invoices": ("InvoiceNumber",),
    "CreditNotes": ("CreditNoteNumber",),
}
"""Top-level fields documents are looked up by (human keys, unique names): indexed in `doc_keys`, casefolded,
so a write's look-ups and uniqueness checks cost the same at the 100,000th document as at the first."""
_KEYS_VERSION = "1"


def _folded(value: object) -> str:
    return str(value).casefold().strip()


class Store:
    """Thread-safe access to the SQLite file; `transaction()` makes a multi-step write atomic."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        self._db.executescript(_SCHEMA)
        self._index_keys()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _index_keys(self) -> None:
        """Index the keys of documents stored before `doc_keys` existed (once per database)."""
        with self.transaction():
            if self.one("SELECT 1 FROM meta WHERE key = 'doc_keys' AND value = ?", (_KEYS_VERSION,)):
                return
            self._db.execute("DELETE FROM doc_keys")
            for collection in KEYED_FIELDS:
                for row in self.execute("SELECT tenant, id, body FROM docs WHERE collection = ?", (collection,)):
                    self._put_keys(row["tenant"], collection, row["id"], wire.loads(row["body"]))
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('doc_keys', ?)", (_KEYS_VERSION,))

    def _put_keys(self, tenant: str, collection: str, doc_id: str, body: dict[str, Any]) -> None:
        where = (tenant, collection, doc_id)
        self._db.execute("DELETE FROM doc_keys WHERE tenant = ? AND collection = ? AND id = ?", where)
        self._db.executemany(
            "INSERT OR IGNORE INTO doc_keys (tenant, collection, field, folded, id) VALUES (?, ?, ?, ?, ?)",
            [
                (tenant, collection, field, _folded(body[field]), doc_id)
                for field in KEYED_FIELDS.get(collection, ())
                if body.get(field) is not None
            ],
        )

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

    def count(self, tenant: str, collection: str) -> int:
        row = self.one("SELECT COUNT(*) AS n FROM docs WHERE tenant = ? AND collection = ?", (tenant, collection))
        return int(row["n"]) if row else 0

    def matching(self, tenant: str, collection: str, field: str, value: str) -> list[dict[str, Any]]:
        """Documents whose top-level `field` equals `value` ignoring case, in creation order. A keyed field is
        looked up in `doc_keys`; otherwise SQLite narrows ASCII values down before anything is decoded (a
        per-element uniqueness check must not decode every document)."""
        if field in KEYED_FIELDS.get(collection, ()):
            rows = self.execute(
                "SELECT d.body FROM doc_keys AS k JOIN docs AS d "
                "ON d.tenant = k.tenant AND d.collection = k.collection AND d.id = k.id "
                "WHERE k.tenant = ? AND k.collection = ? AND k.field = ? AND k.folded = ? ORDER BY d.seq",
                (tenant, collection, field, _folded(value)),
            )
            docs = [wire.loads(row["body"]) for row in rows]
        elif value.isascii():
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
        text = wire.dumps(body)
        with self.transaction():
            updated = self._db.execute(
                "UPDATE docs SET body = ? WHERE tenant = ? AND collection = ? AND id = ?",
                (text, tenant, collection, doc_id),
            )
            if updated.rowcount == 0:
                self._db.execute(
                    "INSERT INTO docs (tenant, collection, id, seq, body) VALUES (?, ?, ?, "
                    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM docs), ?)",
                    (tenant, collection, doc_id, text),
                )
            self._put_keys(tenant, collection, doc_id, body)
