"""Query literals, IN lists and paging; what goes over the wire must be exactly what QBO's lexer expects."""

import re

import httpx
import pytest

from ledger_sync.connectors.qbo.query import PAGE_SIZE, chunked, in_list, quote, select_all, select_in
from ledger_sync.core.records import EntityType

from .conftest import customer


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("Acme", "'Acme'"),
        ("O'Brien", r"'O\'Brien'"),
        ("back\\slash", r"'back\\slash'"),
        ("trailing\\", r"'trailing\\'"),
        ("\\'", r"'\\\''"),
        ("Müller & Søn – “Ltd”", "'Müller & Søn – “Ltd”'"),
        ("Café’s", "'Café’s'"),
    ],
)
def test_quote_escapes_backslash_first_then_quote(value: str, literal: str) -> None:
    assert quote(value) == literal


def test_in_list_and_chunks() -> None:
    assert in_list(["a", "O'B"]) == r"('a', 'O\'B')"
    assert [list(c) for c in chunked(["1", "2", "3"], size=2)] == [["1", "2"], ["3"]]


class FakeQuery:
    def __init__(self, total: int) -> None:
        self.total = total
        self.statements: list[str] = []

    def query(self, statement: str) -> dict[str, object]:
        self.statements.append(statement)
        start, size = (int(n) for n in re.search(r"STARTPOSITION (\d+) MAXRESULTS (\d+)", statement).groups())
        rows = [{"Id": str(i)} for i in range(start, min(start + size, self.total + 1))]
        return {"QueryResponse": {"Account": rows} if rows else {}}


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (5, 1), (PAGE_SIZE, 2), (PAGE_SIZE * 2 + 1, 3)])
def test_select_all_pages_until_a_short_page(total: int, pages: int) -> None:
    fake = FakeQuery(total)
    rows = select_all(fake, "Account", "Active IN (true, false)")
    assert [r["Id"] for r in rows] == [str(i) for i in range(1, total + 1)]
    assert len(fake.statements) == pages
    assert fake.statements[0] == "SELECT * FROM Account WHERE Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000"
    if pages > 1:
        assert fake.statements[1].endswith("STARTPOSITION 1001 MAXRESULTS 1000")


def test_select_in_chunks_the_values_into_several_queries() -> None:
    fake = FakeQuery(0)
    select_in(fake, "Account", "Name", [f"n{i:03}" for i in range(120)], also="Active = true")
    assert len(fake.statements) == 3
    assert all(" AND Active = true STARTPOSITION" in s for s in fake.statements)
    assert "'n000'" in fake.statements[0] and "'n119'" in fake.statements[2]


def test_queries_go_as_utf8_post_bodies_with_escaped_literals(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(200, json={"QueryResponse": {}}))
    names = ["O'Brien \\ Sons", "Zoë Ltée"]
    harness.connector.find_by_external_id(EntityType.CUSTOMER, [customer(1, names[0]), customer(2, names[1])])
    [request] = harness.requests
    assert request.method == "POST" and request.url.path.endswith("/query")
    assert request.headers["Content-Type"].startswith("application/text")
    statement = request.content.decode("utf-8")
    assert statement == (
        r"SELECT * FROM Customer WHERE DisplayName IN ('O\'Brien \\ Sons', 'Zoë Ltée')"
        " STARTPOSITION 1 MAXRESULTS 1000"
    )


def test_names_the_qbo_lexer_refuses_are_looked_up_alone_by_like_and_matched_exactly(harness_for) -> None:
    """A curly quote or an en dash in a literal is a 4000 Lexical error for the whole query in real QBO."""
    curly, dashed, plain = "Zoë “Quotes” – Co", "O’Brien Plumbing", "Plain Roofing"
    rows = {
        "Quotes": [{"Id": "7", "DisplayName": curly, "Notes": "SO-C2"}, {"Id": "8", "DisplayName": "Quotes Inc"}],
        "Brien Plumbing": [{"Id": "9", "DisplayName": "o’brien plumbing", "Notes": "SO-C3"}],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        statement = request.content.decode("utf-8")
        assert "“" not in statement and "’" not in statement and "–" not in statement
        found = next((found for run, found in rows.items() if f"LIKE '%{run}%'" in statement), [])
        return httpx.Response(200, json={"QueryResponse": {"Customer": found}})

    harness = harness_for(handler)
    records = [customer(1, plain), customer(2, curly), customer(3, dashed)]
    found = harness.connector.find_by_external_id(EntityType.CUSTOMER, records)
    assert {source_id: ref.id for source_id, ref in found.items()} == {2: "7", 3: "9"}
    statements = [r.content.decode("utf-8") for r in harness.requests]
    assert [s.split(" STARTPOSITION")[0] for s in statements] == [
        "SELECT * FROM Customer WHERE DisplayName IN ('Plain Roofing')",
        "SELECT * FROM Customer WHERE DisplayName LIKE '%Brien Plumbing%'",
        "SELECT * FROM Customer WHERE DisplayName LIKE '%Quotes%'",
    ]
