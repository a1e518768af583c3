"""Conformance scenarios for money beyond an invoice's payment (issue 13): a tip, its own document into the payment's
bank account, credited to the Tips liability account, never to the invoice; a card processor's payout of settled
payments net of its fees, emptying the card clearing account into the operating bank account.

A mixin of `LedgerConformance`; the suite's own helpers are read when a scenario runs (the suite imports this
module to build its class).
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.ledger import ErrorKind, LedgerAccount
from ledger_sync.core.money import cents
from ledger_sync.core.records import (
    EntityType,
    InvoiceRecord,
    PaymentRecord,
    PayoutRecord,
    SettledPayment,
    TipRecord,
)
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


def _named(harness: "suite.LedgerHarness", kind: str, *words: str) -> LedgerAccount:
    """The active account of this kind whose name says one of `words` (every sandbox chart has one)."""
    return next(
        a for a in harness.accounts if a.type == kind and a.active and any(w in a.name.casefold() for w in words)
    )


def _card_payments(
    harness: "suite.LedgerHarness", parties: tuple[str, str], count: int, invoice_ref: str | None = None
) -> list[PaymentRecord]:
    """`count` card payments into Card Clearing, each of a different amount in cents, of `invoice_ref` (None: a new
    invoice of 2,100.00, `_card_invoice`)."""
    customer_ref, _ = parties
    invoice_ref = invoice_ref or suite._created(harness, _card_invoice(harness, parties))
    clearing = _named(harness, "bank", "clearing").id
    payments = [
        PaymentRecord(
            harness.next_id(),
            invoice_ref,
            customer_ref,
            Decimal("50.00") + n * Decimal("3.37"),
            date(2026, 3, 2 + n % 5),
            "card",
            clearing,
        )
        for n in range(count)
    ]
    for start in range(0, count, harness.connector.max_batch_size):
        chunk = payments[start : start + harness.connector.max_batch_size]
        outcomes = suite._write(harness, [suite._op(payment) for payment in chunk])
        assert all(o.error is None and o.ref is not None for o in outcomes), [o.error for o in outcomes]
    return payments


def _card_invoice(harness: "suite.LedgerHarness", parties: tuple[str, str]) -> InvoiceRecord:
    """An invoice of 2,100.00, enough for 20 card payments of `_card_payments`."""
    return suite._invoice(harness, *parties, [suite._line("1", "2000.00", suite.GST)])


def _payout(harness: "suite.LedgerHarness", payments: list[PaymentRecord], paid_on: date) -> PayoutRecord:
    """Opus Pay's payout of these card payments (as the ledger holds them) out of Card Clearing into the operating
    bank account, less its fees of 2.9 % + 0.30 each, booked to the ledger's bank fees expense account."""
    refs = harness.connector.find_by_external_id(EntityType.PAYMENT, payments)
    fees = sum((cents(p.amount * Decimal("0.029") + Decimal("0.30")) for p in payments), Decimal("0.00"))
    return PayoutRecord(
        harness.next_id(),
        paid_on,
        sum((p.amount for p in payments), Decimal("0.00")),
        fees,
        payments[0].deposit_account_ref,
        False,
        harness.account("bank").id,
        _named(harness, "expense", "fee", "charge").id,
        "Opus Pay",
        tuple(SettledPayment(refs[p.source_id].id, p.amount) for p in payments),
    )


