"""Connector semantics over MockTransport: batches, outcomes, stale tokens, stamps, accounts and tax codes."""

import json
from decimal import Decimal

import httpx
import pytest

from ledger_sync.connectors.jsonnum import dumps
from ledger_sync.connectors.qbo import QboConnector
from ledger_sync.connectors.qbo.connector import batch_request_id, single_request_id
from ledger_sync.core.ledger import ErrorKind, LedgerAccount, LedgerError, LedgerRef, LedgerTaxRate, WriteOp
from ledger_sync.core.records import EntityType

from .conftest import customer, fault, invoice, item, payment, saved_invoice


def ops_for(records, existing: dict[int, LedgerRef] | None = None) -> list[WriteOp]:
    existing = existing or {}
    return [WriteOp(r, f"idem-{r.external_id}-v1", existing.get(r.source_id)) for r in records]


def test_connector_declares_the_protocol_constants() -> None:
    assert (QboConnector.ledger, QboConnector.max_batch_size) == ("qbo", 30)


def test_batch_items_become_outcomes_in_order(harness_for) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        answers = []
        for entry in reversed(body["BatchItemRequest"]):  # QBO does not promise order
            bid, name = entry["bId"], entry["Customer"]["DisplayName"]
            if name == "Taken":
                answers.append({"bId": bid, **fault("6240", "Duplicate Name Exists Error")})
            elif name == "Refused Co":
                answers.append({"bId": bid, **fault("6000", "A business validation error has occurred")})
            elif name == "Lost":
                continue
            else:
                answers.append({"bId": bid, "Customer": {"Id": f"10{bid}", "SyncToken": "0"}})
        return httpx.Response(200, json={"BatchItemResponse": answers})

    harness = harness_for(handler)
    records = [customer(1, "Fine"), customer(2, "Taken"), customer(3, "Refused Co"), customer(4, "Lost")]
    outcomes = harness.connector.write(EntityType.CUSTOMER, ops_for(records))
    assert [o.op.record for o in outcomes] == records
    assert outcomes[0].ref == LedgerRef("100", "0")
    assert [o.error.kind if o.error else None for o in outcomes] == [
        None,
        ErrorKind.DUPLICATE,
        ErrorKind.VALIDATION,
        ErrorKind.UNAVAILABLE,
    ]
    [request] = harness.requests
    assert request.url.path.endswith("/batch")
    requestid = request.url.params["requestid"]
    assert requestid == batch_request_id(ops_for(records)) and len(requestid) <= 36
    bids = [entry["bId"] for entry in json.loads(request.content)["BatchItemRequest"]]
    assert all(len(bid) <= 10 for bid in bids) and len(set(bids)) == 4


def test_a_batch_item_answering_6000_unexpected_error_is_an_unknown_outcome_not_a_refusal(harness_for) -> None:
    """As a replayed batch came back item by item (quickbooks-ruby#344): the engine looks it up, never parks it."""
    unexpected = fault(
        "6000",
        "A business validation error has occurred while processing your request",
        detail="Business Validation Error: An unexpected error occurred while accessing or saving your data. "
        "Please wait a few minutes and try again.  If the problem persists, contact customer support.",
    )
    answers = [{"bId": "0", **unexpected}, {"bId": "1", "Customer": {"Id": "11", "SyncToken": "0"}}]
    harness = harness_for(lambda request: httpx.Response(200, json={"BatchItemResponse": answers}))
    first, second = harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1, "A"), customer(2, "B")]))
    assert first.error is not None and first.error.kind is ErrorKind.UNAVAILABLE and first.error.code == "6000"
    assert second.ref == LedgerRef("11", "0")
    assert len(harness.requests) == 1


