"""QBO's query language: literal escaping, `IN (...)` lists in chunks, and paging through results.

Escaping follows Intuit: backslash first, then `'` as `\\'`. Everything else (non-ASCII, curly quotes)
goes through verbatim as UTF-8 in the POST body, so nothing is lost to URL encoding.
"""

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

PAGE_SIZE = 1000
"""QBO's maximum MAXRESULTS."""
IN_CHUNK = 50
"""Values per `IN (...)` list; QBO documents no limit, so stay well clear of statement-size trouble."""


class Queryable(Protocol):
    def query(self, statement: str) -> dict[str, Any]: ...


def quote(value: str) -> str:
    """A QBO string literal: `O'Brien` -> `'O\\'Brien'`."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(quote(v) for v in values) + ")"


def chunked(values: Sequence[str], size: int = IN_CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def select_all(client: Queryable, entity: str, where: str | None = None) -> list[dict[str, Any]]:
    """Every `entity` matching `where`, page by page (STARTPOSITION is 1-based)."""
    results: list[dict[str, Any]] = []
    start = 1
    condition = f" WHERE {where}" if where else ""
    while True:
        statement = f"SELECT * FROM {entity}{condition} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"
        page = client.query(statement).get("QueryResponse", {}).get(entity, [])
        results.extend(page)
        if len(page) < PAGE_SIZE:
            return results
        start += PAGE_SIZE


def select_in(
    client: Queryable, entity: str, field: str, values: Iterable[str], also: str | None = None
) -> list[dict[str, Any]]:
    """Every `entity` whose `field` is one of `values` (and matching `also`), one query per chunk."""
    results: list[dict[str, Any]] = []
    for chunk in chunked(sorted(set(values))):
        where = f"{field} IN {in_list(chunk)}" + (f" AND {also}" if also else "")
        results.extend(select_all(client, entity, where))
    return results
