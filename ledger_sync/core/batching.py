"""Splitting work into bounded batches (SQL IN lists, ledger batch calls)."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

IN_LIST_SIZE = 500
"""Ids per SQL IN (...) list: far below every database's parameter limit."""


def chunked(items: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
