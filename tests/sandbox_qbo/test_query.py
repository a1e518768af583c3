"""The query language: escaping, Unicode literals, paging, COUNT, and what the parser refuses."""

import pytest

from .helpers import Qbo, assert_fault


def escape(value: str) -> str:
    """How a client must quote a literal: backslash first, then the single quote."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


@pytest.mark.parametrize("name", ["O'Brien Plumbing", "Back\\slash Works", "Café Crème Ltée"])
def test_literals_with_quotes_backslashes_and_accents(qbo: Qbo, name: str) -> None:
    created = qbo.customer(name)
    qbo.customer("Someone Else")
    rows = qbo.rows(f"SELECT * FROM Customer WHERE DisplayName = '{escape(name)}'")
    assert [row["Id"] for row in rows] == [created["Id"]]


@pytest.mark.parametrize("name", ["O\u2019Brien Plumbing", "North\u2013South Roofing", "\u201cCurly\u201d Inc"])
def test_curly_quotes_and_en_dashes_in_a_literal_are_lexical_errors_for_the_whole_query(qbo: Qbo, name: str) -> None:
    """Real QBO (quickbooks-ruby#309, QuickBooks-V3-PHP-SDK#397): such names can be saved, not queried; one of
    them fails the IN query of all its neighbours. An ASCII LIKE pattern still finds it."""
    created = qbo.customer(name)
    qbo.customer("Plain Neighbour")
    error = assert_fault(
        qbo.query(f"SELECT * FROM Customer WHERE DisplayName IN ('Plain Neighbour', '{escape(name)}')"), 400, "4000"
    )
    assert "Lexical error" in error["Detail"]
    ascii_part = max("".join(c if c.isascii() else " " for c in name).split(), key=len)
    rows = qbo.rows(f"SELECT * FROM Customer WHERE DisplayName LIKE '%{escape(ascii_part)}%'")
    assert [row["Id"] for row in rows] == [created["Id"]]


def test_like_in_and_comparisons(qbo: Qbo) -> None:
    ids = [qbo.customer(name)["Id"] for name in ("Alpha Roofing", "Beta Roofing", "Gamma Glass")]
    assert [r["Id"] for r in qbo.rows("SELECT * FROM Customer WHERE DisplayName LIKE '%roof%'")] == ids[:2]
    rows = qbo.rows(f"SELECT * FROM Customer WHERE Id IN ('{ids[0]}', '{ids[2]}')")
    assert [r["Id"] for r in rows] == [ids[0], ids[2]]
    rows = qbo.rows(f"select * from customer where Id >= '{ids[1]}' orderby DisplayName desc")
    assert [r["DisplayName"] for r in rows] == ["Gamma Glass", "Beta Roofing"]


def test_paging_with_startposition_and_maxresults(qbo: Qbo) -> None:
    ids = [qbo.customer(f"Paged {n:02}")["Id"] for n in range(7)]
    response = qbo.query("SELECT * FROM Customer STARTPOSITION 3 MAXRESULTS 2")
    page = response.json()["QueryResponse"]
    assert [c["Id"] for c in page["Customer"]] == ids[2:4]
    assert (page["startPosition"], page["maxResults"]) == (3, 2)
    assert qbo.query("SELECT * FROM Customer STARTPOSITION 50 MAXRESULTS 10").json()["QueryResponse"] == {}


def test_count(qbo: Qbo) -> None:
    for n in range(3):
        qbo.customer(f"Counted {n}")
    assert qbo.query("SELECT COUNT(*) FROM Customer").json()["QueryResponse"] == {"totalCount": 3}


def test_inactive_records_are_left_out_unless_asked_for(qbo: Qbo) -> None:
    names = {r["Name"] for r in qbo.rows("SELECT * FROM TaxCode")}
    assert "GST" in names and "HST NS" not in names
    everything = {r["Name"] for r in qbo.rows("SELECT * FROM TaxCode WHERE Active IN (true, false)")}
    assert {"HST NS", "QST"} <= everything


def test_post_query_as_application_text(qbo: Qbo) -> None:
    qbo.customer("Posted Query")
    response = qbo.client.post(
        f"{qbo.base}/query",
        content=b"SELECT * FROM Customer WHERE DisplayName = 'Posted Query'",
        headers={**qbo.headers(), "Content-Type": "application/text"},
    )
    assert response.status_code == 200 and len(response.json()["QueryResponse"]["Customer"]) == 1


def test_or_and_join_are_parse_errors(qbo: Qbo) -> None:
    error = assert_fault(qbo.query("SELECT * FROM Customer WHERE Id = '1' OR Id = '2'"), 400, "4000")
    assert "QueryParserError" in error["Detail"] and "<OR>" in error["Detail"]
    assert_fault(qbo.query("SELECT * FROM Customer JOIN Invoice"), 400, "4000")


def test_unescaped_quote_and_stray_characters_are_parse_errors(qbo: Qbo) -> None:
    assert_fault(qbo.query("SELECT * FROM Customer WHERE DisplayName = 'O'Brien'"), 400, "4000")
    error = assert_fault(qbo.query("SELECT * FROM Customer WHERE DisplayName = ‘x’"), 400, "4000")
    assert "Lexical error" in error["Detail"]
