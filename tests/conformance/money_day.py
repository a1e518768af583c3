"""Issue 13's acceptance, for every ledger: one company's day of money in and out. Card, cash, check and ACH payments,
a tip, a partial and a full refund, a chargeback, a deposit taken before its invoice and applied after it, an
overpayment, and a payout of 20 card payments net of fees. Afterwards each bank and clearing account's balance, as the
ledger itself reports it (`LedgerConnector.account_balances`), has moved by exactly what Service Opus routed there
(`core.bank_balances.routed`, from the records the sync sends, never from the ledger), card clearing is back where it
was (the payout took out every card payment that stayed), the deposit the payout made is its net to the cent, and
every invoice's open balance is Service Opus's.

The harness is shared by a module's scenarios, so the scenario compares each account's movement (its balance after
less its balance before), the rule reconciliation states for accounts shared with money it does not own.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.bank_balances import Money, routed
from ledger_sync.core.records import EntityType, InvoiceRecord, PaymentRecord
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceLine, SourceRefund
from tests.conformance import suite
from tests.conformance.money_in_and_out import _card_invoice, _card_payments, _named, _payout, _tip
from tests.conformance.prepayments import _credit

DAY = date(2026, 5, 4)


class MoneyDay:
    """Mixed into `suite.LedgerConformance`."""

    def test_a_day_of_money_in_and_out_leaves_every_bank_balance_and_invoice_balance_as_service_opus_has_them(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        harness = ledger_harness
        _, item_ref = parties
        customer_ref = suite._created(harness, suite._customer(harness, f"Money Day Customer {harness.next_id()}"))
        who = (customer_ref, item_ref)
        operating = harness.account("bank").id
        clearing = _named(harness, "bank", "clearing").id
        drawer = _named(harness, "bank", "cash drawer").id
        held = harness.account("undeposited_funds").id
        accounts = [operating, clearing, drawer, held]
        before = harness.connector.account_balances(accounts)
        bank_accounts = {a.id for a in harness.accounts if a.type == "bank"}
        assert set(accounts) & bank_accounts <= set(before), "every bank account's balance is reported"
        books = suite._OpusBooks()
        refs: dict[int, str] = {}

        def invoiced(*lines: SourceLine) -> InvoiceRecord:
            invoice = suite._invoice(harness, *who, list(lines))
            refs[invoice.source_id] = suite._created(harness, invoice)
            books.invoices[invoice.source_id] = invoice
            return invoice

        def paid(invoice: InvoiceRecord, amount: str, method: str, account: str, reference: str = "") -> PaymentRecord:
            payment = PaymentRecord(
                harness.next_id(),
                refs[invoice.source_id],
                customer_ref,
                Decimal(amount),
                DAY,
                method,
                account,
                reference,
            )
            suite._created(harness, payment)
            books.paid[invoice.source_id] = books.paid.get(invoice.source_id, Decimal("0.00")) + payment.amount
            return payment

        visit = invoiced(suite._line("1", "400.00", suite.GST))
        cash = paid(visit, "60.00", "cash", drawer)
        check = paid(visit, "85.25", "check", held, "1017")
        ach = paid(visit, "120.40", "ach", operating)
        charged = paid(visit, "79.35", "card", clearing, "4242")
        tip = _tip(harness, ach, "12.60")
        suite._written(harness, tip)
        refunds = [
            refund_record(
                SourceRefund(harness.next_id(), payment.source_id, Decimal(amount), DAY, reason),
                visit,
                payment_number=payment.source_id,
                deposit_account_ref=payment.deposit_account_ref,
            )
            for payment, amount, reason in ((ach, "20.00", "Part returned"), (cash, "60.00", "Visit cancelled"))
        ]
        for refund in refunds:
            suite._written(harness, refund)  # a refund gives money back; the invoice stays paid
        charged_ref = harness.connector.find_by_external_id(EntityType.PAYMENT, [charged])[charged.source_id]
        chargeback = replace(charged, reversed=True)
        suite._written(harness, chargeback, charged_ref)
        books.paid[visit.source_id] -= charged.amount
        suite._assert_books_equal(harness, books, "paid four ways, tipped, refunded twice, charged back")

        deposit = PaymentRecord(harness.next_id(), "", customer_ref, Decimal("100.00"), DAY, "card", operating, "4242")
        deposit_ref = suite._written(harness, deposit)
        booked = invoiced(suite._line("2", "95.00", suite.GST), suite._line("1", "33.33", suite.HST))
        applied = replace(deposit, invoice_ref=refs[booked.source_id])
        suite._written(harness, applied, deposit_ref)
        books.paid[booked.source_id] = deposit.amount
        suite._assert_books_equal(harness, books, "a deposit taken before its invoice, applied after")

        overpaid = invoiced(suite._line("1", "150.00", suite.GST))
        over = PaymentRecord(
            harness.next_id(),
            refs[overpaid.source_id],
            customer_ref,
            overpaid.total + Decimal("25.00"),
            DAY,
            "check",
            operating,
            "1018",
            applied=overpaid.total,
        )
        suite._written(harness, over)
        books.paid[overpaid.source_id] = overpaid.total
        suite._assert_books_equal(harness, books, "an overpayment")

        card_invoice = _card_invoice(harness, who)
        refs[card_invoice.source_id] = suite._created(harness, card_invoice)
        books.invoices[card_invoice.source_id] = card_invoice
        cards = _card_payments(harness, who, 20, refs[card_invoice.source_id])
        books.paid[card_invoice.source_id] = sum((p.amount for p in cards), Decimal("0.00"))
        payout = _payout(harness, cards, date(2026, 5, 9))
        assert payout.clearing_account_ref == clearing
        suite._written(harness, payout)
        suite._assert_books_equal(harness, books, "the payout of 20 card payments")

        records: list[Money] = [cash, check, ach, chargeback, tip, *refunds, applied, over, *cards, payout]
        expected = routed(records)
        after = harness.connector.account_balances(accounts)
        moved = {ref: after[ref] - before[ref] for ref in after}
        assert moved == {ref: expected.get(ref, Decimal("0.00")) for ref in after}, (moved, expected)
        assert moved[clearing] == Decimal("0.00")  # the payout took out every card payment that stayed there
        assert moved[operating] == (
            ach.amount + tip.amount - Decimal("20.00") + deposit.amount + over.amount + payout.net
        )
        assert moved[drawer] == Decimal("0.00")  # paid in cash, refunded in full
        (landed,) = harness.connector.read_back(EntityType.PAYOUT, [payout])[payout.source_id]
        assert (landed.amount, payout.net) == (Decimal("1586.72"), Decimal("1586.72"))
        assert _credit(harness, [applied, over]) == over.credit == Decimal("25.00")  # the deposit is spent
