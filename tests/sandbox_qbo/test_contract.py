"""Every element name the sandbox returns exists in Intuit's official XSDs, nested where the XSD puts it."""

from pathlib import Path
from typing import Any

import pytest

from ledger_sync.sandboxes.qbo import wire
from ledger_sync.settings import Settings

from .helpers import Qbo
from .test_deposits import deposit, payout
from .test_ledger import make_invoice
from .test_voids import pay, read, void_invoice, void_payment

pytestmark = pytest.mark.contract
ATTRIBUTES = {"domain", "sparse", "status"}
"""XML attributes of IntuitEntity, rendered as JSON members."""
REFERENCE_MEMBERS = {"value", "name", "type"}


@pytest.fixture(scope="module")
def schema() -> Any:
    xmlschema = pytest.importorskip("xmlschema")
    path = Path(Settings().shared_dir) / "specs" / "qbo" / "IntuitRestServiceDef.xsd"
    if not path.exists():
        pytest.skip(f"the official QBO XSDs are not at {path}")
    return xmlschema.XMLSchema(str(path))


def unknown_names(xsd_type: Any, value: Any, where: str) -> list[str]:
    """Names in `value` that `xsd_type` does not declare (recursively)."""
    if isinstance(value, list):
        return [name for entry in value for name in unknown_names(xsd_type, entry, where)]
    if not isinstance(value, dict):
        return []
    if xsd_type.has_simple_content():
        return [f"{where}.{k}" for k in value if k not in REFERENCE_MEMBERS]
    children = {child.local_name: child for child in xsd_type.content.iter_elements()}
    problems = []
    for key, member in value.items():
        if key in ATTRIBUTES:
            continue
        if key not in children:
            problems.append(f"{where}.{key}")
        else:
            problems.extend(unknown_names(children[key].type, member, f"{where}.{key}"))
    return problems


def test_entities_use_only_xsd_element_names(schema: Any, qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    link = [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]
    payment = qbo.create(
        "Payment", {"CustomerRef": invoice["CustomerRef"], "TotalAmt": 10, "Line": [{"Amount": 10, "LinkedTxn": link}]}
    )
    item = qbo.named("Item", "Gutter cleaning")
    memo = qbo.create(
        "CreditMemo",
        {"CustomerRef": invoice["CustomerRef"], "Line": [qbo.sales_line(item, "1", "5.00", "5.00", "GST")]},
    )
    credit = [{"TxnId": memo["Id"], "TxnType": "CreditMemo"}]
    applied = qbo.create(
        "Payment",
        {
            "CustomerRef": invoice["CustomerRef"],
            "TotalAmt": 0,
            "Line": [{"Amount": 5, "LinkedTxn": link}, {"Amount": 5, "LinkedTxn": credit}],
        },
    )
    samples = {
        "Invoice": qbo.get("Invoice", invoice["Id"]).json()["Invoice"],
        "CreditMemo": qbo.get("CreditMemo", memo["Id"]).json()["CreditMemo"],
        "Payment": payment,
        "Payment applying a credit memo": applied,
        "Deposit": qbo.create("Deposit", deposit(qbo, "Card Clearing")),
        "Deposit of a payment": qbo.create("Deposit", payout(qbo, [payment], "0.59")),
        "Customer": qbo.named("Customer", "Beta Builders"),
        "Item": qbo.named("Item", "Gutter cleaning"),
        "Account": qbo.named("Account", "Undeposited Funds"),
        "TaxCode": qbo.named("TaxCode", "GST"),
        "TaxRate": qbo.named("TaxRate", "GST"),
        "Vendor": qbo.named("Vendor", "Acme Supplies"),
        "Employee": qbo.named("Employee", "Jordan Lee"),
    }
    samples["Payment in a deposit"] = qbo.get("Payment", payment["Id"]).json()["Payment"]
    for entity, body in samples.items():
        xsd_type = schema.types[entity.split()[0]]
        assert unknown_names(xsd_type, body, entity) == [], entity


def test_voided_entities_use_only_xsd_element_names(schema: Any, qbo: Qbo) -> None:
    invoice = make_invoice(qbo)
    payment = wire.loads(void_payment(qbo, pay(qbo, invoice, "5.00")).content)["Payment"]
    voided = wire.loads(void_invoice(qbo, read(qbo, "Invoice", invoice["Id"])).content)["Invoice"]
    assert unknown_names(schema.types["Invoice"], voided, "Invoice") == []
    assert unknown_names(schema.types["Payment"], payment, "Payment") == []
