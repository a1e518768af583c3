"""A sync's first queries go in one `/batch` call (`read_ahead`): its chart and payment methods."""

import json
from typing import Any

import httpx

from ledger_sync.connectors.qbo import QboConnector
from ledger_sync.core.ledger import LedgerAccount, WriteOp
from ledger_sync.core.records import EntityType
from tests.connector_qbo.conftest import REALM, Harness, customer

ACCOUNTS = [{"Id": "1", "Name": "Sales", "AccountType": "Income", "Active": True}]
PREFERENCES = [{"CurrencyPrefs": {"HomeCurrency": {"value": "CAD"}, "MultiCurrencyEnabled": False}}]


def _answer(statement: str) -> dict[str, Any]:
    entity = statement.split(" FROM ")[1].split()[0]
    rows = {"Account": ACCOUNTS, "Preferences": PREFERENCES, "CompanyInfo": [{"Country": "CA"}]}
    return {entity: rows.get(entity, [])}


def _handler() -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/query"):
            return httpx.Response(200, json={"QueryResponse": _answer(request.content.decode())})
        items = json.loads(request.content)["BatchItemRequest"]
        if all("Query" in item for item in items):
            answers = [{"bId": item["bId"], "QueryResponse": _answer(item["Query"])} for item in items]
            return httpx.Response(200, json={"BatchItemResponse": answers})
        saved = [{"bId": item["bId"], "Customer": {"Id": f"7{item['bId']}", "SyncToken": "0"}} for item in items]
        return httpx.Response(200, json={"BatchItemResponse": saved})

    return handler


def _reading_ahead(harness: Harness, realm: str = REALM, **config: object) -> QboConnector:
    return harness.open(realm, read_ahead=True, **config)


def _paths(harness: Harness) -> list[str]:
    return [request.url.path.rsplit("/", 1)[1] for request in harness.requests]


def test_the_chart_and_the_payment_methods_are_read_in_one_call(harness_for) -> None:
    harness = harness_for(_handler())
    connector = _reading_ahead(harness)
    assert connector.list_accounts() == [LedgerAccount("1", "Sales", "income", True)]
    connector.list_tax_rates()
    assert connector.currencies().home == "CAD"
    assert _paths(harness) == ["batch"]


def test_after_a_write_a_read_is_asked_again(harness_for) -> None:
    harness = harness_for(_handler())
    connector = _reading_ahead(harness)
    connector.list_accounts()
    connector.write(EntityType.CUSTOMER, [_op(1), _op(2)])
    connector.list_accounts()  # the run may have changed it: read again
    assert _paths(harness) == ["batch", "batch", "query"]


def test_a_connector_opened_after_another_counts_the_realms_batch_calls_it_made(harness_for) -> None:
    """QBO counts a realm's batch calls whoever sends them (40 a minute): the chart read when the admin maps the
    ledger, then the run's own read ahead, in one process, must not make 41 in a minute."""
    harness = harness_for(_handler())
    _reading_ahead(harness, batch_calls_per_minute=1).list_accounts()
    _reading_ahead(harness, realm="4620", batch_calls_per_minute=1).list_accounts()
    assert harness.sleeps == [], "another realm's limit is its own"
    _reading_ahead(harness, batch_calls_per_minute=1).list_accounts()
    assert _paths(harness) == ["batch"] * 3 and harness.sleeps == [60.0], "the first call's minute waited out"


def _op(source_id: int) -> WriteOp:
    return WriteOp(customer(source_id, f"Customer {source_id}"), f"key-{source_id}")
