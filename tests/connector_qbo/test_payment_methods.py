"""The payment methods a batch of payments lacks are created in one `/batch` call, not one call each."""

import json
from dataclasses import replace

import httpx

from ledger_sync.core.ledger import WriteOp
from ledger_sync.core.records import EntityType
from tests.connector_qbo.conftest import payment


def test_the_payment_methods_a_batch_lacks_are_created_in_one_call(harness_for) -> None:
    made: dict[str, str] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            return httpx.Response(200, json={"QueryResponse": {"PaymentMethod": [{"Id": "1", "Name": "Cash"}]}})
        answers = []
        for item in json.loads(request.content)["BatchItemRequest"]:
            if "PaymentMethod" in item:
                made[item["PaymentMethod"]["Name"]] = f"M{len(made) + 2}"
                answers.append(
                    {
                        "bId": item["bId"],
                        "PaymentMethod": {**item["PaymentMethod"], "Id": made[item["PaymentMethod"]["Name"]]},
                    }
                )
            else:
                paid_by = item["Payment"]["PaymentMethodRef"]["value"]
                answers.append({"bId": item["bId"], "Payment": {"Id": f"P{paid_by}", "SyncToken": "0"}})
        return httpx.Response(200, json={"BatchItemResponse": answers})

    harness = harness_for(handler)
    paid = [replace(payment(1), method="card"), replace(payment(2), method="ach"), replace(payment(3), method="cash")]
    outcomes = harness.connector.write(EntityType.PAYMENT, [WriteOp(p, f"key-{p.source_id}") for p in paid])
    assert [o.ref.id if o.ref else o.error for o in outcomes] == ["PM3", "PM2", "P1"]
    assert made == {"ACH": "M2", "Credit Card": "M3"}
    assert [request.url.path.rsplit("/", 1)[1] for request in harness.requests] == ["query", "batch", "batch"]
