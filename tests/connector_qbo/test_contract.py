"""Every JSON body the connector sends, validated against Intuit's official v3 XSDs.

QBO JSON uses the XSD's element names; to validate, attributes (`sparse`, `bId`, `operation`) become
`@`-keys and references (`{"value": "1", "name": "X"}`) become simple content with a `name` attribute.
"""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledger_sync.connectors.qbo.tax_model import QboTaxModel
from ledger_sync.connectors.qbo.wire import US_NON_TAXABLE_RATE
from ledger_sync.core.ledger import LedgerRef, LedgerTaxRate, WriteOp
from ledger_sync.core.records import CustomerRecord, EntityType, InvoiceRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceRefund
from ledger_sync.core.tracking import TrackingTag
from ledger_sync.settings import Settings

from .conftest import Harness, customer, discounted_invoice, invoice, item, payment, us_invoice

pytestmark = pytest.mark.contract

NAMESPACE = "http://schema.intuit.com/finance/v3"
ATTRIBUTES = frozenset({"sparse", "domain", "status", "bId", "operation", "optionsData"})
REF_KEYS = frozenset({"value", "name", "type"})
ENTITY_PATHS = {
    "customer": "Customer",
    "item": "Item",
    "invoice": "Invoice",
    "payment": "Payment",
    "paymentmethod": "PaymentMethod",
    "refundreceipt": "RefundReceipt",
}


@pytest.fixture(scope="module")
def schema() -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    specs = Settings().shared_dir / "specs" / "qbo"
    main = specs / "IntuitRestServiceDef.xsd"
    if not main.is_file():
        pytest.skip(f"QBO XSDs not found at {specs.resolve()} (the shared specs folder is absent)")
    return xmlschema.XMLSchema(str(main))