def test_batch_calls_are_paced_under_40_a_minute_and_all_calls_under_10_a_second(harness_for) -> None:
    sent: list[tuple[float, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((harness.now, request.url.path.rsplit("/", 1)[-1]))
        if request.url.path.endswith("/batch"):
            items = json.loads(request.content)["BatchItemRequest"]
            answers = [{"bId": e["bId"], "Customer": {"Id": e["bId"], "SyncToken": "0"}} for e in items]
            return httpx.Response(200, json={"BatchItemResponse": answers})
        return httpx.Response(200, json={"QueryResponse": {}})

    harness = harness_for(handler)
    for batch in range(100):
        harness.connector.write(EntityType.CUSTOMER, ops_for([customer(batch * 2), customer(batch * 2 + 1)]))
        harness.connector.find_by_external_id(EntityType.CUSTOMER, [customer(batch)])
    batches = [at for at, path in sent if path == "batch"]
    assert len(batches) == 100
    assert max(sum(1 for at in batches if start <= at < start + 60) for start in batches) == 40
    assert max(sum(1 for at, _ in sent if start <= at < start + 1) for start, _ in sent) <= 10
    assert batches[-1] - batches[0] < 160, "paced, not slowed down beyond the limit"


def test_batch_requestid_is_deterministic_and_depends_on_every_key() -> None:
    ops = ops_for([customer(1), customer(2)])
    assert batch_request_id(ops) == batch_request_id(list(ops))
    assert batch_request_id(ops) != batch_request_id(ops[:1])
    assert single_request_id("k" * 50) == "k" * 50
    assert len(single_request_id("k" * 80)) == 50


def test_whole_batch_failure_raises(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(401))
    with pytest.raises(LedgerError) as caught:
        harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1), customer(2)]))
    assert caught.value.kind is ErrorKind.AUTH


def test_write_refuses_more_than_30_or_mixed_ops(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(500))
    with pytest.raises(ValueError):
        harness.connector.write(EntityType.CUSTOMER, ops_for([customer(i) for i in range(31)]))
    with pytest.raises(ValueError):
        harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1), item(1)]))
    assert harness.connector.write(EntityType.CUSTOMER, []) == []
    assert harness.requests == []


def test_single_op_uses_the_entity_endpoint_and_returns_validation_as_outcome(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(400, json=fault("6240", "Duplicate Name Exists Error")))
    [outcome] = harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1)]))
    assert outcome.error is not None and outcome.error.kind is ErrorKind.DUPLICATE
    [request] = harness.requests
    assert request.url.path.endswith("/customer") and request.url.params["requestid"] == "idem-SO-C1-v1"


def test_stale_update_is_reread_and_retried_once_with_the_fresh_token(harness_for) -> None:
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"Invoice": {"Id": "130", "SyncToken": "5"}})
        body = json.loads(request.content)
        if request.url.path.endswith("/batch"):
            return httpx.Response(
                200,
                json={
                    "BatchItemResponse": [
                        {"bId": "0", **fault("5010", "Stale Object Error")},
                        {"bId": "1", "Invoice": saved_invoice("131", "1")},
                    ]
                },
            )
        seen.append(body)
        return httpx.Response(200, json={"Invoice": saved_invoice("130", "6")})

    harness = harness_for(handler)
    records = [invoice(1), invoice(2, "INV-1002")]
    ops = ops_for(records, {1: LedgerRef("130", "3"), 2: LedgerRef("131", "0")})
    outcomes = harness.connector.write(EntityType.INVOICE, ops)
    assert [o.ref for o in outcomes] == [LedgerRef("130", "6"), LedgerRef("131", "1")]
    assert [r.method for r in harness.requests] == ["POST", "GET", "POST"]
    [retry] = seen
    assert (retry["Id"], retry["SyncToken"], retry["sparse"]) == ("130", "5", True)
    assert len(retry["Line"]) == 2
    retry_id = harness.requests[2].url.params["requestid"]
    assert retry_id not in {"idem-SO-I1-v1", batch_request_id(ops)} and len(retry_id) <= 36


