"""Issue 13's leftovers, for every ledger: credit taken from a customer and then undone. An invoice paid by a deposit
(applied after the invoice was raised) and another paid by an overpayment are voided in Service Opus: the ledger
voids each after taking off what the credit applied to it (Xero refuses to void an invoice a prepayment or
overpayment is allocated to), and the payments go with them. A deposit not applied yet, then charged back: the
ledger takes it out, so the customer holds no credit from it. A tipped payment charged back takes its tip's document
out too. A chargeback after a partial refund leaves the refund and counts the payment out once. Each step sent again
(a re-run after an unknown outcome) changes nothing and is no error. Helpers are the suite's own (read through the
module, which imports this mixin while it is still being defined)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.bank_balances import routed
from ledger_sync.core.ledger import LedgerRef
from ledger_sync.core.records import EntityType, PaymentRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceRefund
from tests.conformance import suite


class CreditUndone:
    """Mixed into `suite.LedgerConformance`."""

    def test_invoices_paid_by_a_deposit_and_an_overpayment_are_voided_and_the_credit_stays_the_customers(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A deposit of 100.00 is applied to an invoice raised after it; another invoice is paid 25.00 over its
        total. Both invoices are voided (twice each): nothing is open on them and neither counts in the customer's
        books, and neither payment is found any more (Service Opus books no payment of a voided invoice: QBO voids
        them, Xero deletes the allocation, then the prepayment's or overpayment's bank transaction)."""
        harness = ledger_harness
        _, item_ref = parties
        customer_ref = suite._created(harness, suite._customer(harness, f"Undone Customer {harness.next_id()}"))
        who = (customer_ref, item_ref)
        bank = harness.account("bank").id
        deposit = PaymentRecord(
            harness.next_id(), "", customer_ref, Decimal("100.00"), date(2026, 5, 1), "card", bank, "4242"
        )
        held = suite._written(harness, deposit)
        deposited = suite._invoice(harness, *who, [suite._line("2", "95.00", suite.GST)])
        deposited_ref = suite._created(harness, deposited)
        applied = replace(deposit, invoice_ref=deposited_ref)
        suite._written(harness, applied, held)
        overpaid = suite._invoice(harness, *who, [suite._line("1", "150.00", suite.GST)])
        overpaid_ref = suite._created(harness, overpaid)
        over = PaymentRecord(
            harness.next_id(),
            overpaid_ref,
            customer_ref,
            overpaid.total + Decimal("25.00"),
            date(2026, 5, 3),
            "check",
            bank,
            "1017",
            applied=overpaid.total,
        )
        suite._written(harness, over)
        books = suite._OpusBooks()
        books.invoices = {deposited.source_id: deposited, overpaid.source_id: overpaid}
        books.paid = {deposited.source_id: applied.amount, overpaid.source_id: overpaid.total}
        suite._assert_books_equal(harness, books, "paid by a deposit and an overpayment")

        for invoice, invoice_ref in ((deposited, deposited_ref), (overpaid, overpaid_ref)):
            for _ in range(2):
                suite._written(harness, replace(invoice, voided=True), LedgerRef(invoice_ref))
            books.void.add(invoice.source_id)
            assert harness.invoice_amounts(invoice_ref)[1] == Decimal("0.00")
        suite._assert_books_equal(harness, books, "both invoices voided")
        assert harness.connector.find_by_external_id(EntityType.PAYMENT, [applied, over]) == {}

    def test_a_voided_invoice_takes_out_the_payments_it_names_wherever_the_ledger_holds_them(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A deposit of 60.00 is in the ledger as the customer's credit; Service Opus applied it to an invoice and
        voided that invoice before the application was sent. The invoice's void names the deposit
        (`InvoiceRecord.removes_payments`, as a void names every payment of the invoice the ledger may hold): the
        void (sent twice) takes the deposit out too, though the ledger never applied it to the invoice. Another
        deposit of the customer's, which the void does not name, stays as it was."""
        harness = ledger_harness
        customer_ref = suite._created(harness, suite._customer(harness, f"Voided Apart {harness.next_id()}"))
        _, item_ref = parties
        bank = harness.account("bank").id
        named, kept = (
            PaymentRecord(harness.next_id(), "", customer_ref, amount, date(2026, 5, 5), "card", bank, "4242")
            for amount in (Decimal("60.00"), Decimal("35.00"))
        )
        held = {payment.source_id: suite._written(harness, payment) for payment in (named, kept)}
        invoice = suite._invoice(harness, customer_ref, item_ref, [suite._line("1", "80.00", suite.GST)])
        invoice_ref = suite._created(harness, invoice)
        voided = replace(invoice, voided=True, removes_payments=(named.source_id,))
        for _ in range(2):
            suite._written(harness, voided, LedgerRef(invoice_ref))
        _only_kept_deposit_held(harness, named, kept, held[kept.source_id])
        assert harness.invoice_amounts(invoice_ref)[1] == Decimal("0.00")

    def test_a_deposit_charged_back_before_it_is_applied_leaves_no_credit(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A deposit of 80.00 is synced, then charged back (sent twice): the ledger holds it no more, it is not
        found by its stamp, and a deposit of the customer's that stands is untouched."""
        harness = ledger_harness
        customer_ref = suite._created(harness, suite._customer(harness, f"Charged Back {harness.next_id()}"))
        bank = harness.account("bank").id
        charged, kept = (
            PaymentRecord(harness.next_id(), "", customer_ref, amount, date(2026, 5, 4), "card", bank, "4242")
            for amount in (Decimal("80.00"), Decimal("30.00"))
        )
        held = {payment.source_id: suite._written(harness, payment) for payment in (charged, kept)}
        for _ in range(2):
            suite._written(harness, replace(charged, reversed=True), held[charged.source_id])
        _only_kept_deposit_held(harness, charged, kept, held[kept.source_id])

    def test_a_charged_back_payment_takes_its_tip_out_and_the_bank_balance_back(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A card payment of 105.00 with a tip of 12.40, both into the bank account, is charged back: the payment
        and the tip's document are taken out (each sent twice), neither is found by its stamp any more, the invoice
        is open again and the bank account holds what it held before either."""
        from tests.conformance.money_in_and_out import _paid_invoice, _tip

        harness = ledger_harness
        bank = harness.account("bank").id
        before = harness.connector.account_balances([bank]).get(bank, Decimal("0.00"))
        payment = _paid_invoice(harness, parties)
        tip = _tip(harness, payment, "12.40")
        (paid,) = harness.connector.find_by_external_id(EntityType.PAYMENT, [payment]).values()
        held = {EntityType.PAYMENT: paid, EntityType.TIP: suite._written(harness, tip)}
        tipped = harness.connector.account_balances([bank])[bank]
        assert tipped == before + payment.amount + tip.amount
        for record in (replace(payment, reversed=True), replace(tip, reversed=True)):
            for _ in range(2):
                suite._written(harness, record, held[record.entity_type])
        connector = harness.connector
        assert connector.find_by_external_id(EntityType.PAYMENT, [payment]) == {}
        assert connector.find_by_external_id(EntityType.TIP, [tip]) == {}
        assert not any(found.present for found in connector.read_back(EntityType.TIP, [tip]).get(tip.source_id, []))
        assert harness.invoice_amounts(payment.invoice_ref) == (payment.amount, payment.amount)
        assert connector.account_balances([bank]).get(bank, Decimal("0.00")) == before

    def test_a_chargeback_after_a_partial_refund_keeps_the_refund_and_counts_the_payment_out_once(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """An invoice of 105.00 paid by card into the bank account, 40.00 of it refunded, then the payment charged
        back (sent twice). Service Opus: the refund stands (the customer was paid back on purpose), the payment's
        money is gone again and the invoice open again for its whole total. The ledger holds the refund once, the
        payment no more; the bank account moved by exactly what Service Opus's records route there
        (`core.bank_balances.routed`: the refund out, the reversed payment nothing), and the invoice is open for its
        total: nothing counted twice."""
        harness = ledger_harness
        customer_ref, _ = parties
        bank = harness.account("bank").id
        before = harness.connector.account_balances([bank]).get(bank, Decimal("0.00"))
        invoice = suite._invoice(harness, *parties, [suite._line("1", "100.00", suite.GST)])
        invoice_ref = suite._created(harness, invoice)
        payment = PaymentRecord(
            harness.next_id(), invoice_ref, customer_ref, invoice.total, date(2026, 5, 6), "card", bank, "4242"
        )
        paid = suite._written(harness, payment)
        refund = refund_record(
            SourceRefund(harness.next_id(), payment.source_id, Decimal("40.00"), date(2026, 5, 8), "Part returned"),
            invoice,
            payment_number=payment.source_id,
            deposit_account_ref=bank,
        )
        suite._written(harness, refund)
        charged_back = replace(payment, reversed=True)
        for _ in range(2):
            suite._written(harness, charged_back, paid)

        connector = harness.connector
        assert connector.find_by_external_id(EntityType.PAYMENT, [payment]) == {}
        (kept,) = connector.read_back(EntityType.REFUND, [refund])[refund.source_id]
        assert kept.present and kept.amount == refund.total
        assert harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total)
        moved = routed([charged_back, refund])[bank]
        assert moved == -refund.total
        assert connector.account_balances([bank])[bank] == before + moved


def _only_kept_deposit_held(
    harness: "suite.LedgerHarness", gone: PaymentRecord, kept: PaymentRecord, kept_ref: LedgerRef
) -> None:
    """The ledger no longer holds the `gone` deposit (not found by its stamp, nothing of it present) and still holds
    the `kept` one, all of it the customer's credit."""
    connector = harness.connector
    assert connector.find_by_external_id(EntityType.PAYMENT, [gone, kept]) == {kept.source_id: kept_ref}
    read = connector.read_back(EntityType.PAYMENT, [gone, kept])
    assert not any(snapshot.present for snapshot in read.get(gone.source_id, []))
    assert [(s.amount, s.balance) for s in read[kept.source_id] if s.present] == [(kept.amount, kept.amount)]
