"""Text in a request body as both sandboxes' ledgers see it: the characters XML 1.0 cannot hold, and the
strings at an element path (the sandboxes keep their own copy of these rules, apart from the connectors')."""

import re
from collections.abc import Iterator
from typing import Any

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""NUL and the C0 controls but tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF."""


def at_path(node: Any, path: str) -> Iterator[str]:
    """The values at a dotted element path as text (numbers too), through objects and every item of a list."""
    if isinstance(node, list):
        for item in node:
            yield from at_path(item, path)
    elif not path:
        if node is not None and not isinstance(node, dict):
            yield str(node)
    elif isinstance(node, dict):
        head, _, rest = path.partition(".")
        if head in node:
            yield from at_path(node[head], rest)


def unstorable(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(element path, character) for each string in `node` holding a character XML 1.0 cannot hold."""
    if isinstance(node, str):
        found = XML_ILLEGAL.search(node)
        if found is not None:
            yield path, found.group()
    elif isinstance(node, dict):
        for key, child in node.items():
            yield from unstorable(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for child in node:
            yield from unstorable(child, path)