def test_stale_retry_that_is_stale_again_comes_back_as_conflict(harness_for) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            return httpx.Response(200, json={"Customer": {"Id": "7", "SyncToken": "9"}})
        return httpx.Response(400, json=fault("5010", "Stale Object Error"))

    harness = harness_for(handler)
    [outcome] = harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1)], {1: LedgerRef("7", "1")}))
    assert outcome.error is not None and outcome.error.kind is ErrorKind.CONFLICT
    assert len(harness.requests) == 3


def test_a_closed_period_under_the_stale_code_is_locked_and_not_re_read(harness_for) -> None:
    """QBO's 5010 "Account Period Closed" is no stale token: re-reading cannot help, the correction is refused."""
    closed = fault("5010", "Account Period Closed", detail="The account period has closed. {1}")
    harness = harness_for(lambda request: httpx.Response(400, json=closed))
    [outcome] = harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1)], {1: LedgerRef("7", "1")}))
    assert outcome.error is not None and outcome.error.kind is ErrorKind.LOCKED
    assert "Account Period Closed" in outcome.error.message and len(harness.requests) == 1


def test_create_of_an_unchanged_conflict_is_not_retried(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(400, json=fault("5010", "Stale Object Error")))
    [outcome] = harness.connector.write(EntityType.CUSTOMER, ops_for([customer(1)]))
    assert outcome.error is not None and outcome.error.kind is ErrorKind.CONFLICT
    assert len(harness.requests) == 1


def query_handler(rows_by_entity: dict[str, list[dict]]):
    def handler(request: httpx.Request) -> httpx.Response:
        entity = request.content.decode().split(" FROM ")[1].split()[0]
        rows = rows_by_entity.get(entity, [])
        return httpx.Response(200, json={"QueryResponse": {entity: rows} if rows else {}})

    return handler


@pytest.mark.parametrize(
    ("records", "rows", "expected"),
    [
        (
            [customer(1, "Acme"), customer(2, "Beta")],
            [
                {"Id": "7", "SyncToken": "2", "DisplayName": "Acme", "Notes": "SO-C1 called twice"},
                {"Id": "8", "SyncToken": "0", "DisplayName": "Beta", "Notes": "someone else's SO-C21"},
            ],
            {1: LedgerRef("7", "2")},
        ),
        (
            [item(3)],
            [{"Id": "21", "SyncToken": "0", "Name": "Gutter cleaning", "Sku": "SO-I3"}],
            {3: LedgerRef("21", "0")},
        ),
        ([invoice(4)], [{"Id": "130", "SyncToken": "1", "DocNumber": "INV-1001"}], {}),
        ([invoice(4)], [{"Id": "130", "SyncToken": "1", "PrivateNote": "SO-I4"}], {4: LedgerRef("130", "1")}),
        ([payment(5)], [{"Id": "140", "SyncToken": "0", "PaymentRefNum": "SO-P5"}], {5: LedgerRef("140", "0")}),
    ],
)
def test_find_by_external_id_only_returns_stamped_records(harness_for, records, rows, expected) -> None:
    entity = {"customer": "Customer", "item": "Item", "invoice": "Invoice", "payment": "Payment"}[
        records[0].entity_type.value
    ]
    harness = harness_for(query_handler({entity: rows}))
    assert harness.connector.find_by_external_id(records[0].entity_type, records) == expected


def test_payment_lookup_narrows_by_customer_and_date(harness_for) -> None:
    harness = harness_for(query_handler({}))
    harness.connector.find_by_external_id(EntityType.PAYMENT, [payment(5)])
    statement = harness.requests[0].content.decode()
    assert (
        "FROM Payment WHERE CustomerRef IN ('58') AND TxnDate >= '2026-03-15' AND TxnDate <= '2026-03-15'" in statement
    )


