"""The queries a sync asks first, answered by one `/batch` call instead of one call each.

A run reads the chart (accounts, tax codes and rates, the company's country and preferences), then later its payment
methods: six calls before, one now (QBO's batch takes `Query` items). An answer
holds for every read before the run's first write, and for the first read of its statement after it (the payment
methods, read once per connector when the first payment goes, as their list always was); a read after that asks QBO
again, so whatever the run wrote, or a re-read after a lost answer, is seen.
"""

from collections.abc import Sequence
from typing import Any

from ledger_sync.connectors.qbo.client import QboClient
from ledger_sync.connectors.qbo.query import ALL_ACTIVE_STATES, page_statement

RUN_QUERIES = (
    page_statement("Account", ALL_ACTIVE_STATES),
    page_statement("TaxCode", ALL_ACTIVE_STATES),
    page_statement("TaxRate", ALL_ACTIVE_STATES),
    "SELECT * FROM CompanyInfo",
    "SELECT * FROM Preferences",
    page_statement("PaymentMethod", ALL_ACTIVE_STATES),
)
"""Exactly as their readers ask them (`query.select_all`, `tax_model`, `currencies`, `payment_methods`)."""


class ReadAhead:
    """A `Queryable` over the client: the first of `statements` asked sends them all in one batch."""

    def __init__(self, client: QboClient, statements: Sequence[str] = RUN_QUERIES) -> None:
        self._client = client
        self._statements = tuple(statements)
        self._answers: dict[str, dict[str, Any]] | None = None
        self._served: set[str] = set()

    def query(self, statement: str) -> dict[str, Any]:
        if statement in self._statements and self._answers is None and self._client.writes_sent == 0:
            answered = self._client.queries(self._statements)
            self._answers = {s: answer for s, answer in zip(self._statements, answered, strict=True) if answer}
        return self._take(statement) or self._client.query(statement)

    def _take(self, statement: str) -> dict[str, Any] | None:
        """The answer read ahead for `statement` if it still holds (see the module), without a call; else None."""
        answer = (self._answers or {}).get(statement)
        if answer is None or (statement in self._served and self._client.writes_sent > 0):
            return None
        self._served.add(statement)
        return answer