def to_xml_shape(value: Any) -> Any:
    """QBO JSON -> the dict shape xmlschema encodes: attributes as @keys, references as simple content."""
    if isinstance(value, list):
        return [to_xml_shape(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "value" in value and set(value) <= REF_KEYS:
        return {"$": value["value"], **{f"@{k}": v for k, v in value.items() if k != "value"}}
    return {(f"@{k}" if k in ATTRIBUTES else k): to_xml_shape(v) for k, v in value.items()}


def validate(schema: Any, element: str, body: dict[str, Any]) -> None:
    import xmlschema

    schema.elements[element].encode(
        to_xml_shape(body), converter=xmlschema.UnorderedConverter, namespaces={"": NAMESPACE}
    )


def fake_qbo(request: httpx.Request) -> httpx.Response:
    """Accepts every write and echoes it back with an Id; reads return a fresh SyncToken."""
    path = request.url.path.rsplit("/", 2)
    if request.method == "GET":
        name = ENTITY_PATHS[path[-2]]
        return httpx.Response(200, json={name: {"Id": path[-1], "SyncToken": "4"}})
    if path[-1] == "query":
        return httpx.Response(200, json={"QueryResponse": {}})
    body = json.loads(request.content)
    if path[-1] == "batch":
        answers = []
        for entry in body["BatchItemRequest"]:
            name = next(k for k in entry if k not in ATTRIBUTES)
            answers.append({"bId": entry["bId"], name: {"Id": "1", "SyncToken": "0", **entry[name]}})
        return httpx.Response(200, json={"BatchItemResponse": answers})
    name = ENTITY_PATHS[path[-1]]
    if body.get("SyncToken") == "3":
        return httpx.Response(400, json={"Fault": {"Error": [{"Message": "Stale Object Error", "code": "5010"}]}})
    return httpx.Response(200, json={name: {"Id": "1", "SyncToken": "0", **body}})


def run_every_kind_of_write() -> list[httpx.Request]:
    harness = Harness(fake_qbo)
    write = harness.connector.write
    bare = CustomerRecord(source_id=3, display_name="Bare Minimum")
    write(EntityType.CUSTOMER, [WriteOp(customer(1), "k-c1")])
    fixed = customer(4, "Colon: Tab\tNUL\x00 " + "n" * 600)  # sent fixed: its name cut, the original in Notes
    write(EntityType.CUSTOMER, [WriteOp(customer(2, "Beta"), "k-c2"), WriteOp(bare, "k-c3"), WriteOp(fixed, "k-c4")])
    write(EntityType.CUSTOMER, [WriteOp(customer(1), "k-c1-u", LedgerRef("7", "3"))])
    write(EntityType.ITEM, [WriteOp(item(1), "k-i1"), WriteOp(item(2, "Windows"), "k-i2", LedgerRef("8", "1"))])
    write(EntityType.INVOICE, [WriteOp(invoice(1), "k-v1")])
    write(
        EntityType.INVOICE,
        [WriteOp(invoice(2, "INV-2"), "k-v2"), WriteOp(invoice(3, "INV-3"), "k-v3", LedgerRef("9", "3"))],
    )
    write(EntityType.INVOICE, [WriteOp(discounted_invoice(source_id=7), "k-v7", LedgerRef("11", "0"))])
    write(EntityType.INVOICE, [WriteOp(tracked_invoice(), "k-v9")])
    write(EntityType.PAYMENT, [WriteOp(payment(1), "k-p1"), WriteOp(payment(2), "k-p2")])
    write(EntityType.PAYMENT, [WriteOp(payment(3), "k-p3", LedgerRef("10", "0"))])
    refund = SourceRefund(1, 1, Decimal("20.00"), date(2026, 3, 20), "Part returned unused")
    write(
        EntityType.REFUND,
        [WriteOp(refund_record(refund, invoice(1), payment_number=1, deposit_account_ref="4"), "k-r1")],
    )
    harness.close()
    us = Harness(fake_qbo, tax_model=QboTaxModel.US_AST)
    us.connector.write(EntityType.INVOICE, [WriteOp(us_invoice(source_id=4), "k-v4")])
    us.connector.write(
        EntityType.INVOICE,
        [WriteOp(us_invoice(source_id=5), "k-v5"), WriteOp(us_invoice(source_id=6), "k-v6", LedgerRef("9", "3"))],
    )
    austin = LedgerTaxRate("3", "Austin, TX", Decimal("8.25"), True, "3")
    us.connector.write(EntityType.INVOICE, [WriteOp(discounted_invoice(austin, US_NON_TAXABLE_RATE, 8), "k-v8")])
    us.close()
    return [r for r in harness.requests + us.requests if r.method == "POST" and not r.url.path.endswith("/query")]


def tracked_invoice() -> InvoiceRecord:
    """An invoice of a business unit tracked as a department, its lines as classes (issue 17)."""
    record = invoice(9, "INV-9")
    technician = TrackingTag("Class/2", "Alex Rivera", "Class", "Class")
    lines = tuple(replace(line, tracking=(technician,)) for line in record.lines)
    return replace(
        record, lines=lines, tracking=(TrackingTag("Department/1", "North Branch", "Department", "Location"),)
    )


def test_every_request_body_is_valid_against_the_official_xsds(schema: Any) -> None:
    requests = run_every_kind_of_write()
    kinds = set()
    us_invoices = discounted = tracked = 0
    for request in requests:
        tracked += b'"DepartmentRef"' in request.content and b'"ClassRef"' in request.content
        us_invoices += b'"TxnTaxCodeRef"' in request.content
        discounted += b'"DiscountLineDetail"' in request.content
        body = json.loads(request.content, parse_float=Decimal)
        last = request.url.path.rsplit("/", 1)[-1]
        if last == "batch":
            validate(schema, "IntuitBatchRequest", body)
            for entry in body["BatchItemRequest"]:
                name = next(k for k in entry if k not in ATTRIBUTES)
                kinds.add((name, entry["operation"], "sparse" in entry[name]))
        else:
            validate(schema, ENTITY_PATHS[last], body)
            kinds.add((ENTITY_PATHS[last], "single", "sparse" in body))
    assert kinds == {
        ("Customer", "single", False),
        ("Customer", "single", True),
        ("Customer", "create", False),
        ("Item", "create", False),
        ("Item", "update", True),
        ("Invoice", "single", False),
        ("Invoice", "single", True),
        ("Invoice", "create", False),
        ("Invoice", "update", True),
        ("Payment", "create", False),
        ("Payment", "single", True),
        ("PaymentMethod", "single", False),
        ("RefundReceipt", "single", False),
    }
    assert us_invoices == 3
    assert tracked == 1
    assert discounted == 2  # a Canadian update and a US create, each with credit lines and an invoice discount


def test_the_validator_rejects_what_qbo_would_not_understand(schema: Any) -> None:
    import xmlschema

    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(schema, "Customer", {"DisplayName": "X", "Email": "x@example.com"})
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(schema, "Invoice", {"Line": [{"Amount": "ten", "DetailType": "SalesItemLineDetail"}]})
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        discount = {"Amount": "1", "DetailType": "DiscountLineDetail", "DiscountLineDetail": {"Percent": "10"}}
        validate(schema, "Invoice", {"Line": [discount]})
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(schema, "IntuitBatchRequest", {"BatchItemRequest": [{"bId": "1", "operation": "upsert"}]})
    with pytest.raises(xmlschema.XMLSchemaValidationError):
        validate(
            schema,
            "IntuitBatchRequest",
            {"BatchItemRequest": [{"bId": "1", "operation": "create", "Customer": {"Email": "x@example.com"}}]},
        )
