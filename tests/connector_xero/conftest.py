"""Shared fixtures: a config, connectors over MockTransport (harness and FakeTokens: `tests.connector_support`)."""

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from ledger_sync.connectors.jsonnum import dumps, loads
from ledger_sync.connectors.xero import XeroConfig, XeroConnector
from ledger_sync.core.records import (
    Address,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)
from tests.connector_support import Handler, RecordingHarness, closing_harnesses, full_customer

TENANT = "7d1a5b0e-1111-4c2b-9a57-0a7c1b2c3d4e"
API_BASE = "https://api.xero.test/api.xro/2.0"
INCOME_ID = "5040915e-8ce7-4177-8d08-fde416232f18"
CLEARING_ID = "13918178-849a-4823-9a31-57b7eac713d7"
ACCOUNTS = [
    {"AccountID": INCOME_ID, "Code": "200", "Name": "Sales", "Type": "REVENUE", "Status": "ACTIVE"},
    {"AccountID": "a1", "Code": "280", "Name": "Legacy", "Type": "REVENUE", "Status": "ARCHIVED"},
    {"AccountID": "b1", "Code": "090", "Name": "Bank", "Type": "BANK", "Status": "ACTIVE",
     "EnablePaymentsToAccount": True},
    {"AccountID": CLEARING_ID, "Code": "615", "Name": "Clearing", "Type": "CURRENT", "Status": "ACTIVE",
     "EnablePaymentsToAccount": True},
    {"AccountID": "d1", "Code": "610", "Name": "Accounts Receivable", "Type": "CURRENT", "Status": "ACTIVE",
     "SystemAccount": "DEBTORS"},
    {"AccountID": "r1", "Code": "860", "Name": "Rounding", "Type": "CURRLIAB", "Status": "ACTIVE",
     "SystemAccount": "ROUNDING"},
]  # fmt: skip


def make_config(**overrides: object) -> XeroConfig:
    values: dict[str, object] = {
        "api_base": API_BASE,
        "connections_url": "https://api.xero.test/connections",
        "authorize_url": "https://login.xero.test/identity/connect/authorize",
        "token_url": "https://identity.xero.test/connect/token",
        "revoke_url": "https://identity.xero.test/connect/revocation",
        "client_id": "client-abc",
        "client_secret": SecretStr("client-SECRET-xyz"),
        "redirect_uri": "http://127.0.0.1:8000/callback",
        "scopes": "offline_access accounting.contacts accounting.settings accounting.transactions",
    }
    values.update(overrides)
    return XeroConfig(**values)  # type: ignore[arg-type]


def xero_answer(collection: str, docs: list[dict[str, Any]], status: int = 200, **headers: str) -> httpx.Response:
    body = {"Id": "e0b4", "Status": "OK", "ProviderName": "Test", "DateTimeUTC": "/Date(1)/", collection: docs}
    return httpx.Response(status, content=dumps(body).encode(), headers={"Content-Type": "application/json", **headers})


def body_of(request: httpx.Request) -> Any:
    return loads(request.content)


class Harness(RecordingHarness):
    """A connector wired to `handler`, with every request and every sleep recorded."""

    connector: XeroConnector

    def __init__(self, handler: Handler, **config: object) -> None:
        super().__init__(handler)
        self.connector = XeroConnector(
            make_config(**config), TENANT, self.tokens, http=self.http, sleep=self.sleep, monotonic=self.monotonic
        )

    def writes(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.method in ("PUT", "POST")]


@pytest.fixture
def harness_for() -> Iterator[Callable[..., Harness]]:
    yield from closing_harnesses(Harness)


def customer(source_id: int = 1, name: str = "Acme Ltd") -> CustomerRecord:
    return full_customer(source_id, name, address=Address("1 Main St", "Toronto", "ON", "M5V 2T6", "CA"))


def item(source_id: int = 1, name: str = "Gutter cleaning") -> ItemRecord:
    return ItemRecord(source_id, name, "Two storeys", Decimal("120.00"), INCOME_ID)


def invoice(
    source_id: int = 1, number: str = "INV-1001", lines: tuple[InvoiceLineRecord, ...] | None = None
) -> InvoiceRecord:
    """Two lines at two tax rates (5% OUTPUT and 13% TAX001), totals as Service Opus computes them."""
    lines = lines or (
        InvoiceLineRecord(
            "SO-I11", "Gutters", Decimal("2"), Decimal("50.00"), Decimal("100.00"), "OUTPUT", Decimal("5.00")
        ),
        InvoiceLineRecord(
            "SO-I12", "Windows", Decimal("1.5"), Decimal("40.10"), Decimal("60.15"), "TAX001", Decimal("7.82")
        ),
    )
    rates = {"OUTPUT": Decimal("5"), "TAX001": Decimal("13")}
    taxes: dict[str, list[Decimal]] = {}
    for line in lines:
        taxes.setdefault(line.tax_code_ref, [Decimal("0.00"), Decimal("0.00")])
        taxes[line.tax_code_ref][0] += line.amount
        taxes[line.tax_code_ref][1] += line.tax_amount
    tax_lines = tuple(TaxLineRecord(code, code, rates[code], net, tax) for code, (net, tax) in sorted(taxes.items()))
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    total_tax = sum((line.tax_amount for line in lines), Decimal("0.00"))
    return InvoiceRecord(
        source_id, number, "c0ffee00-0000-0000-0000-000000000001", date(2026, 3, 1), date(2026, 3, 31), "CAD",
        lines, tax_lines, subtotal, total_tax, subtotal + total_tax,
    )  # fmt: skip


def payment(source_id: int = 1, amount: str = "172.97") -> PaymentRecord:
    return PaymentRecord(
        source_id, "1f2e3d4c-0000-0000-0000-000000000009", "c0ffee00-0000-0000-0000-000000000001",
        Decimal(amount), date(2026, 3, 15), "card", CLEARING_ID,
    )  # fmt: skip
