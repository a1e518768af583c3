"""SQLite persistence of the sandbox: companies' entities, OAuth token hashes, replays and the request log.

One connection guarded by a re-entrant lock: the sandbox is small and writes must be serialised anyway
(name and DocNumber uniqueness are checked then written). Nested `transaction()` blocks are savepoints,
so one failing batch item rolls back alone.

The uniqueness checks and derived fields of every write look entities up by name, DocNumber or linked
invoice; scanning the company for them made a sync quadratic. Expression indexes over the JSON bodies (and
a table of payment-to-invoice links) narrow each lookup to a few candidates, which are then matched in Python
exactly as before. The SQL keys are supersets by construction: whatever SQL cannot match exactly (odd JSON
types) gets a catch-all key that is always fetched. Names are keyed by `name_key` itself, a deterministic SQL
function of the store's connection, so a name that is not ASCII is found by its key like any other (SQLite's own
`lower()` folds ASCII only: a catch-all key for those names made each person write decode all of them, which grew
with the company).
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger_sync.sandboxes.qbo import wire
from ledger_sync.sandboxes.qbo.books import name_key

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

_BODY = "CAST(body AS TEXT)"
"""Bodies are stored as JSON bytes; SQLite's JSON functions refuse BLOBs."""
NAME_KEY_SQL = "qbo_name_key"
"""`name_key` as the SQL function the name indexes are built on (registered on every connection of a Store)."""


def _field(field: str) -> str:
    if not field.isidentifier():
        raise ValueError(f"not a JSON field name: {field!r}")
    return f"'$.{field}'"


def _value(field: str, body: str = _BODY) -> str:
    return f"json_extract({body}, {_field(field)})"


def _marks(values: tuple[str, ...]) -> str:
    return ", ".join("?" * len(values))


def _is_ascii(value: str) -> str:
    """True for text whose UTF-8 is one byte a character (an embedded NUL also makes this false)."""
    return f"length(CAST({value} AS BLOB)) = length({value})"


def _sql_name_key(value: object) -> str | None:
    return name_key(value) if isinstance(value, str) else None


def _name_key_sql(field: str) -> str:
    """`name_key(field)` for text, NULL for absent or non-text values."""
    return f"CASE WHEN json_type({_BODY}, {_field(field)}) = 'text' THEN {NAME_KEY_SQL}({_value(field)}) END"


def _number_order_sql(field: str) -> str:
    """For a value that `str(v).isdigit()` accepts and SQLite reads exactly (ASCII digits): a text key in numeric
    order (digit count, then digits, leading zeros dropped). '' for what only Python can judge (non-ASCII text,
    negative or over-long integers); NULL for values that are certainly not digits."""
    value = _value(field)
    kind = f"json_type({_BODY}, {_field(field)})"
    text = f"CAST({value} AS TEXT)"
    digits = f"ltrim({text}, '0')"
    return (
        f"CASE WHEN {kind} = 'text' AND NOT {_is_ascii(value)} THEN '' "
        f"WHEN {kind} IN ('text', 'integer') AND {text} <> '' AND {text} NOT GLOB '*[^0-9]*' "
        f"THEN printf('%04d', length({digits})) || {digits} "
        f"WHEN {kind} = 'integer' THEN '' END"
    )


NAME_FIELDS = ("DisplayName", "Name")
LOOKUP_INDEXES = {
    **{f"entities_{field.lower()}_name_key": _name_key_sql(field) for field in NAME_FIELDS},
    "entities_docnumber": _value("DocNumber"),
    "entities_docnumber_order": _number_order_sql("DocNumber"),
}
"""Expression indexes, created on every open so existing sandbox files get them too."""
RETIRED_INDEXES = tuple(f"entities_{field.lower()}_key" for field in NAME_FIELDS)
"""Name indexes of older sandbox files (ASCII folded in SQL, a catch-all key for the rest): dropped on open."""

