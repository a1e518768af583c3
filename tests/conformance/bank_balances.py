"""Issue 13's acceptance for bank and clearing balances, for every ledger: card, cash, check and ACH payments, a tip,
a partial and a full refund, a chargeback and a payout of 20 card payments net of fees. Afterwards each account's
balance, as the ledger itself reports it (`LedgerConnector.account_balances`), has moved by exactly what Service Opus
routed there (`core.bank_balances.routed`), card clearing is back where it was (the payout took out every card
payment that stayed), and the deposit the payout made is its net to the cent.

The harness is shared by a module's scenarios, so the scenario compares each account's movement (its balance after
less its balance before), the rule reconciliation states for accounts shared with money it does not own.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from ledger_sync.core.bank_balances import Money, routed
from ledger_sync.core.money import cents
from ledger_sync.core.records import EntityType, PaymentRecord, PayoutRecord, SettledPayment
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceRefund
from tests.conformance import suite
from tests.conformance.money_in_and_out import _card_payments, _named, _tip


class BankBalanceScenarios:
    """Mixed into `suite.LedgerConformance`."""

    def test_each_bank_account_moves_by_what_service_opus_routed_there_and_card_clearing_is_emptied_by_the_payout(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        harness = ledger_harness
        customer_ref, _ = parties
        operating = harness.account("bank").id
        clearing = _named(harness, "bank", "clearing").id
        drawer = _named(harness, "bank", "cash drawer").id
        held = harness.account("undeposited_funds").id
        accounts = [operating, clearing, drawer, held]
        before = harness.connector.account_balances(accounts)
        bank_accounts = {a.id for a in harness.accounts if a.type == "bank"}
        assert set(accounts) & bank_accounts <= set(before), "every bank account's balance is reported"

        invoice = suite._invoice(harness, *parties, [suite._line("1", "400.00", suite.GST)])
        invoice_ref = suite._created(harness, invoice)

        def paid(amount: str, method: str, account: str, reference: str = "") -> PaymentRecord:
            payment = PaymentRecord(
                harness.next_id(),
                invoice_ref,
                customer_ref,
                Decimal(amount),
                date(2026, 5, 4),
                method,
                account,
                reference,
            )
            suite._created(harness, payment)
            return payment

        cash = paid("60.00", "cash", drawer)
        check = paid("85.25", "check", held, "1017")
        ach = paid("120.40", "ach", operating)
        charged = paid("79.35", "card", clearing, "4242")
        tip = _tip(harness, ach, "12.60")
        suite._written(harness, tip)
        refunds = [
            refund_record(
                SourceRefund(harness.next_id(), payment.source_id, Decimal(amount), date(2026, 5, 6), reason),
                invoice,
                payment_number=payment.source_id,
                deposit_account_ref=payment.deposit_account_ref,
            )
            for payment, amount, reason in ((ach, "20.00", "Part returned"), (cash, "60.00", "Visit cancelled"))
        ]
        for refund in refunds:
            suite._written(harness, refund)
        charged_ref = harness.connector.find_by_external_id(EntityType.PAYMENT, [charged])[charged.source_id]
        chargeback = replace(charged, reversed=True)
        suite._written(harness, chargeback, charged_ref)

        cards = _card_payments(harness, parties, 20)
        refs = harness.connector.find_by_external_id(EntityType.PAYMENT, cards)
        gross = sum((p.amount for p in cards), Decimal("0.00"))
        fees = sum((cents(p.amount * Decimal("0.029") + Decimal("0.30")) for p in cards), Decimal("0.00"))
        payout = PayoutRecord(
            harness.next_id(),
            date(2026, 5, 9),
            gross,
            fees,
            clearing,
            False,
            operating,
            _named(harness, "expense", "fee", "charge").id,
            "Opus Pay",
            tuple(SettledPayment(refs[p.source_id].id, p.amount) for p in cards),
        )
        suite._written(harness, payout)

        records: list[Money] = [cash, check, ach, chargeback, tip, *refunds, *cards, payout]
        expected = routed(records)
        after = harness.connector.account_balances(accounts)
        moved = {ref: after[ref] - before[ref] for ref in after}
        assert moved == {ref: expected.get(ref, Decimal("0.00")) for ref in after}, (moved, expected)
        assert moved[clearing] == Decimal("0.00")  # the payout took out every card payment that stayed there
        assert moved[operating] == ach.amount + tip.amount - Decimal("20.00") + payout.net
        assert moved[drawer] == Decimal("0.00")  # paid in cash, refunded in full
        (deposit,) = harness.connector.read_back(EntityType.PAYOUT, [payout])[payout.source_id]
        assert (deposit.amount, payout.net) == (Decimal("1586.72"), Decimal("1586.72"))
