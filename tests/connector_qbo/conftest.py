"""Shared fixtures: a config, a token provider that records refreshes, and connectors over MockTransport."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from ledger_sync.connectors.qbo import QboConfig, QboConnector
from ledger_sync.core.records import (
    Address,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)

ACCESS_TOKEN = "access-SECRET-1111"
REFRESHED_TOKEN = "access-SECRET-2222"
REALM = "9130"
API_BASE = "https://qbo.test"


def make_config(**overrides: object) -> QboConfig:
    values: dict[str, object] = {
        "api_base": API_BASE,
        "authorize_url": "https://auth.test/connect/oauth2",
        "token_url": "https://auth.test/oauth2/v1/tokens/bearer",
        "revoke_url": "https://auth.test/v2/oauth2/tokens/revoke",
        "client_id": "client-abc",
        "client_secret": SecretStr("client-SECRET-xyz"),
        "redirect_uri": "http://127.0.0.1:8000/callback",
        "scope": "com.intuit.quickbooks.accounting",
    }
    values.update(overrides)
    return QboConfig(**values)  # type: ignore[arg-type]


class FakeTokens:
    """A TokenProvider that hands out ACCESS_TOKEN, then REFRESHED_TOKEN after a refresh."""

    def __init__(self) -> None:
        self.current = ACCESS_TOKEN
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refreshed_access_token(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = REFRESHED_TOKEN
        return self.current


Handler = Callable[[httpx.Request], httpx.Response]


class Harness:
    """A connector wired to `handler`, with every request and every backoff sleep recorded."""

    def __init__(self, handler: Handler, **config: object) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.tokens = FakeTokens()

        def recording(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        self.http = httpx.Client(transport=httpx.MockTransport(recording))
        self.connector = QboConnector(
            make_config(**config), REALM, self.tokens, http=self.http, sleep=self.sleeps.append
        )


@pytest.fixture
def harness_for() -> Callable[..., Harness]:
    made: list[Harness] = []

    def build(handler: Handler, **config: object) -> Harness:
        harness = Harness(handler, **config)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.connector.close()
        harness.http.close()


def fault(code: str, message: str, fault_type: str = "ValidationFault", detail: str = "") -> dict[str, object]:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail or message, "code": code}], "type": fault_type}}


def customer(source_id: int = 1, name: str = "Acme Ltd") -> CustomerRecord:
    return CustomerRecord(
        source_id=source_id,
        display_name=name,
        email="ap@acme.test",
        phone="+1 555 0100",
        address=Address("1 Main St", "Springfield", "CA", "90210", "US"),
    )


def item(source_id: int = 1, name: str = "Gutter cleaning") -> ItemRecord:
    return ItemRecord(
        source_id=source_id,
        name=name,
        description="Two storeys",
        unit_price=Decimal("120.00"),
        income_account_ref="79",
    )


def invoice(source_id: int = 1, number: str = "INV-1001") -> InvoiceRecord:
    """Two lines at two tax rates, so the tax detail has two TaxLines."""
    lines = (
        InvoiceLineRecord(
            "11", "Gutters", Decimal("3"), Decimal("33.3333333"), Decimal("100.00"), "5", Decimal("5.00")
        ),
        InvoiceLineRecord("12", "Windows", Decimal("1.5"), Decimal("40.10"), Decimal("60.15"), "7", Decimal("7.82")),
    )
    tax_lines = (
        TaxLineRecord("5", "15", Decimal("5"), Decimal("100.00"), Decimal("5.00")),
        TaxLineRecord("7", "17", Decimal("13"), Decimal("60.15"), Decimal("7.82")),
    )
    return InvoiceRecord(
        source_id=source_id,
        number=number,
        customer_ref="58",
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        currency="CAD",
        lines=lines,
        tax_lines=tax_lines,
        subtotal=Decimal("160.15"),
        total_tax=Decimal("12.82"),
        total=Decimal("172.97"),
    )


def payment(source_id: int = 1) -> PaymentRecord:
    return PaymentRecord(
        source_id=source_id,
        invoice_ref="130",
        customer_ref="58",
        amount=Decimal("172.97"),
        paid_on=date(2026, 3, 15),
        method="card",
        deposit_account_ref="4",
    )