_LINK = "CASE WHEN link.type = 'object' THEN link.value ELSE '{}' END"
_TXN_ID = _value("TxnId", _LINK)
PAYMENT_LINKS = f"""
INSERT OR IGNORE INTO payment_links (realm_id, invoice_id, payment_id)
SELECT e.realm_id,
    CASE WHEN json_type({_LINK}, '$.TxnId') IN ('text', 'integer') AND typeof({_TXN_ID}) IN ('text', 'integer')
    THEN CAST({_TXN_ID} AS TEXT) ELSE '' END,
    e.id
FROM entities AS e, json_each({_BODY}, '$.Line') AS line,
    json_each(CASE WHEN line.type = 'object' THEN line.value ELSE '{{}}' END, '$.LinkedTxn') AS link
WHERE e.entity = 'Payment'
"""
"""Every Id a payment's `Line[].LinkedTxn[]` names, as `str()` gives it, or '' when SQL cannot render it so;
a superset of `payments.invoice_links` (it ignores TxnType)."""


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
        self._conn.create_function(NAME_KEY_SQL, 1, _sql_name_key, deterministic=True)
        self._conn.executescript(SCHEMA)
        self._lock = threading.RLock()
        self._depth = 0
        with self.transaction():
            for name in RETIRED_INDEXES:
                self._conn.execute(f"DROP INDEX IF EXISTS {name}")
            for name, key in LOOKUP_INDEXES.items():
                self._conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON entities (realm_id, entity, {key})")
            if not self._rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'payment_links'"):
                self._conn.execute(
                    "CREATE TABLE payment_links (realm_id TEXT NOT NULL, invoice_id TEXT NOT NULL, "
                    "payment_id INTEGER NOT NULL, PRIMARY KEY (realm_id, invoice_id, payment_id)) WITHOUT ROWID"
                )
                self._conn.execute(PAYMENT_LINKS)

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

    def _bodies(self, sql: str, params: tuple[Any, ...]) -> list[tuple[str, dict[str, Any]]]:
        """(entity, body) for `SELECT entity, id, body ...` rows, by Id: sorted here, as an ORDER BY would lead
        SQLite to walk the primary key instead of the narrower lookup index."""
        rows = sorted(self._rows(sql, params), key=lambda row: row[1])
        return [(entity, wire.loads(body)) for entity, _, body in rows]

    def named(
        self, realm_id: str, entities: tuple[str, ...], field: str, name: str
    ) -> list[tuple[str, dict[str, Any]]]:
        """(entity, body) of each of `entities` whose text `field` has the same `name_key` as `name`, in the
        order of `entities`, then Id."""
        wanted = name_key(name)
        found = self._bodies(
            f"SELECT entity, id, body FROM entities WHERE realm_id = ? AND entity IN ({_marks(entities)}) "
            f"AND {_name_key_sql(field)} = ?",
            (realm_id, *entities, wanted),
        )
        matching = [(e, b) for e, b in found if isinstance(b.get(field), str) and name_key(b[field]) == wanted]
        return sorted(matching, key=lambda pair: entities.index(pair[0]))

    def find_by(self, realm_id: str, entity: str, field: str, value: str) -> list[dict[str, Any]]:
        """The `entity` records whose `field` is the text `value`, by Id."""
        found = self._bodies(
            f"SELECT entity, id, body FROM entities WHERE realm_id = ? AND entity = ? AND {_value(field)} = ?",
            (realm_id, entity, value),
        )
        return [body for _, body in found if body.get(field) == value]

    def largest_number(self, realm_id: str, entity: str, field: str) -> int | None:
        """The largest `int(v)` over the `entity` records whose `field` value `v` has `str(v).isdigit()`."""
        order = _number_order_sql(field)
        where = f"FROM entities WHERE realm_id = ? AND entity = ? AND {order}"
        top = self._rows(f"SELECT body {where} > '' ORDER BY {order} DESC LIMIT 1", (realm_id, entity))
        odd = self._rows(f"SELECT body {where} = ''", (realm_id, entity))
        values = [str(wire.loads(body).get(field)) for (body,) in top + odd]
        numbers = [int(value) for value in values if value.isdigit()]
        return max(numbers, default=None)

    def payments_linking(self, realm_id: str, invoice_id: str) -> list[dict[str, Any]]:
        """The payments whose `Line[].LinkedTxn[]` may name `invoice_id` (callers match exactly), by Id."""
        found = self._bodies(
            "SELECT DISTINCT e.entity, e.id, e.body FROM payment_links AS l CROSS JOIN entities AS e "
            "ON e.realm_id = l.realm_id AND e.entity = 'Payment' AND e.id = l.payment_id "
            "WHERE l.realm_id = ? AND l.invoice_id IN (?, '')",
            (realm_id, invoice_id),
        )
        return [body for _, body in found]

    def put(self, realm_id: str, entity: str, body: dict[str, Any]) -> None:
        with self.transaction():
            self._run(
                "INSERT OR REPLACE INTO entities (realm_id, entity, id, body) VALUES (?, ?, ?, ?)",
                (realm_id, entity, int(body["Id"]), wire.dumps(body)),
            )
            if entity == "Payment":
                self._run(
                    "DELETE FROM payment_links WHERE realm_id = ? AND payment_id = ?", (realm_id, int(body["Id"]))
                )
                self._run(f"{PAYMENT_LINKS} AND e.realm_id = ? AND e.id = ?", (realm_id, int(body["Id"])))

    def delete(self, realm_id: str, entity: str, entity_id: str) -> None:
        with self.transaction():
            self._run(
                "DELETE FROM entities WHERE realm_id = ? AND entity = ? AND id = ?", (realm_id, entity, int(entity_id))
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
        token_hash, kind, grant_id, realm_id, issued_at, expires_at, consented_at, redirect_uri, used, revoked = rows[0]
        return TokenRow(
            token_hash,
            kind,
            grant_id,
            realm_id,
            issued_at,
            expires_at,
            consented_at,
            redirect_uri,
            used=bool(used),
            revoked=bool(revoked),
        )

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