def test_list_accounts_normalises_types(harness_for) -> None:
    accounts = [
        {"Id": "1", "Name": "Sales", "AccountType": "Income", "AccountSubType": "SalesOfProductIncome", "Active": True},
        {"Id": "2", "Name": "Checking", "AccountType": "Bank", "AcctNum": "1010", "Active": True},
        {
            "Id": "3",
            "Name": "Undeposited Funds",
            "AccountType": "Other Current Asset",
            "AccountSubType": "UndepositedFunds",
        },
        {"Id": "4", "Name": "Prepaid", "AccountType": "Other Current Asset", "AccountSubType": "PrepaidExpenses"},
        {"Id": "5", "Name": "GST Payable", "AccountType": "Other Current Liability", "Active": False},
        {"Id": "6", "Name": "Rent", "AccountType": "Expense"},
        {"Id": "7", "Name": "Equity", "AccountType": "Equity"},
    ]
    harness = harness_for(query_handler({"Account": accounts}))
    assert harness.connector.list_accounts() == [
        LedgerAccount("1", "Sales", "income", True),
        LedgerAccount("2", "Checking", "bank", True, "1010"),
        LedgerAccount("3", "Undeposited Funds", "undeposited_funds", True),
        LedgerAccount("4", "Prepaid", "other_current_asset", True),
        LedgerAccount("5", "GST Payable", "liability", False),
        LedgerAccount("6", "Rent", "expense", True),
        LedgerAccount("7", "Equity", "other", True),
    ]
    assert "Active IN (true, false)" in harness.requests[0].content.decode()


def test_list_tax_rates_pairs_codes_with_their_sales_rate(harness_for) -> None:
    def detail(rate_id: str) -> dict:
        return {"TaxRateDetail": [{"TaxRateRef": {"value": rate_id}, "TaxTypeApplicable": "TaxOnAmount"}]}

    codes = [
        {"Id": "5", "Name": "GST", "Active": True, "SalesTaxRateList": detail("15")},
        {"Id": "7", "Name": "HST ON", "Active": True, "SalesTaxRateList": detail("17")},
        {"Id": "8", "Name": "Old PST", "Active": False, "SalesTaxRateList": detail("18")},
        {"Id": "9", "Name": "Purchases only", "Active": True, "SalesTaxRateList": {"TaxRateDetail": []}},
        {
            "Id": "10",
            "Name": "GST+PST",
            "Active": True,
            "SalesTaxRateList": {"TaxRateDetail": [*detail("15")["TaxRateDetail"], *detail("17")["TaxRateDetail"]]},
        },
    ]
    rates = [
        {"Id": "15", "Name": "GST (Sales)", "RateValue": 5, "Active": True},
        {"Id": "17", "Name": "HST (Sales)", "RateValue": 13.5, "Active": False},
        {"Id": "18", "Name": "PST", "RateValue": 7, "Active": True},
    ]
    harness = harness_for(query_handler({"TaxCode": codes, "TaxRate": rates}))
    assert harness.connector.list_tax_rates() == [
        LedgerTaxRate("5", "GST", Decimal("5"), True, "15"),
        LedgerTaxRate("7", "HST ON", Decimal("13.5"), False, "17"),
        LedgerTaxRate("8", "Old PST", Decimal("7"), False, "18"),
    ]


def test_invoice_wire_carries_exact_decimals_and_service_opus_tax() -> None:
    from ledger_sync.connectors.qbo.wire import to_qbo

    body = dumps(to_qbo(invoice()))
    assert '"UnitPrice":33.3333333' in body and '"Qty":1.5' in body and '"Amount":60.15' in body
    assert '"TxnTaxDetail":{"TotalTax":12.82,' in body
    data = json.loads(body, parse_float=Decimal)
    assert sum(t["Amount"] for t in data["TxnTaxDetail"]["TaxLine"]) == data["TxnTaxDetail"]["TotalTax"]
    assert data["GlobalTaxCalculation"] == "TaxExcluded" and data["PrivateNote"] == "SO-I1"
    assert dumps({"x": Decimal("1E+2"), "y": Decimal("0.10")}) == '{"x":100,"y":0.10}'
    with pytest.raises(TypeError):
        dumps({"x": 0.1})
