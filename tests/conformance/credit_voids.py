"""Conformance: a credit note voided in Service Opus after it synced is voided in the ledger (QBO, which voids no
CreditMemo through its API: deleted), after the credit applied from it is removed, so the invoice it credited is
open again for its whole total; an invoice below zero (in the ledger as a credit note) voided likewise. Sending
the same void again (a re-run after an unknown outcome) changes nothing and is no error."""

from dataclasses import replace
from typing import TYPE_CHECKING

from ledger_sync.core.records import CreditNoteRecord, EntityType, LedgerRecord
from ledger_sync.core.transform import credit_application_record

if TYPE_CHECKING:
    from tests.conformance.suite import LedgerHarness


class CreditVoidScenarios:
    """A mixin of `LedgerConformance`."""

    def test_a_voided_credit_note_is_voided_in_the_ledger_and_its_invoice_is_open_again(
        self, ledger_harness: "LedgerHarness", parties: tuple[str, str]
    ) -> None:
        from tests.conformance.suite import GST, HST, _created, _credit_note, _invoice, _line

        invoice = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST), _line("1", "40.00", HST)])
        invoice_ref = _created(ledger_harness, invoice)
        note = _credit_note(ledger_harness, *parties, [_line("1", "40.00", HST)])
        note_ref = _created(ledger_harness, note)
        _created(ledger_harness, credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref))
        assert ledger_harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total - note.total)
        _void_twice(ledger_harness, replace(note, voided=True), note_ref)
        assert ledger_harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total)
        held = ledger_harness.connector.read_back(EntityType.CREDIT_NOTE, [note]).get(note.source_id, [])
        assert not any(snapshot.present for snapshot in held), held

    def test_a_voided_invoice_a_credit_note_was_applied_to_gives_the_credit_back_to_the_note(
        self, ledger_harness: "LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """Neither ledger voids an invoice with credit applied (Xero: "a payment or credit note allocated"): the
        application is removed first, and the note holds its whole credit again, as the customer's."""
        from tests.conformance.suite import GST, _created, _credit_note, _invoice, _line

        invoice = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST)])
        invoice_ref = _created(ledger_harness, invoice)
        note = _credit_note(ledger_harness, *parties, [_line("1", "20.00", GST)])
        note_ref = _created(ledger_harness, note)
        _created(ledger_harness, credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref))
        _void_twice(ledger_harness, replace(invoice, voided=True), invoice_ref)
        (held,) = ledger_harness.connector.read_back(EntityType.CREDIT_NOTE, [note])[note.source_id]
        assert held.present and held.balance == note.total

    def test_a_voided_invoice_below_zero_voids_its_credit_note(
        self, ledger_harness: "LedgerHarness", parties: tuple[str, str]
    ) -> None:
        from tests.conformance.suite import GST, _created, _document, _line

        record = _document(ledger_harness, *parties, [_line("1", "40.00", GST), _line("-1", "52.00", GST)])
        assert isinstance(record, CreditNoteRecord)
        ledger_id = _created(ledger_harness, record)
        _void_twice(ledger_harness, replace(record, voided=True), ledger_id)
        held = ledger_harness.connector.read_back(EntityType.INVOICE, [record]).get(record.source_id, [])
        assert not any(snapshot.present for snapshot in held), held


def _void_twice(harness: "LedgerHarness", voided: LedgerRecord, ledger_id: str) -> None:
    """The void, sent twice; afterwards the record is not found by its stamp."""
    from tests.conformance.suite import _op

    connector = harness.connector
    (existing,) = connector.find_by_external_id(voided.entity_type, [voided]).values()
    assert existing.id == ledger_id
    for _ in range(2):
        (outcome,) = connector.write(voided.entity_type, [_op(voided, existing)])
        assert outcome.error is None and outcome.ref is not None and outcome.ref.id == ledger_id, outcome
    assert connector.find_by_external_id(voided.entity_type, [voided]) == {}
