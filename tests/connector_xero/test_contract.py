"""Every request the Xero connector sends, validated against Xero's official OpenAPI specs.

The connector runs against the Xero sandbox (real uvicorn on 127.0.0.1) through the real OAuth flow,
writes and looks up every entity type (a rounding adjustment and element failures included), and
each recorded accounting request is checked against `xero_accounting.yaml`, each `/connections`
request against `xero-identity.yaml`. Token and revocation requests are form posts to
identity.xero.com, which neither spec describes. The official xero-python SDK then reads our
invoice back.
"""

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

pytest.importorskip("openapi_core", reason="openapi-core (spec validation) is not installed")

from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ledger_sync.connectors.xero import XeroConfig, XeroConnector, XeroOAuth
from ledger_sync.core.ledger import WriteOp
from ledger_sync.core.records import EntityType, InvoiceLineRecord, ItemRecord
from ledger_sync.sandboxes.endpoints import xero_sandbox_env
from ledger_sync.sandboxes.serve import serving
from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.settings import Settings
from tests.connector_support import discounted_record
from tests.sandbox_xero.spec_check import XERO_HOST, SpecRequest, spec
from tests.waiting import CEILING

from .conftest import customer, invoice, payment

pytestmark = pytest.mark.contract


class Recorder(httpx.BaseTransport):
    """Passes requests to the real transport and keeps each one (with its body) for validation."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.inner.handle_request(request)


@dataclass
class Traffic:
    connector: XeroConnector
    recorder: Recorder
    tenant_id: str
    access_token: str
    base_url: str


class StaticTokens:
    def __init__(self, token: str) -> None:
        self.token = token

    def access_token(self) -> str:
        return self.token

    def refreshed_access_token(self, rejected: str) -> str:
        return self.token


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Traffic]:
    spec("xero_accounting.yaml")  # skips the module when ../shared is absent
    home = tmp_path_factory.mktemp("xero-contract")
    app = create_app(XeroSandboxConfig(db_path=home / "x.db", auto_consent=True))
    recorder = Recorder()
    with serving(app) as base_url, pytest.MonkeyPatch.context() as env:
        for key, value in xero_sandbox_env(base_url).items():
            env.setenv(key, value)
        config = XeroConfig.from_settings(Settings())
        oauth = XeroOAuth(config, transport=recorder)
        verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        redirect = httpx.get(oauth.authorization_url(state, verifier), follow_redirects=False, timeout=CEILING)
        code = parse_qs(urlsplit(redirect.headers["location"]).query)["code"][0]
        tokens = oauth.exchange_code(code, verifier)
        ((tenant_id, _),) = oauth.tenants(tokens.access_token)
        http = httpx.Client(transport=recorder, timeout=CEILING)
        connector = XeroConnector(config, tenant_id, StaticTokens(tokens.access_token), http=http)
        yield Traffic(connector, recorder, tenant_id, tokens.access_token, base_url)
        connector.close()
        oauth.revoke(tokens.refresh_token)
        oauth.close()
        http.close()


def _op(record: object) -> WriteOp:
    return WriteOp(record, f"contract-{record.external_id}", None)  # type: ignore[arg-type,attr-defined]


@pytest.fixture(scope="module")
def written(traffic: Traffic) -> str:
    """Runs every kind of call the connector makes; returns the id of an invoice with a rounding line."""
    connector = traffic.connector
    accounts = connector.list_accounts()
    connector.list_tax_rates()
    banks = sorted(a.id for a in accounts if a.type == "bank")
    assert connector.account_balances(banks) == dict.fromkeys(banks, Decimal("0.00"))  # the Bank Summary report
    income = next(a for a in accounts if a.code == "200")
    clearing = next(a for a in accounts if a.type == "undeposited_funds")
    contacts = connector.write(
        EntityType.CUSTOMER, [_op(customer(1)), _op(customer(2, "Second Co")), _op(customer(3, "Acme Ltd"))]
    )
    assert [o.ok for o in contacts] == [True, True, False]  # a duplicate name, refused on its own
    contact_id = contacts[0].ref.id  # type: ignore[union-attr]
    connector.write(EntityType.CUSTOMER, [WriteOp(customer(1, "Acme Limited"), "contract-update", contacts[0].ref)])
    fitted = connector.write(EntityType.CUSTOMER, [_op(customer(4, "Long\tName\x00 " + "L" * 300))])
    assert [o.ok for o in fitted] == [True]  # cut to the spec's 255, its tab and NUL gone
    items = [ItemRecord(n, f"Service {n}", "On site", Decimal("50.00"), income.id) for n in (11, 12)]
    items.append(ItemRecord(13, "Maintenance plan: " + "m" * 60, "On\x07site " + "d" * 4000, Decimal("9"), income.id))
    assert all(o.ok for o in connector.write(EntityType.ITEM, [_op(record) for record in items]))
    lines = (
        InvoiceLineRecord("SO-I11", "Panels", Decimal("7"), Decimal("44.2385714"), Decimal("309.67"), "TAX001",
                          Decimal("40.26")),
        InvoiceLineRecord("SO-I12", "Fee\x0b" + "f" * 4000, Decimal("1"), Decimal("0.88"), Decimal("0.88"), "TAX001",
                          Decimal("0.12")),
    )  # fmt: skip
    record = invoice(1, "CT-0001", lines)
    record = type(record)(**{**record.__dict__, "customer_ref": contact_id})  # type: ignore[arg-type]
    (made,) = connector.write(EntityType.INVOICE, [_op(record)])
    assert made.ok, made.error
    paid = type(payment())(**{**payment(1, "100.00").__dict__, "invoice_ref": made.ref.id})  # type: ignore[union-attr]
    paid = type(paid)(**{**paid.__dict__, "deposit_account_ref": clearing.id})
    assert [o.ok for o in connector.write(EntityType.PAYMENT, [_op(paid)])] == [True]
    for entity_type, records in (
        (EntityType.CUSTOMER, [customer(1)]),
        (EntityType.ITEM, items),
        (EntityType.INVOICE, [record]),
        (EntityType.PAYMENT, [paid]),
    ):
        assert connector.find_by_external_id(entity_type, records)
    connector.read(EntityType.INVOICE, made.ref.id)  # type: ignore[union-attr]
    return made.ref.id  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def discounted(traffic: Traffic, written: str) -> str:
    """Writes an invoice with credit lines and a 10 % invoice discount; returns its id."""
    connector = traffic.connector
    rates = {rate.id: rate for rate in connector.list_tax_rates()}
    income = next(a for a in connector.list_accounts() if a.code == "200")
    contact_id = connector.find_by_external_id(EntityType.CUSTOMER, [customer(1)])[1].id
    refs = {"customer_ref": contact_id, "item_ref": "SO-I11", "discount_account": income.id}
    record = discounted_record(rates["TAX001"], rates["OUTPUT"], 2, **refs)
    (made,) = connector.write(EntityType.INVOICE, [_op(record)])
    assert made.ok and made.ref is not None, made.error
    corrected = replace(record, due_date=record.due_date + timedelta(days=14))  # relocked with other terms
    (fixed,) = connector.write(EntityType.INVOICE, [WriteOp(corrected, "contract-correction", made.ref)])
    assert fixed.ok and fixed.ref is not None and fixed.ref.id == made.ref.id, fixed.error
    return made.ref.id


@pytest.fixture(scope="module")
def voided(traffic: Traffic, written: str) -> str:
    """A partly paid invoice voided as Service Opus voids it (its payment deleted first); returns its id."""
    connector = traffic.connector
    clearing = next(a for a in connector.list_accounts() if a.type == "undeposited_funds")
    contact_id = connector.find_by_external_id(EntityType.CUSTOMER, [customer(1)])[1].id
    record = type(invoice())(**{**invoice(5, "CT-0005").__dict__, "customer_ref": contact_id})  # type: ignore[arg-type]
    (made,) = connector.write(EntityType.INVOICE, [_op(record)])
    assert made.ok and made.ref is not None, made.error
    part = {"invoice_ref": made.ref.id, "deposit_account_ref": clearing.id}
    paid = type(payment())(**{**payment(5, "10.00").__dict__, **part})
    assert [o.ok for o in connector.write(EntityType.PAYMENT, [_op(paid)])] == [True]
    void = WriteOp(replace(record, voided=True), "contract-void-5", made.ref)
    (outcome,) = connector.write(EntityType.INVOICE, [void])
    assert outcome.ok, outcome.error
    assert connector.read(EntityType.INVOICE, made.ref.id)["Status"] == "VOIDED"
    return made.ref.id


def _spec_request(request: httpx.Request) -> tuple[str, SpecRequest]:
    path = request.url.path
    name, spec_path = (
        ("xero-identity.yaml", "/Connections") if path.lower() == "/connections" else ("xero_accounting.yaml", path)
    )
    parameters = RequestParameters(
        query=ImmutableMultiDict(parse_qs(request.url.query.decode(), keep_blank_values=True)),
        header=Headers(dict(request.headers)),
        cookie=ImmutableMultiDict(),
    )
    content_type = request.headers.get("content-type", "application/json")
    return name, SpecRequest(
        XERO_HOST, spec_path, request.method.lower(), parameters, content_type, request.content or None
    )


def test_every_request_follows_xeros_openapi_specs(
    traffic: Traffic, written: str, discounted: str, voided: str
) -> None:
    checked, violations = 0, []
    for request in traffic.recorder.requests:
        path = request.url.path
        if path.startswith("/connect/"):
            continue  # token and revocation: identity.xero.com form posts, in neither spec
        name, spec_request = _spec_request(request)
        try:
            spec(name).validate_request(spec_request)
        except OpenAPIError as violation:
            violations.append(f"{request.method} {path}: {violation.__cause__ or violation!r}"[:1500])
        checked += 1
    assert violations == []
    methods = {(r.method, r.url.path.rsplit("/", 1)[-1]) for r in traffic.recorder.requests}
    assert {
        ("PUT", "Contacts"),
        ("POST", "Contacts"),
        ("PUT", "Items"),
        ("PUT", "Invoices"),
        ("POST", "Invoices"),
        ("PUT", "Payments"),
        ("GET", "BankSummary"),
    } <= methods
    corrections = [r for r in traffic.recorder.requests if r.method == "POST" and r.url.path.endswith("/Invoices")]
    assert all('"InvoiceID"' in r.content.decode() for r in corrections), "an invoice is updated by its id only"
    assert ("GET", "connections") in methods and ("GET", "Payments") in methods and checked > 10
    assert any(r.method == "POST" and "/Payments/" in r.url.path for r in traffic.recorder.requests), "a deletion"


def test_the_official_sdk_reads_our_invoice_back_equal_to_the_cent(
    traffic: Traffic, written: str, discounted: str
) -> None:
    pytest.importorskip("xero_python", reason="the official xero-python SDK is not installed")
    import time

    from xero_python.accounting import AccountingApi
    from xero_python.api_client import ApiClient, Configuration
    from xero_python.api_client.oauth2 import OAuth2Token

    token = {"access_token": traffic.access_token, "token_type": "Bearer", "expires_in": 1800,
             "expires_at": time.time() + 1800, "scope": ["accounting.transactions"]}  # fmt: skip
    api_client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id="sandbox-client", client_secret="sandbox-secret")),
        oauth2_token_getter=lambda: token,
        oauth2_token_saver=token.update,
    )
    accounting = AccountingApi(api_client, base_url=f"{traffic.base_url}/api.xro/2.0")
    read = accounting.get_invoice(traffic.tenant_id, written, unitdp=4).invoices[0]
    assert (read.invoice_number, read.reference, read.total) == ("CT-0001", "SO-I1", Decimal("350.93"))
    assert read.amount_due == Decimal("250.93") and read.date == date(2026, 3, 1)
    assert (read.sub_total, read.total_tax) == (Decimal("310.55"), Decimal("40.38")), "Service Opus's net and tax"
    assert [li.tax_amount for li in read.line_items] == [Decimal("40.26"), Decimal("0.12")], "no ROUNDING line needed"
    credit = accounting.get_invoice(traffic.tenant_id, discounted, unitdp=4).invoices[0]
    figures = (credit.sub_total, credit.total_tax, credit.total)
    assert figures == (Decimal("184.50"), Decimal("21.46"), Decimal("205.96")), "Service Opus's net, tax and total"
    assert [li.line_amount for li in credit.line_items] == [
        Decimal(v) for v in ("190.00", "-20.00", "-15.00", "50.00", "-17.00", "-3.50")
    ], "credit lines and one discount line per tax rate, no ROUNDING line"
    assert all(li.quantity > 0 for li in credit.line_items)
