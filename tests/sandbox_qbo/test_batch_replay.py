"""Batch calls (independent items, 30 at most) and idempotent replays by `requestid`."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import Qbo, assert_fault


def writes(client: TestClient) -> list[dict[str, Any]]:
    return [entry for entry in client.get("/_sandbox/requests").json() if entry["write"]]


def test_more_than_30_items_are_refused_whole(qbo: Qbo) -> None:
    items = [{"bId": str(n), "operation": "create", "Customer": {"DisplayName": f"B{n}"}} for n in range(31)]
    assert_fault(qbo.batch(items), 400, "5000")
    assert qbo.query("SELECT COUNT(*) FROM Customer").json()["QueryResponse"]["totalCount"] == 0


def test_items_run_independently_in_order(qbo: Qbo) -> None:
    items = [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
        {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Jordan Lee"}},
        {"bId": "3", "operation": "create", "Customer": {"DisplayName": "Batch One"}},
        {"bId": "4", "operation": "create", "Customer": {"DisplayName": "Batch Four"}},
        {"bId": "5", "Query": "SELECT * FROM Customer WHERE DisplayName = 'Batch One'"},
    ]
    response = qbo.batch(items)
    assert response.status_code == 200
    results = response.json()["BatchItemResponse"]
    assert [r["bId"] for r in results] == ["1", "2", "3", "4", "5"]
    assert results[0]["Customer"]["DisplayName"] == "Batch One"
    assert results[1]["Fault"]["type"] == "ValidationFault" and results[1]["Fault"]["Error"][0]["code"] == "6240"
    assert results[2]["Fault"]["Error"][0]["code"] == "6240"
    assert results[3]["Customer"]["DisplayName"] == "Batch Four"
    assert [c["Id"] for c in results[4]["QueryResponse"]["Customer"]] == [results[0]["Customer"]["Id"]]


def test_batch_update_with_stale_token_fails_alone(qbo: Qbo) -> None:
    customer = qbo.customer("To Update")
    items = [
        {
            "bId": "u1",
            "operation": "update",
            "Customer": {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "a"},
        },
        {
            "bId": "u2",
            "operation": "update",
            "Customer": {"Id": customer["Id"], "SyncToken": "0", "sparse": True, "Notes": "b"},
        },
    ]
    first, second = qbo.batch(items).json()["BatchItemResponse"]
    assert first["Customer"]["SyncToken"] == "1"
    assert second["Fault"]["Error"][0]["code"] == "5010"


def test_repeated_requestid_returns_the_first_answer_and_writes_once(client: TestClient, qbo: Qbo) -> None:
    first = qbo.post("Customer", {"DisplayName": "Once Only"}, requestid="req-1")
    again = qbo.post("Customer", {"DisplayName": "Once Only"}, requestid="req-1")
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert len(qbo.rows("SELECT * FROM Customer WHERE DisplayName = 'Once Only'")) == 1
    logged = writes(client)
    assert [e["status"] for e in logged] == [200, 200] and "requestid=req-1" in logged[0]["query"]


def test_a_refused_write_is_replayed_too(qbo: Qbo) -> None:
    first = qbo.post("Customer", {"DisplayName": "Jordan Lee"}, requestid="req-dup")
    again = qbo.post("Customer", {"DisplayName": "Jordan Lee"}, requestid="req-dup")
    assert first.status_code == 400 and (again.status_code, again.content) == (400, first.content)


def test_batch_replay_by_requestid(qbo: Qbo) -> None:
    items = [{"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batched Once"}}]
    first = qbo.batch(items, requestid="batch-1")
    again = qbo.batch(items, requestid="batch-1")
    assert again.content == first.content
    assert len(qbo.rows("SELECT * FROM Customer WHERE DisplayName = 'Batched Once'")) == 1


@pytest.mark.parametrize("config", [{"replayed_batch_items_unknown": True}], indirect=True)
def test_a_replayed_batch_can_answer_each_item_6000_unexpected_error_as_qbo_has(qbo: Qbo) -> None:
    items = [
        {"bId": "1", "operation": "create", "Customer": {"DisplayName": "Batched Once"}},
        {"bId": "2", "operation": "create", "Customer": {"DisplayName": "Jordan Lee"}},
    ]
    first = qbo.batch(items, requestid="batch-unknown")
    assert [sorted(r) for r in first.json()["BatchItemResponse"]] == [["Customer", "bId"], ["Fault", "bId"]]
    again = qbo.batch(items, requestid="batch-unknown")
    assert again.status_code == 200
    for result, bid in zip(again.json()["BatchItemResponse"], ["1", "2"], strict=True):
        [error] = result["Fault"]["Error"]
        assert (result["bId"], error["code"]) == (bid, "6000")
        assert "An unexpected error occurred" in error["Detail"] and "try again" in error["Detail"]
    assert len(qbo.rows("SELECT * FROM Customer WHERE DisplayName = 'Batched Once'")) == 1
