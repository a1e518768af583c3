"""Acceptance of the walking skeleton: locked invoices and collected payments land in QBO exactly once."""

from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment, PaymentStatus
from ledger_sync.core.transform import total_due
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from ledger_sync.status import company_status
from tests.stack import Stack


@pytest.fixture(scope="module")
def first_run(stack: Stack) -> dict[str, object]:
    return sync_company(company_id=stack.company_id, ledger="qbo")


def _source(stack: Stack) -> tuple[list[Invoice], list[Payment], ServiceOpusSource]:
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session:
        invoices = list(session.scalars(select(Invoice).where(Invoice.company_id == stack.company_id)))
        payments = list(session.scalars(select(Payment).where(Payment.company_id == stack.company_id)))
        for invoice in invoices:
            _ = invoice.lines
    return invoices, payments, ServiceOpusSource(engine)


def test_every_locked_invoice_is_in_the_ledger_once_with_equal_totals(stack: Stack, first_run: dict) -> None:
    assert first_run["outcome"] == "completed"
    invoices, _, source = _source(stack)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    parked = {source_id for kind, source_id, _ in stack.store.parked_list(1) if kind == "invoice"}
    ledger = stack.ledger_entities("Invoice")
    numbers = Counter(i["DocNumber"] for i in ledger)
    assert all(count == 1 for count in numbers.values()), "an invoice was written twice"
    by_number = {i["DocNumber"]: i for i in ledger}
    expected = [i for i in invoices if i.status == InvoiceStatus.LOCKED and i.id not in parked]
    assert {i.number for i in expected} == set(by_number)
    snapshots = {s.id: s for s in source.invoices(stack.company_id, after=None, limit=0, ids=[i.id for i in expected])}
    for invoice in expected:
        pushed = by_number[invoice.number]
        assert Decimal(str(pushed["TotalAmt"])) == total_due(snapshots[invoice.id], rates), invoice.number
        assert len([ln for ln in pushed["Line"] if ln.get("DetailType") == "SalesItemLineDetail"]) == len(invoice.lines)
    not_pushed = {i.number for i in invoices if i.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)}
    assert not not_pushed & set(by_number), "a draft or void reached the ledger"


def test_every_collected_payment_is_in_the_ledger_once(stack: Stack, first_run: dict) -> None:
    _, payments, _ = _source(stack)
    collected = [p for p in payments if p.status == PaymentStatus.COLLECTED]
    parked = {source_id for kind, source_id, _ in stack.store.parked_list(1) if kind == "payment"}
    ledger = stack.ledger_entities("Payment")
    refs = Counter(p["PaymentRefNum"] for p in ledger)
    assert all(count == 1 for count in refs.values()), "a payment was written twice"
    amounts = {p["PaymentRefNum"]: Decimal(str(p["TotalAmt"])) for p in ledger}
    expected = {f"SO-P{p.id}": Decimal(p.amount).quantize(Decimal("0.01")) for p in collected if p.id not in parked}
    assert amounts == expected


def test_every_parked_record_has_a_reason(stack: Stack, first_run: dict) -> None:
    parked = stack.store.parked_list(1)
    reasons = {kind: reason for kind, _, reason in parked}
    assert "':'" in reasons["customer"] or ":" in reasons["customer"]
    assert "negative" in " ".join(r for k, _, r in parked if k == "invoice")
    assert any("Waiting for customer 'Harbour Dental: Head Office'" in r for _, _, r in parked)
    assert all(reason.strip() for _, _, reason in parked)
    status = company_status(stack.settings, stack.store, 1, "qbo")
    for counts in status["entities"].values():  # type: ignore[union-attr]
        assert counts["pending"] == 0
        assert counts["synced"] + counts["parked"] == counts["source"]


def test_a_second_run_writes_nothing(stack: Stack, first_run: dict) -> None:
    before = company_status(stack.settings, stack.store, 1, "qbo")
    mark = stack.last_request_id()
    second = sync_company(company_id=stack.company_id, ledger="qbo")
    assert stack.writes_since(mark) == []
    assert company_status(stack.settings, stack.store, 1, "qbo") == before
    entities = second["entities"]
    assert all(c["created"] == 0 and c["updated"] == 0 for c in entities.values())  # type: ignore[union-attr]


def test_unmapping_a_tax_rate_stops_the_run_at_the_gate_naming_it(stack: Stack, first_run: dict) -> None:
    from ledger_sync.onboarding import apply_suggested_mapping

    connection = stack.store.connection(1, "qbo")
    assert connection is not None
    _, _, source = _source(stack)
    hst = next(r for r in source.tax_rates(1) if r.name.startswith("HST"))
    stack.store.unmap_tax_rate(connection.id, hst.id)
    mark = stack.last_request_id()
    try:
        summary = sync_company(company_id=1, ledger="qbo")
    finally:
        apply_suggested_mapping(stack.settings, stack.store, 1, "qbo")
    assert summary["outcome"] == "stopped_at_gate"
    assert any(hst.name in failure for failure in summary["gate_failures"])  # type: ignore[union-attr]
    assert stack.writes_since(mark) == []
    assert summary["report"] and summary["report"].endswith(".html")  # type: ignore[union-attr]
