"""Conformance scenarios for money beyond an invoice's payment (issue 13): a tip, its own document into the payment's
bank account, credited to the Tips liability account, never to the invoice.

A mixin of `LedgerConformance`; the suite's own helpers are read when a scenario runs (the suite imports this
module to build its class).
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind, LedgerAccount
from ledger_sync.core.records import EntityType, PaymentRecord, TipRecord
from tests.conformance import suite


def tips_account(harness: "suite.LedgerHarness") -> LedgerAccount:
    """The ledger's tips liability (every sandbox chart has one, named so)."""
    return next(a for a in harness.accounts if a.type == "liability" and a.active and "tip" in a.name.casefold())


def _paid_invoice(harness: "suite.LedgerHarness", parties: tuple[str, str]) -> PaymentRecord:
    """An invoice of 105.00 paid in full into the bank account: the payment, as it was written."""
    customer_ref, _ = parties
    invoice_ref = suite._created(harness, suite._invoice(harness, *parties, [suite._line("1", "100.00", suite.GST)]))
    bank = harness.account("bank").id
    paid_on = date(2026, 3, 9)
    payment = PaymentRecord(harness.next_id(), invoice_ref, customer_ref, Decimal("105.00"), paid_on, "card", bank)
    suite._created(harness, payment)
    return payment


def _tip(harness: "suite.LedgerHarness", payment: PaymentRecord, amount: str) -> TipRecord:
    return TipRecord(
        payment.source_id,
        payment.customer_ref,
        Decimal(amount),
        payment.paid_on,
        payment.deposit_account_ref,
        tips_account(harness).id,
        payment.external_id,
    )


class MoneyInAndOut:
    def test_a_tip_lands_in_the_payments_bank_account_apart_from_the_invoice_found_by_its_stamp_once(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        harness = ledger_harness
        payment = _paid_invoice(harness, parties)
        tip = _tip(harness, payment, "15.75")
        ref = suite._written(harness, tip)
        assert harness.connector.find_by_external_id(EntityType.TIP, [tip]) == {tip.source_id: ref}
        (held,) = harness.connector.read_back(EntityType.TIP, [tip])[tip.source_id]
        assert (held.ledger_id, held.amount, held.present) == (ref.id, Decimal("15.75"), True)
        assert harness.invoice_amounts(payment.invoice_ref) == (Decimal("105.00"), Decimal("0.00"))
        (again,) = suite._write(harness, [suite._op(tip)])  # the same write again: the ledger's first answer
        assert again.ref is not None and again.ref.id == ref.id
        assert len(harness.connector.read_back(EntityType.TIP, [tip])[tip.source_id]) == 1

    def test_a_changed_tip_is_corrected_in_place(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        harness = ledger_harness
        tip = _tip(harness, _paid_invoice(harness, parties), "8.00")
        ref = suite._written(harness, tip)
        suite._written(harness, replace(tip, amount=Decimal("9.50")), ref)
        (held,) = harness.connector.read_back(EntityType.TIP, [tip])[tip.source_id]
        assert (held.ledger_id, held.amount) == (ref.id, Decimal("9.50"))

    def test_a_tip_into_anything_but_a_bank_account_is_refused_and_leaves_nothing(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """QBO deposits only into a Bank account, Xero receives money only into a BANK account: a payment that
        landed in Undeposited Funds (or a clearing account) cannot take its tip there."""
        harness = ledger_harness
        payment = _paid_invoice(harness, parties)
        tip = replace(_tip(harness, payment, "5.00"), deposit_account_ref=harness.account("undeposited_funds").id)
        (outcome,) = suite._write(harness, [suite._op(tip)])
        assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION, outcome
        assert harness.connector.find_by_external_id(EntityType.TIP, [tip]) == {}
