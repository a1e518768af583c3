"""QBO's query language: literal escaping, `IN (...)` lists in chunks, and paging through results.

Escaping follows Intuit: backslash first, then `'` as `\\'`. Accented letters go through verbatim as
UTF-8 in the POST body, so nothing is lost to URL encoding. Non-ASCII punctuation does not: real QBO answers
a curly quote (U+2019) or an en dash (U+2013) inside a literal with 4000 "Lexical error", failing the whole
query (quickbooks-ruby#309, QuickBooks-V3-PHP-SDK#397). Such values are looked up alone, by a LIKE on their
longest lexer-safe run, and matched exactly here, so one name never blocks its neighbours.
"""

import unicodedata
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
    return [row for page in _pages(client, entity, where) for row in page]


def select_within(client: Queryable, entity: str, calls: int, where: str | None = None) -> list[dict[str, Any]] | None:
    """Every `entity` matching `where` if they fit in `calls` pages; None (after `calls` queries) when they may not."""
    results: list[dict[str, Any]] = []
    for count, page in enumerate(_pages(client, entity, where), start=1):
        results.extend(page)
        if len(page) < PAGE_SIZE:
            return results
        if count >= calls:
            return None
    return results


def page_statement(entity: str, where: str | None = None, start: int = 1) -> str:
    """The query of one page of `entity` matching `where` (STARTPOSITION is 1-based)."""
    condition = f" WHERE {where}" if where else ""
    return f"SELECT * FROM {entity}{condition} STARTPOSITION {start} MAXRESULTS {PAGE_SIZE}"


def _pages(client: Queryable, entity: str, where: str | None) -> Iterator[list[dict[str, Any]]]:
    """The query's pages, the last one short (or empty)."""
    start = 1
    while True:
        page = client.query(page_statement(entity, where, start)).get("QueryResponse", {}).get(entity, [])
        yield page
        if len(page) < PAGE_SIZE:
            return
        start += PAGE_SIZE


def lexer_safe(char: str) -> bool:
    """ASCII, or a non-ASCII letter, digit or space; other non-ASCII characters (typographic quotes, dashes,
    other punctuation) may be a QBO Lexical error, so they never go into a literal (stricter than the two
    reported characters)."""
    return char.isascii() or unicodedata.category(char)[0] in "LNZ"


def _like_run(value: str) -> str:
    """The longest part of `value` safe inside a LIKE pattern ('' when there is none)."""
    runs = "".join(c if lexer_safe(c) and c != "%" else "\0" for c in value).split("\0")
    return max(runs, key=len).strip()


ALL_ACTIVE_STATES = "Active IN (true, false)"
"""QBO queries return only active list entities unless asked for both."""


def queries_in(values: Iterable[str]) -> int:
    """How many queries `select_in` makes for `values` (at least; more when a chunk's answer runs past a page)."""
    wanted = set(values)
    safe = sum(1 for value in wanted if all(lexer_safe(c) for c in value))
    return -(-safe // IN_CHUNK) + len(wanted) - safe


def select_in(
    client: Queryable, entity: str, field: str, values: Iterable[str], also: str | None = None
) -> list[dict[str, Any]]:
    """Every `entity` whose `field` is one of `values` (and matching `also`), one query per chunk; a value the
    lexer would refuse is queried alone by LIKE (or without the field when nothing of it is safe), and the
    rows are matched against it here as QBO compares names: ignoring case."""
    wanted = sorted(set(values))
    safe = [value for value in wanted if all(lexer_safe(c) for c in value)]
    condition = f" AND {also}" if also else ""
    results: list[dict[str, Any]] = []
    for chunk in chunked(safe):
        results.extend(select_all(client, entity, f"{field} IN {in_list(chunk)}{condition}"))
    for value in sorted(set(wanted) - set(safe)):
        run = _like_run(value)
        where = f"{field} LIKE {quote(f'%{run}%')}{condition}" if run else also
        rows = select_all(client, entity, where)
        results.extend(row for row in rows if str(row.get(field, "")).casefold() == value.casefold())
    return results
