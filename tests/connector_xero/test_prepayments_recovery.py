"""A Xero overpayment whose allocation was made but whose answer was lost: the re-run (a new idempotency key, as
after a crash) finds the overpayment by its stamp and its allocation, and writes nothing twice."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError, WriteOp
from ledger_sync.core.records import EntityType, PaymentRecord
from tests.conformance import suite
from tests.conformance.sandbox_harness import sandbox_harness

pytestmark = pytest.mark.slow


def test_a_lost_allocation_answer_is_recovered_by_the_rerun_without_a_second_credit(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sandbox_harness("xero", tmp_path_factory.mktemp("xero-prepayments")) as harness:
        customer_ref = suite._created(harness, suite._customer(harness))
        item_ref = suite._created(harness, suite._item(harness))
        invoice = suite._invoice(harness, customer_ref, item_ref, [suite._line("1", "150.00", suite.GST)])
        invoice_ref = suite._created(harness, invoice)
        bank = harness.account("bank").id
        over = PaymentRecord(
            harness.next_id(),
            invoice_ref,
            customer_ref,
            invoice.total + Decimal("25.00"),
            date(2026, 3, 9),
            "check",
            bank,
            "1017",
            applied=invoice.total,
        )
        client = harness.connector._client  # type: ignore[attr-defined]
        real = client.write

        def lose_allocation_answer(method: str, path: str, *rest: Any) -> Any:
            answer = real(method, path, *rest)
            if path.endswith("/Allocations"):
                raise LedgerError(ErrorKind.UNAVAILABLE, "the connection dropped before Xero's answer")
            return answer

        monkeypatch.setattr(client, "write", lose_allocation_answer)
        with pytest.raises(LedgerError):
            harness.connector.write(EntityType.PAYMENT, [WriteOp(over, "first-attempt")])
        monkeypatch.setattr(client, "write", real)
        assert harness.invoice_amounts(invoice_ref) == (invoice.total, Decimal("0.00"))

        (outcome,) = harness.connector.write(EntityType.PAYMENT, [WriteOp(over, "after-the-crash")])
        assert outcome.ref is not None, outcome.error
        (held,) = harness.connector.read_back(EntityType.PAYMENT, [over])[over.source_id]
        assert (held.ledger_id, held.amount, held.balance) == (outcome.ref.id, over.amount, Decimal("25.00"))
        assert harness.invoice_amounts(invoice_ref) == (invoice.total, Decimal("0.00"))
