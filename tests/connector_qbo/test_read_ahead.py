"""A sync's first queries go in one `/batch` call (`read_ahead`): its chart, payment methods and invoice count."""

import json
from typing import Any

import httpx

from ledger_sync.connectors.qbo import QboConnector
from ledger_sync.connectors.qbo.read_ahead import INVOICE_COUNT
from ledger_sync.core.ledger import LedgerAccount, WriteOp
from ledger_sync.core.records import EntityType
from tests.connector_qbo.conftest import REALM, Harness, customer, invoice, make_config

ACCOUNTS = [{"Id": "1", "Name": "Sales", "AccountType": "Income", "Active": True}]
PREFERENCES = [{"CurrencyPrefs": {"HomeCurrency": {"value": "CAD"}, "MultiCurrencyEnabled": False}}]


def _answer(statement: str, invoices: int) -> dict[str, Any]:
    if statement == INVOICE_COUNT:
        return {"totalCount": invoices}
    entity = statement.split(" FROM ")[1].split()[0]
    rows = {"Account": ACCOUNTS, "Preferences": PREFERENCES, "CompanyInfo": [{"Country": "CA"}]}
    return {entity: rows.get(entity, [])}


def _handler(invoices: int = 0) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/query"):
            return httpx.Response(200, json={"QueryResponse": _answer(request.content.decode(), invoices)})
        items = json.loads(request.content)["BatchItemRequest"]
        if all("Query" in item for item in items):
            answers = [{"bId": item["bId"], "QueryResponse": _answer(item["Query"], invoices)} for item in items]
            return httpx.Response(200, json={"BatchItemResponse": answers})
        saved = [{"bId": item["bId"], "Customer": {"Id": f"7{item['bId']}", "SyncToken": "0"}} for item in items]
        return httpx.Response(200, json={"BatchItemResponse": saved})

    return handler


def _reading_ahead(harness: Harness) -> QboConnector:
    return QboConnector(
        make_config(),
        REALM,
        harness.tokens,
        http=harness.http,
        sleep=harness.sleep,
        monotonic=harness.monotonic,
        read_ahead=True,
    )


def _paths(harness: Harness) -> list[str]:
    return [request.url.path.rsplit("/", 1)[1] for request in harness.requests]


def test_the_chart_and_the_invoice_count_are_read_in_one_call(harness_for) -> None:
    harness = harness_for(_handler())
    connector = _reading_ahead(harness)
    assert connector.list_accounts() == [LedgerAccount("1", "Sales", "income", True)]
    connector.list_tax_rates()
    assert connector.currencies().home == "CAD"
    assert connector.invoice_numbers([invoice()]) is not None  # none held: nothing more to read
    assert _paths(harness) == ["batch"]


def test_after_a_write_a_read_is_asked_again_but_one_not_served_yet_holds(harness_for) -> None:
    harness = harness_for(_handler())
    connector = _reading_ahead(harness)
    connector.list_accounts()
    connector.write(EntityType.CUSTOMER, [_op(1), _op(2)])
    connector.list_accounts()  # the run may have changed it: read again
    assert connector.invoice_numbers([invoice()]) is not None  # as the run began: no invoice to read
    assert _paths(harness) == ["batch", "batch", "query"]


def test_books_holding_more_invoices_than_the_numbers_take_pages_are_not_read_whole(harness_for) -> None:
    harness = harness_for(_handler(invoices=5_000))
    connector = _reading_ahead(harness)
    connector.list_accounts()
    assert connector.invoice_numbers([invoice()]) is None  # each check asks for its own numbers instead
    assert _paths(harness) == ["batch"]


def _op(source_id: int) -> WriteOp:
    return WriteOp(customer(source_id, f"Customer {source_id}"), f"key-{source_id}")
