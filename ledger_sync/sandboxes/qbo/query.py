"""QBO's query language (the subset we serve): parse it the way QBO's parser does, then run it over rows.

`SELECT * | COUNT(*) | f, ... FROM Entity [WHERE c AND c ...] [ORDERBY f [ASC|DESC]] [STARTPOSITION n]
[MAXRESULTS m]`; conditions `=`, `<`, `>`, `<=`, `>=`, `IN (...)`, `LIKE '%x%'`. String literals take `\\'`
and `\\\\` escapes and accented letters, but real QBO's lexer refuses a curly quote (U+2019) or an en dash
(U+2013) even inside a literal with 4000 "Lexical error" (quickbooks-ruby#309, QuickBooks-V3-PHP-SDK#397);
the sandbox refuses the whole typographic quote and dash family (stricter than the two reported characters,
which is the safe side). OR and JOIN are parse errors (4000), as in QBO. Name-list entities return active
records only unless the query filters on `Active` itself, like the real API.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger_sync.sandboxes.qbo import faults

MAX_PAGE = 1000
DEFAULT_PAGE = 100
KEYWORDS = {"select", "from", "where", "and", "or", "in", "like", "orderby", "order", "by", "asc", "desc"}
KEYWORDS |= {"startposition", "maxresults", "count", "join", "true", "false", "not"}
OPERATORS = ("<=", ">=", "!=", "=", "<", ">")
LEXER_REFUSED = frozenset("\u2018\u2019\u201c\u201d\u2013\u2014")
"""Typographic quotes and dashes: a Lexical error wherever they appear, literals included."""


@dataclass(frozen=True)
class Token:
    kind: str
    """ident | keyword | number | string | op | punct | eof"""
    text: str
    value: Any
    column: int


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    """= < > <= >= in like"""
    values: tuple[Any, ...]


@dataclass
class Query:
    entity: str = ""
    count: bool = False
    fields: tuple[str, ...] = ()
    conditions: list[Condition] = field(default_factory=list)
    order_by: str | None = None
    descending: bool = False
    start: int = 1
    max_results: int = DEFAULT_PAGE


def _lexical_error(column: int, char: str) -> faults.QboFault:
    shown = f'"{char}" ({ord(char)})' if char else "<EOF>"
    return faults.query_parse(
        f'Invalid content. Lexical error at line 1, column {column}.  Encountered: {shown}, after : ""'
    )


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        char, column = text[i], i + 1
        if char.isspace():
            i += 1
        elif char == "'":
            value, i = _string(text, i + 1)
            tokens.append(Token("string", text[column - 1 : i], value, column))
        elif match := re.compile(r"[A-Za-z_][A-Za-z0-9_.]*").match(text, i):
            word = match.group()
            kind = "keyword" if word.lower() in KEYWORDS else "ident"
            tokens.append(Token(kind, word, word.lower() if kind == "keyword" else word, column))
            i = match.end()
        elif match := re.compile(r"-?\d+(\.\d+)?").match(text, i):
            tokens.append(Token("number", match.group(), Decimal(match.group()), column))
            i = match.end()
        elif op := next((op for op in OPERATORS if text.startswith(op, i)), None):
            tokens.append(Token("op", op, op, column))
            i += len(op)
        elif char in "(),*":
            tokens.append(Token("punct", char, char, column))
            i += 1
        else:
            raise _lexical_error(column, char)
    tokens.append(Token("eof", "", None, len(text) + 1))
    return tokens


def _string(text: str, i: int) -> tuple[str, int]:
    """The literal starting after its opening quote, and the index after its closing quote."""
    chars: list[str] = []
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
        elif char == "'":
            return "".join(chars), i + 1
        elif char in LEXER_REFUSED:
            raise _lexical_error(i + 1, char)
        else:
            chars.append(char)
            i += 1
    raise _lexical_error(len(text) + 1, "")


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self._tokens = tokens
        self._at = 0

    def _peek(self) -> Token:
        return self._tokens[self._at]

    def _next(self) -> Token:
        token = self._tokens[self._at]
        self._at += 1
        return token

    def _unexpected(self, token: Token) -> faults.QboFault:
        label = {"keyword": f"<{token.text.upper()}>", "ident": "<IDENTIFIER>", "string": "<STRING>"}.get(
            token.kind, "<EOF>" if token.kind == "eof" else f'"{token.text}"'
        )
        return faults.query_parse(f'Encountered " {label} "{token.text} "" at line 1, column {token.column}.')

    def _expect(self, kind: str, value: object = None) -> Token:
        token = self._next()
        if token.kind != kind or (value is not None and token.value != value):
            raise self._unexpected(token)
        return token

    def _accept(self, kind: str, value: object) -> bool:
        if self._peek().kind == kind and self._peek().value == value:
            self._at += 1
            return True
        return False

    def parse(self) -> Query:
        query = Query()
        self._expect("keyword", "select")
        if self._accept("punct", "*"):
            pass
        elif self._accept("keyword", "count"):
            self._expect("punct", "(")
            self._expect("punct", "*")
            self._expect("punct", ")")
            query.count = True
        else:
            names = [self._expect("ident").text]
            while self._accept("punct", ","):
                names.append(self._expect("ident").text)
            query.fields = tuple(names)
        self._expect("keyword", "from")
        query.entity = self._expect("ident").text
        if self._accept("keyword", "where"):
            query.conditions.append(self._condition())
            while self._accept("keyword", "and"):
                query.conditions.append(self._condition())
        if self._accept("keyword", "orderby") or (self._accept("keyword", "order") and self._expect("keyword", "by")):
            query.order_by = self._expect("ident").text
            if self._accept("keyword", "desc"):
                query.descending = True
            else:
                self._accept("keyword", "asc")
        while self._peek().kind == "keyword" and self._peek().value in ("startposition", "maxresults"):
            keyword = self._next().value
            number = int(self._expect("number").value)
            if keyword == "startposition":
                query.start = max(number, 1)
            else:
                query.max_results = min(max(number, 0), MAX_PAGE)
        self._expect("eof")
        return query

    def _condition(self) -> Condition:
        name = self._expect("ident").text
        token = self._next()
        if token.kind == "op" and token.value != "!=":
            return Condition(name, token.value, (self._literal(),))
        if token.kind == "keyword" and token.value == "like":
            return Condition(name, "like", (self._expect("string").value,))
        if token.kind == "keyword" and token.value == "in":
            self._expect("punct", "(")
            values = [self._literal()]
            while self._accept("punct", ","):
                values.append(self._literal())
            self._expect("punct", ")")
            return Condition(name, "in", tuple(values))
        raise self._unexpected(token)

    def _literal(self) -> Any:
        token = self._next()
        if token.kind in ("string", "number"):
            return token.value
        if token.kind == "keyword" and token.value in ("true", "false"):
            return token.value == "true"
        raise self._unexpected(token)


def parse(text: str) -> Query:
    if not text.strip():
        raise faults.query_parse("The query provided was empty")
    return _Parser(tokenize(text)).parse()


def lookup(row: dict[str, Any], path: str) -> Any:
    """A field by (case-insensitive, dotted) name; references compare by their `value`."""
    value: Any = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value.get("value") if isinstance(value, dict) and "value" in value else value


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare(actual: Any, literal: Any) -> int | None:
    """-1/0/1 like cmp, or None when the two cannot be compared."""
    if actual is None:
        return None
    if isinstance(literal, bool) or isinstance(actual, bool):
        return 0 if actual is literal else None
    left, right = _number(actual), _number(literal)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    a, b = str(actual).casefold(), str(literal).casefold()
    return (a > b) - (a < b)


def matches(row: dict[str, Any], condition: Condition) -> bool:
    actual = lookup(row, condition.field)
    if condition.op == "like":
        pattern = ".*".join(re.escape(part) for part in str(condition.values[0]).split("%"))
        return actual is not None and re.fullmatch(pattern, str(actual), re.IGNORECASE | re.DOTALL) is not None
    if condition.op == "in":
        return any(_compare(actual, value) == 0 for value in condition.values)
    outcome = _compare(actual, condition.values[0])
    if outcome is None:
        return False
    return {"=": outcome == 0, "<": outcome < 0, ">": outcome > 0, "<=": outcome <= 0, ">=": outcome >= 0}[condition.op]


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    if number is not None:
        return (0, number)
    return (1, str(value).casefold()) if value is not None else (2, "")


def run(query: Query, rows: Sequence[dict[str, Any]], *, active_only_by_default: bool) -> dict[str, Any]:
    """The QueryResponse object for `query` over `rows` (all of one entity type)."""
    conditions = list(query.conditions)
    if active_only_by_default and not any(c.field.lower() == "active" for c in conditions):
        conditions.append(Condition("Active", "=", (True,)))
    found = [row for row in rows if all(matches(row, c) for c in conditions)]
    if query.count:
        return {"totalCount": len(found)}
    order = query.order_by or "Id"
    found.sort(key=lambda row: _sort_key(lookup(row, order)), reverse=query.descending)
    page = found[query.start - 1 : query.start - 1 + query.max_results]
    if query.fields:
        wanted = {name.lower() for name in query.fields}
        page = [{k: v for k, v in row.items() if k.lower() in wanted} for row in page]
    if not page:
        return {}
    return {query.entity: page, "startPosition": query.start, "maxResults": len(page)}
