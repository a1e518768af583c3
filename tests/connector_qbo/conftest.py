"""Shared fixtures: a config, connectors over MockTransport (harness and FakeTokens: `tests.connector_support`)."""

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal

import pytest
from pydantic import SecretStr

from ledger_sync.connectors.qbo import QboConfig, QboConnector
from ledger_sync.connectors.qbo.tax_model import QboTaxModel
from ledger_sync.core.ledger import LedgerTaxRate
from ledger_sync.core.money import line_amounts
from ledger_sync.core.records import (
    Address,
    CustomerRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)
from tests.connector_support import Handler, RecordingHarness, closing_harnesses, discounted_record, full_customer

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


class Harness(RecordingHarness):
    """A connector wired to `handler`, with every request and every backoff sleep recorded."""

    connector: QboConnector

    def __init__(self, handler: Handler, tax_model: QboTaxModel | None = QboTaxModel.NON_US, **config: object) -> None:
        """`tax_model` None: the connector reads it from `handler`'s CompanyInfo and Preferences."""
        super().__init__(handler)
        self.connector = self.open(tax_model=tax_model, **config)

    def open(
        self, realm: str = REALM, *, tax_model: QboTaxModel | None = None, read_ahead: bool = False, **config: object
    ) -> QboConnector:
        """A connector on this harness's transport and clock (`connector` is one; a test may open more)."""
        return QboConnector(
            make_config(**config),
            realm,
            self.tokens,
            http=self.http,
            sleep=self.sleep,
            monotonic=self.monotonic,
            tax_model=tax_model,
            read_ahead=read_ahead,
        )


@pytest.fixture
def harness_for() -> Iterator[Callable[..., Harness]]:
    yield from closing_harnesses(Harness)


def fault(code: str, message: str, fault_type: str = "ValidationFault", detail: str = "") -> dict[str, object]:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail or message, "code": code}], "type": fault_type}}


def customer(source_id: int = 1, name: str = "Acme Ltd") -> CustomerRecord:
    return full_customer(source_id, name, address=Address("1 Main St", "Springfield", "CA", "90210", "US"))


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


def us_invoice(code: str = "3", source_id: int = 1, customer_ref: str = "58", item_ref: str = "11") -> InvoiceRecord:
    """A taxable line at `code` (8.25 %, taxed per line as Service Opus does) and an untaxed one."""
    taxable = line_amounts(Decimal("3"), Decimal("33.35"), Decimal("8.25"), False)
    lines = (
        InvoiceLineRecord(item_ref, "Parts", Decimal("3"), Decimal("33.35"), taxable.net, code, taxable.tax),
        InvoiceLineRecord(item_ref, "Labor", Decimal("1"), Decimal("80.00"), Decimal("80.00"), "NON", Decimal("0.00")),
    )
    subtotal = taxable.net + Decimal("80.00")
    return InvoiceRecord(
        source_id=source_id,
        number=f"US-{source_id}",
        customer_ref=customer_ref,
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 31),
        currency="USD",
        lines=lines,
        tax_lines=(),
        subtotal=subtotal,
        total_tax=taxable.tax,
        total=subtotal + taxable.tax,
    )


HST_ON = LedgerTaxRate("7", "HST ON", Decimal("13"), True, "17")
GST = LedgerTaxRate("5", "GST", Decimal("5"), True, "15")


def discounted_invoice(taxed: LedgerTaxRate = HST_ON, other: LedgerTaxRate = GST, source_id: int = 1) -> InvoiceRecord:
    """Credit lines and a 10 % invoice discount (`tests.connector_support.discounted_record`)."""
    return discounted_record(taxed, other, source_id, customer_ref="58", item_ref="11", discount_account="79")


def saved_invoice(ledger_id: str, sync_token: str, record: InvoiceRecord | None = None) -> dict[str, object]:
    """What QBO answers for a saved invoice: its Id and SyncToken with the tax and total it holds."""
    record = record or invoice()
    return {
        "Id": ledger_id,
        "SyncToken": sync_token,
        "TotalAmt": str(record.total),
        "TxnTaxDetail": {"TotalTax": str(record.total_tax)},
    }


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
