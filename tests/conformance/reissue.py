"""Conformance: a correction the ledger refuses is made by a credit note and a new invoice, equal to the cent.

Driven through the write engine (`engine.reissue`) against the ledger's own connector, as a sync makes it: the
invoice and a partial payment are synced, then the ledger stops taking edits of the invoice (its books closed
through the invoice's date where the harness can close them: memory, QBO's closing date, Xero's period lock date
(where the payment locks it already); else the ledger must refuse to edit a paid invoice), and the relocked
invoice is written.
"""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger_sync.core.records import EntityType, InvoiceRecord, PaymentRecord
from ledger_sync.core.reissue import reversal_of
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.push import Tenant, WriteEngine
from ledger_sync.engine.stats import Tally
from tests.engine.fakes import MemoryState

if TYPE_CHECKING:
    from tests.conformance.suite import LedgerHarness

CORRECTED_ON = datetime(2026, 4, 15, 9, 0, tzinfo=UTC)
CLOSED_THROUGH = date(2026, 3, 31)


class ReissueScenarios:
    """A mixin of `LedgerConformance`."""

    def test_a_correction_the_ledger_refuses_is_made_by_a_credit_note_and_a_new_invoice_equal_to_the_cent(
        self, ledger_harness: "LedgerHarness", parties: tuple[str, str]
    ) -> None:
        from tests.conformance.suite import GST, HST, _invoice, _line

        harness, connector = ledger_harness, ledger_harness.connector
        customer_ref, _ = parties
        plugin = harness.plugin
        state = MemoryState()

        def engine() -> WriteEngine:
            tenant = Tenant(plugin.name, "conformance", plugin.label)
            return WriteEngine(state, connector, tenant, clock=lambda: CORRECTED_ON)

        held = _invoice(harness, *parties, [_line("2", "95.00", GST), _line("1", "40.00", HST)])
        engine().push(EntityType.INVOICE, [Push(held, 1)])
        held_id = state.entity_map[EntityType.INVOICE][held.source_id].ledger_id
        deposit = harness.account("undeposited_funds").id
        paid = Decimal("50.00")
        payment = PaymentRecord(harness.next_id(), held_id, customer_ref, paid, date(2026, 3, 9), "card", deposit)
        engine().push(EntityType.PAYMENT, [Push(payment, 1)])
        assert harness.close_books is not None or not harness.edits_paid_invoices, "nothing makes the ledger refuse"
        if harness.close_books is not None:
            harness.close_books(CLOSED_THROUGH)
        try:
            lines = [_line("2", "95.00", GST), _line("3", "40.00", HST), _line("1", "12.35", GST)]
            corrected = _invoice(harness, *parties, lines, source_id=held.source_id)
            run = engine()
            run.push(EntityType.INVOICE, [Push(corrected, 2)])
            assert run.stats.count(Tally.UPDATED, EntityType.INVOICE) == 1, (run.stats, state.parkings)
            assert not state.pending[EntityType.INVOICE] and not state.parkings[EntityType.INVOICE]
            new_id = state.entity_map[EntityType.INVOICE][held.source_id].ledger_id
            assert new_id != held_id
            _assert_reissued(harness, held, corrected, held_id, new_id, paid)
            calls = connector.calls
            engine().push(EntityType.INVOICE, [Push(corrected, 2)])
            assert connector.calls == calls, "a re-run writes (and reads) nothing"
        finally:
            if harness.close_books is not None:
                harness.close_books(None)


def _assert_reissued(
    harness: "LedgerHarness", held: InvoiceRecord, corrected: InvoiceRecord, held_id: str, new_id: str, paid: Decimal
) -> None:
    """Read back through the protocol: the old invoice closed, the credit note spent, the new invoice open for the
    corrected total less the payment; the customer's open balance, revenue and tax are Service Opus's."""
    connector = harness.connector
    reversal = reversal_of(held, CORRECTED_ON.date())
    replacement = replace(corrected, number=f"{corrected.number}-R1", reissue=1)
    (old,) = connector.read_back(EntityType.INVOICE, [held])[held.source_id]
    (new,) = connector.read_back(EntityType.INVOICE, [replacement])[held.source_id]
    (note,) = connector.read_back(EntityType.CREDIT_NOTE, [reversal])[held.source_id]
    assert (old.ledger_id, old.present, old.amount, old.balance) == (held_id, True, held.total, Decimal("0.00"))
    assert (new.ledger_id, new.present, new.amount, new.tax) == (new_id, True, corrected.total, corrected.total_tax)
    assert new.balance == corrected.total - paid, "the new invoice is open for what Service Opus says is owed"
    assert (note.present, note.amount, note.tax, note.balance) == (True, held.total, held.total_tax, Decimal("0.00"))
    snapshots = (old, new)
    balance = sum((s.balance or 0 for s in snapshots), Decimal("0.00")) - (note.balance or 0)
    revenue = sum((s.amount - (s.tax or 0) for s in snapshots), Decimal("0.00")) - (note.amount - (note.tax or 0))
    tax = sum((s.tax or 0 for s in snapshots), Decimal("0.00")) - (note.tax or 0)
    assert (balance, revenue, tax) == (corrected.total - paid, corrected.subtotal, corrected.total_tax)
    assert harness.invoice_amounts(held_id) == (held.total, Decimal("0.00"))
    assert harness.invoice_amounts(new_id) == (corrected.total, corrected.total - paid)
