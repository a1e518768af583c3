"""Xero credit undone, crash-safe: an invoice paid by an overpayment voided, and a deposit applied to an invoice then
charged back, each interrupted after Xero removed the allocation but before the answer came back (as after a crash:
the re-run comes with a new idempotency key). The re-run finishes the job and doubles nothing: the overpayment goes
with its voided invoice (Service Opus books no payment of a voided invoice), its money out of the bank account; the
charged-back deposit leaves the bank account and its invoice is open again."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError, LedgerRef, WriteOp
from ledger_sync.core.records import EntityType, PaymentRecord
from tests.conformance import suite
from tests.conformance.sandbox_harness import sandbox_harness

pytestmark = pytest.mark.slow


@pytest.fixture
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[suite.LedgerHarness]:
    with sandbox_harness("xero", tmp_path_factory.mktemp("xero-credit-undone")) as harness:
        yield harness


def _crash_after_deallocating(harness: suite.LedgerHarness, monkeypatch: pytest.MonkeyPatch, op: WriteOp) -> None:
    """Write `op` with each allocation's deletion done by Xero but its answer lost: the write fails."""
    client = harness.connector._client  # type: ignore[attr-defined]
    real = client.write

    def lose_deallocation_answer(method: str, path: str, *rest: Any) -> Any:
        answer = real(method, path, *rest)
        if method == "DELETE" and "/Allocations/" in path:
            raise LedgerError(ErrorKind.UNAVAILABLE, "the connection dropped before Xero's answer")
        return answer

    monkeypatch.setattr(client, "write", lose_deallocation_answer)
    with pytest.raises(LedgerError):
        harness.connector.write(op.record.entity_type, [op])
    monkeypatch.setattr(client, "write", real)


def _bank_balance(harness: suite.LedgerHarness) -> Decimal:
    bank = harness.account("bank").id
    return harness.connector.account_balances([bank]).get(bank, Decimal("0.00"))


def test_an_invoice_paid_by_an_overpayment_is_voided_after_a_crash_and_the_overpayment_goes_with_it(
    harness: suite.LedgerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_ref = suite._created(harness, suite._customer(harness))
    item_ref = suite._created(harness, suite._item(harness))
    invoice = suite._invoice(harness, customer_ref, item_ref, [suite._line("1", "150.00", suite.GST)])
    invoice_ref = suite._created(harness, invoice)
    over = PaymentRecord(
        harness.next_id(),
        invoice_ref,
        customer_ref,
        invoice.total + Decimal("25.00"),
        date(2026, 3, 9),
        "check",
        harness.account("bank").id,
        "1017",
        applied=invoice.total,
    )
    before = _bank_balance(harness)
    suite._written(harness, over)
    voided = replace(invoice, voided=True)

    _crash_after_deallocating(harness, monkeypatch, WriteOp(voided, "first-attempt", LedgerRef(invoice_ref)))
    (outcome,) = harness.connector.write(
        EntityType.INVOICE, [WriteOp(voided, "after-the-crash", LedgerRef(invoice_ref))]
    )
    assert outcome.ref is not None and outcome.ref.id == invoice_ref, outcome.error

    assert harness.connector.read("Invoices", invoice_ref)["Status"] == "VOIDED"
    assert not any(
        held.present for held in harness.connector.read_back(EntityType.PAYMENT, [over]).get(over.source_id, [])
    )
    assert harness.connector.find_by_external_id(EntityType.PAYMENT, [over]) == {}
    assert _bank_balance(harness) == before
    (again,) = harness.connector.write(EntityType.INVOICE, [WriteOp(voided, "once-more", LedgerRef(invoice_ref))])
    assert again.ref is not None and again.ref.id == invoice_ref, again.error


def test_a_deposit_applied_then_charged_back_is_taken_out_after_a_crash(
    harness: suite.LedgerHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_ref = suite._created(harness, suite._customer(harness))
    item_ref = suite._created(harness, suite._item(harness))
    before = _bank_balance(harness)
    deposit = PaymentRecord(
        harness.next_id(), "", customer_ref, Decimal("100.00"), date(2026, 3, 1), "card", harness.account("bank").id
    )
    held = suite._written(harness, deposit)
    invoice = suite._invoice(harness, customer_ref, item_ref, [suite._line("2", "95.00", suite.GST)])
    invoice_ref = suite._created(harness, invoice)
    applied = replace(deposit, invoice_ref=invoice_ref)
    suite._written(harness, applied, held)
    assert harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total - deposit.amount)
    assert _bank_balance(harness) == before + deposit.amount
    charged_back = replace(applied, reversed=True)

    _crash_after_deallocating(harness, monkeypatch, WriteOp(charged_back, "first-attempt", held))
    for attempt in ("after-the-crash", "once-more"):
        (outcome,) = harness.connector.write(EntityType.PAYMENT, [WriteOp(charged_back, attempt, held)])
        assert outcome.ref == held, outcome.error

    assert harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total)
    assert _bank_balance(harness) == before
    assert harness.connector.find_by_external_id(EntityType.PAYMENT, [deposit]) == {}
    prepayment = harness.connector.read("Prepayments", held.id)
    assert (prepayment["Status"], prepayment["RemainingCredit"]) == ("VOIDED", 0)
