"""Issue 13's reversals, for every ledger: a card payment charged back and a check that bounced, after they were
synced. The sync sends each as an update of the synced payment carrying `reversed` (`WriteOp.voids`): the ledger
takes the payment out (QBO voids it, Xero deletes it) and reopens its invoice. Helpers are the suite's own (read
through the module, which imports this mixin while it is still being defined)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.records import EntityType, PaymentRecord
from tests.conformance import suite


class ReversalScenarios:
    """Mixed into `suite.LedgerConformance`."""

    def test_a_chargeback_and_a_failed_check_reopen_their_invoices_to_the_cent(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A card payment paying an invoice in full is charged back; of an invoice paid by a check and an ACH debit,
        the check bounces. After each step every invoice's open balance and the customer's open balance, revenue and
        tax equal Service Opus's to the cent; the same reversal sent again (a re-run after an unknown outcome) changes
        nothing and is no error; a reversed payment is found no more and does not count, the other one does; the
        reopened invoice can be paid again."""
        harness = ledger_harness
        _, item_ref = parties
        customer_ref = suite._created(harness, suite._customer(harness, f"Reversals Customer {harness.next_id()}"))
        who = (customer_ref, item_ref)
        books = suite._OpusBooks()
        carded = suite._invoice(
            harness, *who, [suite._line("2", "95.00", suite.GST), suite._line("1", "33.33", suite.HST)]
        )
        checked = suite._invoice(harness, *who, [suite._line("1", "150.00", suite.GST)])
        refs = {record.source_id: suite._created(harness, record) for record in (carded, checked)}
        books.invoices = {carded.source_id: carded, checked.source_id: checked}
        deposit = harness.account("undeposited_funds").id

        def payment(invoice_id: int, amount: Decimal, method: str, reference: str) -> PaymentRecord:
            paid = PaymentRecord(
                harness.next_id(), refs[invoice_id], customer_ref, amount, date(2026, 4, 2), method, deposit, reference
            )
            books.paid[invoice_id] = books.paid.get(invoice_id, Decimal("0.00")) + amount
            return paid

        card = payment(carded.source_id, carded.total, "card", "4242")
        check = payment(checked.source_id, Decimal("100.00"), "check", "1017")
        ach = payment(checked.source_id, checked.total - Decimal("100.00"), "ach", "")
        held = {p.source_id: suite._written(harness, p) for p in (card, check, ach)}
        suite._assert_books_equal(harness, books, "paid by card, check and ACH")

        for reversed_payment, step in ((card, "chargeback"), (check, "bounced check")):
            for _ in range(2):
                suite._written(harness, replace(reversed_payment, reversed=True), held[reversed_payment.source_id])
            invoice_id = carded.source_id if reversed_payment is card else checked.source_id
            books.paid[invoice_id] -= reversed_payment.amount
            suite._assert_books_equal(harness, books, step)

        connector = harness.connector
        assert connector.find_by_external_id(EntityType.PAYMENT, [card, check, ach]) == {
            ach.source_id: held[ach.source_id]
        }
        read = connector.read_back(EntityType.PAYMENT, [card, check, ach])
        assert [s.amount for s in read[ach.source_id] if s.present] == [ach.amount]
        assert not any(s.present for s in read.get(card.source_id, []) + read.get(check.source_id, []))

        again = payment(carded.source_id, carded.total, "cash", "")
        suite._created(harness, again)
        suite._assert_books_equal(harness, books, "the charged-back invoice paid again")
