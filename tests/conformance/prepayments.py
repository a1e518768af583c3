"""Issue 13's deposits and overpayments, for every ledger. A deposit is taken before its invoice exists: the ledger
holds it as the customer's credit (QBO: a payment with no line; Xero: a RECEIVE-PREPAYMENT), and once the invoice
exists Service Opus applies it, which the sync sends as an update of the same payment naming the invoice (QBO: a
sparse update adding the invoice's line; Xero: an allocation of the prepayment). An overpayment pays an invoice in
full and leaves the excess as the customer's credit (QBO: UnappliedAmt; Xero: a RECEIVE-OVERPAYMENT of the whole
amount allocated to the invoice for its total). Helpers are the suite's own (read through the module, which
imports this mixin while it is still being defined)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import EntityType, PaymentRecord
from tests.conformance import suite


def _credit(harness: "suite.LedgerHarness", payments: list[PaymentRecord]) -> Decimal:
    """The customer's credit the ledger holds from these payments: what each live one leaves unapplied."""
    read = harness.connector.read_back(EntityType.PAYMENT, payments)
    live = [snapshot for found in read.values() for snapshot in found if snapshot.present]
    assert len(live) == len(payments), f"each payment once: {read}"
    return sum((snapshot.balance or Decimal(0) for snapshot in live), Decimal("0.00"))


class DepositsAndOverpayments:
    """Mixed into `suite.LedgerConformance`."""

    def test_a_deposit_before_its_invoice_and_an_overpayment_leave_balances_and_credit_to_the_cent(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """A deposit of 100.00 is taken before any invoice: it is the customer's credit. The invoice is raised and
        the deposit applied to it (an update of the same payment, which keeps its ledger id). Another invoice is
        paid 25.00 over its total. After each step every invoice's open balance, the customer's open balance,
        revenue and tax, and the customer's credit equal Service Opus's to the cent; each write sent again (a
        re-run after an unknown outcome) changes nothing; applying more than an invoice's open balance is refused
        and leaves the books as they were."""
        harness = ledger_harness
        _, item_ref = parties
        customer_ref = suite._created(harness, suite._customer(harness, f"Deposit Customer {harness.next_id()}"))
        who = (customer_ref, item_ref)
        books = suite._OpusBooks()
        bank = harness.account("bank").id

        deposit = PaymentRecord(
            harness.next_id(), "", customer_ref, Decimal("100.00"), date(2026, 3, 1), "card", bank, "4242"
        )
        for _ in range(2):
            held = suite._written(harness, deposit)
        assert _credit(harness, [deposit]) == Decimal("100.00")

        invoice = suite._invoice(
            harness, *who, [suite._line("2", "95.00", suite.GST), suite._line("1", "33.33", suite.HST)]
        )
        invoice_ref = suite._created(harness, invoice)
        books.invoices[invoice.source_id] = invoice
        suite._assert_books_equal(harness, books, "the invoice raised, the deposit not yet applied")

        applied = replace(deposit, invoice_ref=invoice_ref)
        for _ in range(2):
            suite._written(harness, applied, held)
        books.paid[invoice.source_id] = deposit.amount
        suite._assert_books_equal(harness, books, "the deposit applied")
        assert _credit(harness, [applied]) == Decimal("0.00")

        overpaid = suite._invoice(harness, *who, [suite._line("1", "150.00", suite.GST)])
        overpaid_ref = suite._created(harness, overpaid)
        books.invoices[overpaid.source_id] = overpaid
        too_much = PaymentRecord(
            harness.next_id(), overpaid_ref, customer_ref, overpaid.total + 1, date(2026, 3, 9), "cash", bank
        )
        (refused,) = suite._write(harness, [suite._op(too_much)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        suite._assert_books_equal(harness, books, "a payment applying more than the balance refused")

        over = PaymentRecord(
            harness.next_id(),
            overpaid_ref,
            customer_ref,
            overpaid.total + Decimal("25.00"),
            date(2026, 3, 9),
            "check",
            bank,
            "1017",
            applied=overpaid.total,
        )
        for _ in range(2):
            suite._written(harness, over)
        books.paid[overpaid.source_id] = overpaid.total
        suite._assert_books_equal(harness, books, "the overpayment")
        assert _credit(harness, [applied, over]) == Decimal("25.00") == applied.credit + over.credit
        found = harness.connector.find_by_external_id(EntityType.PAYMENT, [applied, over])
        assert set(found) == {applied.source_id, over.source_id} and found[applied.source_id].id == held.id
