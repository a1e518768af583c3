"""The `where` and `order` query parameters: the .NET-style filter expressions Xero accepts.

Supported: `Field == "x"` (also != > >= < <=) on dotted paths, `AND`/`OR`/`NOT` (and && || !),
parentheses, `Guid("...")`, `DateTime(2024,01,31)`, numbers, true/false/null, bare boolean fields,
and `.Contains("x")`, `.StartsWith("x")`, `.EndsWith("x")`, `.ToLower()`, `.ToUpper()`.
String equality ignores case, as it does in Xero.
"""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ledger_sync.sandboxes.xero import wire

Doc = dict[str, Any]
Predicate = Callable[[Doc], bool]

_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:\\.|[^"\\])*")|(?P<num>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)'
    r"|(?P<op>==|!=|>=|<=|&&|\|\||[><!().,]))"
)
_STRING_METHODS = {
    "contains": lambda value, arg: arg in value,
    "startswith": lambda value, arg: value.startswith(arg),
    "endswith": lambda value, arg: value.endswith(arg),
}


class QueryError(ValueError):
    """A filter Xero would refuse to parse."""


class _Date:
    """A `DateTime(...)` literal."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise QueryError(f"Unexpected character at position {position} in where clause")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def lookup(doc: Doc, path: list[str]) -> Any:
    """The value at a dotted path (`Contact.ContactID`), None when any step is missing."""
    value: Any = doc
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _compare(left: Any, op: str, right: Any) -> bool:
    if right is None:
        return (left is None) == (op == "==")
    if isinstance(right, bool):
        pair: tuple[Any, Any] = (bool(left), right)
    elif isinstance(right, Decimal):
        pair = (_number(left), right)
    elif isinstance(right, _Date):
        pair = (wire.parse_moment(left) if isinstance(left, str) else None, right.moment)
    else:
        pair = (None if left is None else str(left).casefold(), right.casefold())
    a, b = pair
    if op in ("==", "!="):
        return (a == b) == (op == "==")
    if a is None:
        return False
    return {">": a > b, ">=": a >= b, "<": a < b, "<=": a <= b}[op]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.index] if self.index < len(self.tokens) else ("end", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token[0] == "end" or (value is not None and token[1].casefold() != value.casefold()):
            raise QueryError(f"Expected {value or 'more'} in where clause near '{token[1]}'")
        self.index += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek()[0] != "end":
            raise QueryError(f"Unexpected '{self.peek()[1]}' in where clause")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek()[1].upper() in ("OR", "||"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else lambda doc: any(part(doc) for part in parts)

    def conjunction(self) -> Predicate:
        parts = [self.unary()]
        while self.peek()[1].upper() in ("AND", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else lambda doc: all(part(doc) for part in parts)

    def unary(self) -> Predicate:
        if self.peek()[1].upper() in ("NOT", "!"):
            self.take()
            inner = self.unary()
            return lambda doc: not inner(doc)
        if self.peek()[1] == "(":
            self.take("(")
            inner = self.disjunction()
            self.take(")")
            return inner
        return self.comparison()

    def comparison(self) -> Predicate:
        kind, word = self.take()
        if kind != "word":
            raise QueryError(f"Expected a field name in where clause, found '{word}'")
        path, transform = [word], None
        while self.peek()[1] == ".":
            self.take(".")
            name = self.take()[1]
            if self.peek()[1] != "(":
                path.append(name)
                continue
            self.take("(")
            method = name.casefold()
            if method in _STRING_METHODS:
                argument = self.literal()
                self.take(")")
                test = _STRING_METHODS[method]
                return lambda doc: (
                    isinstance(lookup(doc, path), str) and test(lookup(doc, path).casefold(), str(argument).casefold())
                )
            if method not in ("tolower", "toupper"):
                raise QueryError(f"Unsupported method {name} in where clause")
            self.take(")")
            transform = method
        if self.peek()[1] in ("==", "!=", ">", ">=", "<", "<="):
            op = self.take()[1]
            right = self.literal()
            return lambda doc: _compare(lookup(doc, path), op, right)
        if transform is not None:
            raise QueryError("A comparison is needed after ToLower()/ToUpper()")
        return lambda doc: lookup(doc, path) is True

    def literal(self) -> Any:
        kind, text = self.take()
        if kind == "str":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind == "num":
            return Decimal(text)
        lowered = text.casefold()
        if lowered in ("true", "false"):
            return lowered == "true"
        if lowered == "null":
            return None
        if lowered == "guid":
            self.take("(")
            value = self.literal()
            self.take(")")
            return str(value)
        if lowered == "datetime":
            self.take("(")
            parts = [int(self.literal())]
            while self.peek()[1] == ",":
                self.take(",")
                parts.append(int(self.literal()))
            self.take(")")
            try:
                # 3 to 7 parts make a datetime; any other count raises TypeError, answered below
                return _Date(datetime(*parts, tzinfo=UTC))  # type: ignore[arg-type,misc]
            except (TypeError, ValueError) as bad:
                raise QueryError(f"Invalid DateTime in where clause: {bad}") from bad
        raise QueryError(f"Unexpected '{text}' in where clause")


def where(text: str) -> Predicate:
    return _Parser(text).parse()


def order(docs: list[Doc], text: str) -> list[Doc]:
    """Sort by `Field [ASC|DESC]`, comma-separated, applied right to left so the first key wins."""
    for clause in reversed([part.strip() for part in text.split(",") if part.strip()]):
        field, _, direction = clause.partition(" ")
        descending = direction.strip().upper() == "DESC"
        path = field.split(".")
        present = [doc for doc in docs if lookup(doc, path) is not None]
        missing = [doc for doc in docs if lookup(doc, path) is None]
        present.sort(key=lambda doc: _sort_key(lookup(doc, path)), reverse=descending)
        docs = present + missing
    return docs


def _sort_key(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("/Date("):
        return (0, wire.parse_moment(value).timestamp(), "")
    number = None if isinstance(value, str) else _number(value)
    return (0, number, "") if number is not None else (1, 0, str(value).casefold())