class MoneyInAndOut:
    def test_a_payout_of_twenty_card_payments_empties_card_clearing_and_lands_its_net_to_the_cent_once(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """Fees of 2.9 % + 0.30 each; the ledger's deposit is the payout's net, and what it takes out of the clearing
        account is exactly the 20 payments that landed there (so Card Clearing is back to 0)."""
        harness = ledger_harness
        payments = _card_payments(harness, parties, 20)
        payout = _payout(harness, payments, date(2026, 3, 9))
        gross, fees = payout.gross, payout.fees
        assert (gross, fees, payout.net) == (Decimal("1640.30"), Decimal("53.58"), Decimal("1586.72"))
        ref = suite._written(harness, payout)
        assert harness.connector.find_by_external_id(EntityType.PAYOUT, [payout]) == {payout.source_id: ref}
        (held,) = harness.connector.read_back(EntityType.PAYOUT, [payout])[payout.source_id]
        assert (held.ledger_id, held.amount, held.balance, held.present) == (ref.id, payout.net, gross, True)
        (again,) = suite._write(harness, [suite._op(payout)])  # the same write again: the ledger's first answer
        assert again.ref is not None and again.ref.id == ref.id
        assert len(harness.connector.read_back(EntityType.PAYOUT, [payout])[payout.source_id]) == 1
        invoice_ref = payments[0].invoice_ref
        assert harness.invoice_amounts(invoice_ref) == (Decimal("2100.00"), Decimal("2100.00") - gross)

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

    def test_a_payout_of_payments_waiting_in_undeposited_funds_deposits_each_once_or_is_refused_by_xero(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """QBO empties Undeposited Funds only by a Deposit linking each payment whole, once; Xero transfers money
        only between BANK accounts, so such a payout is refused there, leaving nothing."""
        harness = ledger_harness
        held = harness.account("undeposited_funds").id
        customer_ref, _ = parties
        invoice_ref = suite._created(
            harness, suite._invoice(harness, *parties, [suite._line("1", "300.00", suite.GST)])
        )
        payments = [
            PaymentRecord(harness.next_id(), invoice_ref, customer_ref, Decimal(a), date(2026, 3, 3), "card", held)
            for a in ("100.00", "80.50", "19.99")
        ]
        refs = [suite._created(harness, payment) for payment in payments]
        settled = tuple(SettledPayment(ref, p.amount) for ref, p in zip(refs, payments, strict=True))
        payout = PayoutRecord(
            harness.next_id(),
            date(2026, 3, 6),
            Decimal("200.49"),
            Decimal("6.71"),
            held,
            True,
            harness.account("bank").id,
            _named(harness, "expense", "fee", "charge").id,
            "Opus Pay",
            settled,
        )
        (outcome,) = suite._write(harness, [suite._op(payout)])
        if harness.plugin.name == "xero":
            assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION, outcome
            assert "bank account" in outcome.error.message
            assert harness.connector.find_by_external_id(EntityType.PAYOUT, [payout]) == {}
            return
        assert outcome.error is None and outcome.ref is not None, outcome.error
        (found,) = harness.connector.read_back(EntityType.PAYOUT, [payout])[payout.source_id]
        assert (found.amount, found.balance) == (Decimal("193.78"), Decimal("200.49"))
        again = replace(payout, source_id=harness.next_id(), gross=Decimal("100.00"), fees=Decimal("3.20"))
        (twice,) = suite._write(harness, [suite._op(replace(again, payments=settled[:1]))])
        assert twice.error is not None and twice.error.kind is ErrorKind.VALIDATION, "a payment deposited twice"

    def test_a_payout_refused_then_sent_again_is_in_the_ledger_once_with_its_fees_once(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """Into its own clearing account a payout is refused (Xero after spending its fees: they are found by the
        payout's stamp on the next attempt, never spent twice); sent right, it takes exactly its gross."""
        harness = ledger_harness
        payments = _card_payments(harness, parties, 2)
        refs = harness.connector.find_by_external_id(EntityType.PAYMENT, payments)
        settled = tuple(SettledPayment(refs[p.source_id].id, p.amount) for p in payments)
        gross = sum((p.amount for p in payments), Decimal("0.00"))
        clearing = payments[0].deposit_account_ref
        fees_account = _named(harness, "expense", "fee", "charge").id
        wrong = PayoutRecord(
            harness.next_id(),
            date(2026, 3, 9),
            gross,
            Decimal("3.54"),
            clearing,
            False,
            clearing,
            fees_account,
            "Opus Pay",
            settled,
        )
        (refused,) = suite._write(harness, [suite._op(wrong)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        right = replace(wrong, operating_account_ref=harness.account("bank").id)
        ref = suite._written(harness, right)
        (held,) = harness.connector.read_back(EntityType.PAYOUT, [right])[right.source_id]
        assert (held.ledger_id, held.amount, held.balance) == (ref.id, gross - Decimal("3.54"), gross)
