"""Issue 13's refunds and reversals, for every ledger. Refunds: a partial refund of a two-rate invoice and a full
refund of another, each written as the ledger's refund document (`core.refunds`). Reversals: a card payment
charged back and a check that bounced, after they were synced: the sync sends each as an update of the synced
payment carrying `reversed` (`WriteOp.voids`), and the ledger takes the payment out (QBO voids it, Xero deletes
it), reopening its invoice. Helpers are the suite's own (read through the module, which imports this mixin while
it is still being defined)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.records import EntityType, PaymentRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceRefund
from tests.conformance import suite


class RefundsAndReversals:
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

    def test_a_partial_and_a_full_refund_give_back_revenue_and_tax_to_the_cent_and_leave_the_invoices_paid(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """Two invoices paid in full; one is refunded in part (spread over its two tax rates), the other in full.
        Each refund is in the ledger once, found by its stamp, paid out in full (nothing left open, no credit left
        on the customer), and gives back exactly the revenue and tax of the record sent, which for the full refund
        are the invoice's own; the invoices stay paid and the customer's books equal Service Opus's."""
        harness = ledger_harness
        _, item_ref = parties
        customer_ref = suite._created(harness, suite._customer(harness, f"Refunds Customer {harness.next_id()}"))
        who = (customer_ref, item_ref)
        books = suite._OpusBooks()
        deposit = harness.account("undeposited_funds").id
        two_rates = suite._invoice(
            harness, *who, [suite._line("2", "95.00", suite.GST), suite._line("1.5", "33.33", suite.HST)]
        )
        one_rate = suite._invoice(harness, *who, [suite._line("1", "149.99", suite.HST)])
        refunds = []
        for invoice, amount, reason in ((two_rates, Decimal("40.00"), "Part returned unused"), (one_rate, None, "")):
            invoice_ref = suite._created(harness, invoice)
            books.invoices[invoice.source_id] = invoice
            paid = PaymentRecord(
                harness.next_id(), invoice_ref, customer_ref, invoice.total, date(2026, 4, 2), "card", deposit, "4242"
            )
            suite._created(harness, paid)
            books.paid[invoice.source_id] = invoice.total
            refund = SourceRefund(harness.next_id(), paid.source_id, amount or invoice.total, date(2026, 4, 9), reason)
            refunds.append(refund_record(refund, invoice, payment_number=paid.source_id, deposit_account_ref=deposit))
        partial, full = refunds
        assert partial.total == Decimal("40.00") and len(partial.tax_lines) == len(two_rates.tax_lines)
        assert (full.subtotal, full.total_tax, full.total) == (one_rate.subtotal, one_rate.total_tax, one_rate.total)

        written = {refund.source_id: suite._written(harness, refund).id for refund in refunds}
        suite._assert_books_equal(harness, books, "refunded: the invoices stay paid")
        connector = harness.connector
        found = connector.find_by_external_id(EntityType.REFUND, refunds)
        assert {source_id: ref.id for source_id, ref in found.items()} == written
        read = connector.read_back(EntityType.REFUND, refunds)
        for refund in refunds:
            (held,) = read[refund.source_id]
            assert held.present and (held.amount, held.tax, held.balance) == (
                refund.total, refund.total_tax, Decimal("0.00")
            ), held  # fmt: skip
            assert held.amount - (held.tax or 0) == refund.subtotal

    def test_payments_whose_stamps_start_alike_are_each_found_once(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A ledger that finds a payment by the start of a field holding more than its stamp (Xero's Reference:
        "SO-P12 · card 4242") meets stamps that start other stamps ("SO-P77777" starts "SO-P77777000"), in
        look-ups spread over several queries: each payment is still found once, and read back once."""
        harness = ledger_harness
        customer_ref, _ = parties
        record = suite._invoice(harness, *parties, [suite._line("1", "100.00", suite.GST)])
        invoice_ref = suite._created(harness, record)
        deposit = harness.account("undeposited_funds").id
        ids = [77777, *range(77777000, 77777031)]
        payments = [
            PaymentRecord(source_id, invoice_ref, customer_ref, Decimal("1.00"), date(2026, 4, 3), "card", deposit, "1")
            for source_id in ids
        ]
        size = harness.connector.max_batch_size
        for start in range(0, len(payments), size):
            outcomes = suite._write(harness, [suite._op(p) for p in payments[start : start + size]])
            assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
        found = harness.connector.find_by_external_id(EntityType.PAYMENT, payments)
        assert sorted(found) == ids and len({ref.id for ref in found.values()}) == len(ids)
        read = harness.connector.read_back(EntityType.PAYMENT, payments)
        assert sorted(read) == ids and all(len(held) == 1 for held in read.values())
