"""US QuickBooks companies: the tax model read from the company, US invoice bodies, combined codes in the
mapping, the post-write comparison with Service Opus, and the same against the sandbox's US companies
(manual sales tax and Automated Sales Tax)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger_sync.connectors.qbo import QboConnector, QboOAuth
from ledger_sync.connectors.qbo.tax_model import QboTaxModel
from ledger_sync.connectors.qbo.wire import to_qbo, to_tax_rates
from ledger_sync.core.ledger import ErrorKind, LedgerError, WriteOp
from ledger_sync.core.records import CustomerRecord, EntityType, ItemRecord
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.serve import serving
from tests.connector_support import discounted_record
from tests.stack import TIME_SCALE

from .conftest import fault, invoice, saved_invoice, us_invoice
from .test_sandbox_integration import RefreshingTokens, consent, qbo_config


def company(country: str, automated: bool | None = None) -> dict[str, Any]:
    """QueryResponses for CompanyInfo and Preferences (`automated` None: the company has no TaxPrefs)."""
    prefs = {} if automated is None else {"TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": automated}}
    return {"CompanyInfo": [{"Id": "9130", "Country": country}], "Preferences": [{"Id": "1", **prefs}]}


def answering(entities: dict[str, Any]):
    def handler(request: httpx.Request) -> httpx.Response:
        entity = request.content.decode().split(" FROM ")[1].split()[0]
        return httpx.Response(200, json={"QueryResponse": {entity: entities.get(entity, [])}})

    return handler


@pytest.mark.parametrize(
    ("country", "automated", "model"),
    [("CA", None, QboTaxModel.NON_US), ("US", False, QboTaxModel.US), ("US", True, QboTaxModel.US_AST)],
)
def test_the_tax_model_is_read_from_company_info_and_preferences(harness_for, country, automated, model) -> None:
    harness = harness_for(answering(company(country, automated)), tax_model=None)
    assert harness.connector.tax_model is model
    assert harness.connector.tax_model is model
    assert len(harness.requests) == (1 if country == "CA" else 2)


def test_a_company_without_a_country_is_an_error_not_a_guess(harness_for) -> None:
    harness = harness_for(answering({}), tax_model=None)
    with pytest.raises(LedgerError) as raised:
        _ = harness.connector.tax_model
    assert raised.value.kind is ErrorKind.UNAVAILABLE and "Country" in raised.value.message


def test_a_us_invoice_carries_tax_or_non_lines_the_combined_code_and_the_total_tax_override() -> None:
    record = us_invoice()
    for model in (QboTaxModel.US, QboTaxModel.US_AST):
        body = to_qbo(record, tax_model=model)
        codes = [line["SalesItemLineDetail"]["TaxCodeRef"]["value"] for line in body["Line"]]
        assert codes == ["TAX", "NON"]
        assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "3"}, "TotalTax": record.total_tax}
        assert "GlobalTaxCalculation" not in body
    untaxed = replace(record, lines=record.lines[1:], total_tax=Decimal("0.00"))
    assert to_qbo(untaxed, tax_model=QboTaxModel.US)["TxnTaxDetail"] == {"TotalTax": Decimal("0.00")}


def test_us_combined_codes_and_non_are_mappable_but_not_outside_the_us() -> None:
    rates = [
        {"Id": "1", "RateValue": "6.25"},
        {"Id": "2", "RateValue": "1"},
        {"Id": "3", "RateValue": "1", "Active": False},
    ]
    detail = [{"TaxRateRef": {"value": rate_id}} for rate_id in ("1", "2")]
    codes = [
        {"Id": "5", "Name": "Austin, TX", "SalesTaxRateList": {"TaxRateDetail": detail}},
        {"Id": "6", "Name": "Old", "SalesTaxRateList": {"TaxRateDetail": [*detail, {"TaxRateRef": {"value": "3"}}]}},
    ]
    us = {rate.id: rate for rate in to_tax_rates(codes, rates, QboTaxModel.US_AST)}
    assert (us["5"].rate_percent, us["5"].active, us["5"].rate_ref) == (Decimal("7.25"), True, "5")
    assert (us["6"].rate_percent, us["6"].active) == (Decimal("8.25"), False)
    assert (us["NON"].rate_percent, us["NON"].active) == (Decimal(0), True)
    assert to_tax_rates(codes, rates, QboTaxModel.NON_US) == []


def test_a_us_invoice_whose_lines_map_to_two_codes_is_refused_without_a_call(harness_for) -> None:
    calls: list[httpx.Request] = []
    harness = harness_for(lambda request: calls.append(request) or httpx.Response(500), tax_model=QboTaxModel.US)
    record = us_invoice()
    mixed = replace(record, lines=(record.lines[0], replace(record.lines[0], tax_code_ref="4")))
    [outcome] = harness.connector.write(EntityType.INVOICE, [WriteOp(mixed, "k-mixed")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert "one sales tax code" in outcome.error.message and calls == []


@pytest.mark.parametrize("model", list(QboTaxModel))
def test_an_invoice_saved_with_other_tax_or_total_is_refused_with_both_figures(harness_for, model) -> None:
    """Whether QBO keeps a supplied tax is reported both ways (python-quickbooks#301 vs PHP-SDK#422)."""
    record = us_invoice() if model.is_us else None
    kept = saved_invoice("130", "0", record)
    dropped = {**kept, "TotalAmt": "999.99", "TxnTaxDetail": {"TotalTax": "8.26"}}

    def handler(request: httpx.Request) -> httpx.Response:
        items = json.loads(request.content)["BatchItemRequest"]
        return httpx.Response(
            200,
            json={"BatchItemResponse": [{"bId": items[0]["bId"], "Invoice": kept}, {"bId": "1", "Invoice": dropped}]},
        )

    harness = harness_for(handler, tax_model=model)
    first = record or invoice()
    ops = [WriteOp(first, "k-1"), WriteOp(replace(first, source_id=2, number="N-2"), "k-2")]
    ok, differs = harness.connector.write(EntityType.INVOICE, ops)
    assert ok.ok and differs.error is not None and differs.error.kind is ErrorKind.VALIDATION
    assert "tax 8.26 and total 999.99" in differs.error.message
    assert f"tax {first.total_tax} and total {first.total}" in differs.error.message


@contextmanager
def connected_us(home: Path, automated: bool, keeps_total_tax_override: bool = True) -> Iterator[QboConnector]:
    """A connector to a fresh US company of the sandbox, through the real OAuth flow."""
    config = QboSandboxConfig(
        db_path=home / "qbo.db",
        auto_consent=True,
        country="US",
        automated_sales_tax=automated,
        keeps_total_tax_override=keeps_total_tax_override,
        time_scale=TIME_SCALE,  # the clock qbo_config's minute is scaled to
    )
    with serving(create_app(config)) as base_url:
        oauth = QboOAuth(qbo_config(base_url))
        code, realm_id = consent(oauth)
        connector = QboConnector(qbo_config(base_url), realm_id, RefreshingTokens(oauth, oauth.exchange_code(code)))
        try:
            yield connector
        finally:
            connector.close()
            oauth.close()


@pytest.fixture(scope="module", params=[False, True], ids=["us-manual", "us-ast"])
def us_connector(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[QboConnector]:
    with connected_us(tmp_path_factory.mktemp("qbo-us"), request.param) as connector:
        yield connector


def parties(connector: QboConnector) -> tuple[str, str]:
    """(customer ref, item ref) in a fresh company."""
    income = next(a for a in connector.list_accounts() if a.type == "income" and a.active)
    [customer] = connector.write(EntityType.CUSTOMER, [WriteOp(CustomerRecord(1, "Lone Star Dental"), "c1")])
    [item] = connector.write(
        EntityType.ITEM, [WriteOp(ItemRecord(1, "Valve", "Valve", Decimal("33.35"), income.id), "i1")]
    )
    assert customer.ref is not None and item.ref is not None
    return customer.ref.id, item.ref.id


@pytest.mark.parametrize("automated", [False, True], ids=["us-manual", "us-ast"])
def test_a_company_that_drops_the_override_gets_the_invoice_parked_with_both_figures(
    tmp_path: Path, automated: bool
) -> None:
    with connected_us(tmp_path, automated, keeps_total_tax_override=False) as connector:
        customer_ref, item_ref = parties(connector)
        seattle = next(rate for rate in connector.list_tax_rates() if rate.name == "Seattle, WA")
        sent = us_invoice(seattle.id, 1, customer_ref, item_ref)  # 100.05 taxable
        nine_percent = replace(sent.lines[0], tax_amount=Decimal("9.00"))  # mapped to a code at another rate
        record = replace(sent, lines=(nine_percent, sent.lines[1]), total_tax=Decimal("9.00"))
        record = replace(record, total=record.subtotal + record.total_tax)
        [outcome] = connector.write(EntityType.INVOICE, [WriteOp(record, "dropped-1")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    qbo_tax = "10.36" if not automated else "8.25"  # Seattle's 10.35 %, or AST's own pick (Austin, 8.25 %)
    assert f"with tax {qbo_tax}" in outcome.error.message
    assert f"Service Opus has tax {record.total_tax} and total {record.total}" in outcome.error.message


def test_us_invoices_land_equal_to_service_opus_on_both_us_tax_models(us_connector: QboConnector) -> None:
    """Service Opus taxes per line; QBO from the combined rate (and AST from its own pick): the override wins."""
    assert us_connector.tax_model.is_us
    rates = {rate.name: rate for rate in us_connector.list_tax_rates()}
    assert rates["Denver, CO"].rate_percent == Decimal("8.81") and rates["Non-taxable (NON)"].id == "NON"
    customer_ref, item_ref = parties(us_connector)
    records = [
        replace(us_invoice(rates[name].id, n, customer_ref, item_ref), number=f"US-{n}")
        for n, name in enumerate(("Denver, CO", "Seattle, WA"), start=1)
    ]
    # Per line at 8.25 % (the Service Opus figure): 100.05 -> 8.25; QBO at Denver's 8.81 % would say 8.81.
    outcomes = us_connector.write(EntityType.INVOICE, [WriteOp(r, f"v{r.source_id}") for r in records])
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    for record, outcome in zip(records, outcomes, strict=True):
        assert outcome.ref is not None
        saved = us_connector.read(EntityType.INVOICE, outcome.ref.id)
        assert Decimal(str(saved["TxnTaxDetail"]["TotalTax"])) == record.total_tax == Decimal("8.25")
        assert Decimal(str(saved["TotalAmt"])) == record.total
        codes = [
            ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in saved["Line"] if "SalesItemLineDetail" in ln
        ]
        assert codes == ["TAX", "NON"]
    first, ref = records[0], outcomes[0].ref
    assert ref is not None
    taxed = replace(first.lines[0], quantity=Decimal("4"), amount=Decimal("133.40"), tax_amount=Decimal("11.01"))
    changed = replace(first, lines=(taxed, first.lines[1]), subtotal=Decimal("213.40"), total_tax=Decimal("11.01"))
    changed = replace(changed, total=Decimal("224.41"))
    [updated] = us_connector.write(EntityType.INVOICE, [WriteOp(changed, "v1-changed", ref)])
    assert updated.ok and updated.ref is not None and updated.ref.id == ref.id, updated.error
    saved = us_connector.read(EntityType.INVOICE, ref.id)
    assert (Decimal(str(saved["TxnTaxDetail"]["TotalTax"])), Decimal(str(saved["TotalAmt"]))) == (
        Decimal("11.01"),
        Decimal("224.41"),
    )


def test_a_discounted_us_invoice_lands_equal_to_service_opus(us_connector: QboConnector) -> None:
    """Credit lines and a 10 % discount taken off before tax, on both US tax models: the override wins."""
    rates = {rate.name: rate for rate in us_connector.list_tax_rates()}
    income = next(a for a in us_connector.list_accounts() if a.type == "income" and a.active)
    customer_ref, item_ref = parties(us_connector)
    refs = {"customer_ref": customer_ref, "item_ref": item_ref, "discount_account": income.id, "currency": "USD"}
    record = discounted_record(rates["Denver, CO"], rates["Non-taxable (NON)"], 20, **refs)
    [outcome] = us_connector.write(EntityType.INVOICE, [WriteOp(record, "discounted-20")])
    assert outcome.ok and outcome.ref is not None, outcome.error
    saved = us_connector.read(EntityType.INVOICE, outcome.ref.id)
    assert (Decimal(str(saved["TxnTaxDetail"]["TotalTax"])), Decimal(str(saved["TotalAmt"]))) == (
        record.total_tax,
        record.total,
    )
    assert saved["ApplyTaxAfterDiscount"] is True and Decimal(str(saved["Balance"])) == record.total


def test_names_the_qbo_lexer_refuses_never_block_their_neighbours(us_connector: QboConnector) -> None:
    """The sandbox refuses U+2019 and U+2013 in a literal (4000) as QBO does; the connector still finds all."""
    names = ["O’Brien Plumbing", "North–South Roofing", "Plain Neighbour", "“Quoted” Co"]
    records = [CustomerRecord(100 + n, name) for n, name in enumerate(names)]
    outcomes = us_connector.write(EntityType.CUSTOMER, [WriteOp(r, f"lex-{r.source_id}") for r in records])
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    found = us_connector.find_by_external_id(EntityType.CUSTOMER, records)
    created = {record.source_id: outcome.ref for record, outcome in zip(records, outcomes, strict=True)}
    assert found == created


def test_a_6100_answer_is_a_refusal_the_engine_parks(harness_for) -> None:
    """Should QBO still refuse a line code (6100), the record is parked with QBO's words, not retried blindly."""
    detail = "Business Validation Error: Valid line TaxCodes for US should be TAX or NON"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=fault("6100", "A business validation error has occurred", detail=detail))

    harness = harness_for(handler, tax_model=QboTaxModel.NON_US)
    [outcome] = harness.connector.write(EntityType.INVOICE, [WriteOp(invoice(), "k-6100")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert outcome.error.code == "6100" and "TAX or NON" in outcome.error.message


def test_a_create_that_meets_our_own_invoice_as_a_duplicate_updates_it(harness_for) -> None:
    """An invoice QBO saved but we refused (its tax differed) is parked without its id; its next version meets
    it as a duplicate DocNumber (6140), finds it by its stamp, and corrects it."""
    record = invoice()
    posted: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            stamped = {"Id": "130", "SyncToken": "2", "DocNumber": record.number, "PrivateNote": record.external_id}
            return httpx.Response(200, json={"QueryResponse": {"Invoice": [stamped]}})
        body = json.loads(request.content)
        posted.append(body)
        if "Id" not in body:
            return httpx.Response(400, json=fault("6140", "Duplicate Document Number Error"))
        return httpx.Response(200, json={"Invoice": saved_invoice("130", "3")})

    harness = harness_for(handler)
    [outcome] = harness.connector.write(EntityType.INVOICE, [WriteOp(record, "k-again")])
    assert outcome.ok and outcome.ref is not None and outcome.ref.id == "130", outcome.error
    assert [(body.get("Id"), body.get("SyncToken")) for body in posted] == [(None, None), ("130", "2")]


def test_a_duplicate_invoice_number_somebody_else_owns_stays_a_refusal(harness_for) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            theirs = {"Id": "131", "SyncToken": "0", "DocNumber": "INV-1001", "PrivateNote": "typed by hand"}
            return httpx.Response(200, json={"QueryResponse": {"Invoice": [theirs]}})
        return httpx.Response(400, json=fault("6140", "Duplicate Document Number Error"))

    [outcome] = harness_for(handler).connector.write(EntityType.INVOICE, [WriteOp(invoice(), "k-theirs")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.DUPLICATE
