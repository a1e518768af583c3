"""Reconciliation's comparison, without any ledger: each kind of difference, and only those."""

from decimal import Decimal

from ledger_sync.core.ledger import LedgerSnapshot
from ledger_sync.core.reconciliation import (
    DifferenceKind,
    ExpectedAmount,
    ExpectedInvoice,
    ExpectedPayment,
    Receivable,
    compare,
)
from ledger_sync.core.records import EntityType

D = Decimal
INVOICES = [
    ExpectedInvoice(1, "INV-1", "SO-I1", "C1", D("110.00"), D("10.00"), D("60.00")),
    ExpectedInvoice(2, "INV-2", "SO-I2", "C1", D("55.00"), D("5.00"), D("55.00")),
    ExpectedInvoice(3, "INV-3", "SO-I3", "C2", D("22.00"), D("2.00"), D("0.00")),
]
PAYMENTS = [ExpectedPayment(10, "SO-P10", 1, D("50.00")), ExpectedPayment(11, "SO-P11", 3, D("22.00"))]


def _invoice(
    ledger_id: str, total: str, tax: str, balance: str, customer: str = "C1", status: str = ""
) -> LedgerSnapshot:
    return LedgerSnapshot(ledger_id, "", D(total), customer, status, D(tax), D(balance))


def _payment(ledger_id: str, amount: str, status: str = "") -> LedgerSnapshot:
    return LedgerSnapshot(ledger_id, "", D(amount), "", status)


def _ledger() -> tuple[dict[int, list[LedgerSnapshot]], dict[int, list[LedgerSnapshot]]]:
    invoices = {
        1: [_invoice("L1", "110.00", "10.00", "60.00")],
        2: [_invoice("L2", "55.00", "5.00", "55.00")],
        3: [_invoice("L3", "22.00", "2.00", "0.00", customer="C2")],
    }
    return invoices, {10: [_payment("P10", "50.00")], 11: [_payment("P11", "22.00")]}


def _kinds(invoices: dict, payments: dict) -> list[tuple[DifferenceKind, int]]:
    differences, _ = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments)
    return [(d.kind, d.source_id) for d in differences]


def test_equal_books_have_no_differences_and_equal_receivables() -> None:
    invoices, payments = _ledger()
    differences, receivables = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments)
    assert differences == []
    assert receivables == [Receivable("C1", D("115.00"), D("115.00")), Receivable("C2", D("0.00"), D("0.00"))]


def test_a_deleted_invoice_is_missing_and_requeued() -> None:
    invoices, payments = _ledger()
    del invoices[2]
    differences, receivables = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments)
    assert [(d.kind, d.source_id, d.requeue) for d in differences] == [(DifferenceKind.MISSING, 2, True)]
    assert "re-queued" in differences[0].what_to_do
    assert receivables[0] == Receivable("C1", D("115.00"), D("60.00"))


def test_a_voided_invoice_or_deleted_payment_does_not_count_as_present_only_the_payment_is_requeued() -> None:
    invoices, payments = _ledger()
    invoices[2] = [_invoice("L2", "0.00", "0.00", "0.00", status="VOIDED")]
    payments[11] = [_payment("P11", "22.00", status="DELETED")]
    invoices[3] = [_invoice("L3", "22.00", "2.00", "22.00", customer="C2")]  # due again without its payment
    differences, _ = compare("Xero", INVOICES, PAYMENTS, invoices, payments)
    assert [(d.kind, d.entity_type, d.source_id, d.requeue) for d in differences] == [
        (DifferenceKind.VOIDED, EntityType.INVOICE, 2, False),
        (DifferenceKind.MISSING, EntityType.PAYMENT, 11, True),
    ]
    assert "voided in Xero by hand" in differences[0].what_to_do
    assert "deleted in Xero" in differences[1].what_to_do


def test_an_edited_payment_amount_is_one_difference_not_also_its_invoice_balance() -> None:
    invoices, payments = _ledger()
    payments[10] = [_payment("P10", "40.00")]
    invoices[1] = [_invoice("L1", "110.00", "10.00", "70.00")]  # the ledger re-applied the smaller payment
    differences, _ = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments)
    assert [(d.kind, d.source_id, d.expected, d.found) for d in differences] == [
        (DifferenceKind.AMOUNT, 10, D("50.00"), D("40.00"))
    ]


def test_edited_totals_tax_balance_customer_and_duplicates_are_each_listed() -> None:
    invoices, payments = _ledger()
    invoices[1] = [_invoice("L1", "111.00", "11.00", "61.00")]
    invoices[2] = [_invoice("L2", "55.00", "5.00", "45.00", customer="C9")]
    invoices[3] = [_invoice("L3", "22.00", "2.00", "0.00", customer="C2"), _invoice("L3b", "22.00", "2.00", "22.00")]
    assert _kinds(invoices, payments) == [
        (DifferenceKind.TOTAL, 1),
        (DifferenceKind.TAX, 1),
        (DifferenceKind.BALANCE, 2),
        (DifferenceKind.CUSTOMER, 2),
        (DifferenceKind.DUPLICATE, 3),
    ]


def test_a_duplicated_payment_is_one_difference_not_also_its_invoice_balance() -> None:
    invoices, payments = _ledger()
    payments[10] = [_payment("P10", "50.00"), _payment("P10b", "50.00")]
    invoices[1] = [_invoice("L1", "110.00", "10.00", "10.00")]
    differences, _ = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments)
    assert [(d.kind, d.source_id, d.ledger_id) for d in differences] == [(DifferenceKind.DUPLICATE, 10, "P10")]
    assert "delete or void P10b" in differences[0].what_to_do


def test_a_tip_is_checked_for_itself_deleted_edited_or_doubled_and_never_moves_an_invoice_balance() -> None:
    invoices, payments = _ledger()
    tips = [
        ExpectedAmount(10, "SO-T10", D("7.50")),
        ExpectedAmount(11, "SO-T11", D("3.00")),
        ExpectedAmount(12, "SO-T12", D("1")),
    ]
    held = {
        10: [_payment("T10", "7.50")],
        11: [_payment("T11", "4.00")],
        12: [_payment("T12", "1"), _payment("X", "1")],
    }
    differences, receivables = compare("Xero", INVOICES, PAYMENTS, invoices, payments, tips, held)
    assert [(d.kind, d.entity_type, d.source_id) for d in differences] == [
        (DifferenceKind.AMOUNT, EntityType.TIP, 11),
        (DifferenceKind.DUPLICATE, EntityType.TIP, 12),
    ]
    assert "this tip's amount in Xero" in differences[0].what_to_do
    assert all(r.equal for r in receivables)
    del held[10]
    differences, _ = compare("Xero", INVOICES, PAYMENTS, invoices, payments, tips[:1], held)
    assert [(d.kind, d.entity_type, d.source_id, d.requeue) for d in differences] == [
        (DifferenceKind.MISSING, EntityType.TIP, 10, True)
    ]


def test_a_card_payout_is_checked_for_its_net_and_re_queued_when_deleted() -> None:
    invoices, payments = _ledger()
    payouts = [ExpectedAmount(7, "SO-O7", D("1586.72")), ExpectedAmount(8, "SO-O8", D("90.10"))]
    held = {7: [_payment("D7", "1586.70")]}
    differences, _ = compare("QuickBooks", INVOICES, PAYMENTS, invoices, payments, (), None, payouts, held)
    assert [(d.kind, d.entity_type, d.source_id) for d in differences] == [
        (DifferenceKind.AMOUNT, EntityType.PAYOUT, 7),
        (DifferenceKind.MISSING, EntityType.PAYOUT, 8),
    ]
    assert (differences[0].expected, differences[0].found) == (D("1586.72"), D("1586.70"))


def test_only_the_applied_part_pays_an_invoice_and_the_credit_left_is_compared() -> None:
    """INV-3 (22.00) is overpaid by 8.00 and a deposit of 30.00 waits for its invoice: the ledger reports the credit
    each leaves (`balance`). Equal books have no difference; a deposit applied by hand in the ledger is one."""
    overpaid = ExpectedPayment(11, "SO-P11", 3, D("30.00"), D("8.00"))
    deposit = ExpectedPayment(12, "SO-P12", None, D("30.00"), D("30.00"))
    payments = [PAYMENTS[0], overpaid, deposit]
    invoices, _ = _ledger()
    found = {
        10: [_payment("P10", "50.00")],
        11: [LedgerSnapshot("P11", "", D("30.00"), "", "", balance=D("8.00"))],
        12: [LedgerSnapshot("P12", "", D("30.00"), "", "", balance=D("30.00"))],
    }
    assert compare("QuickBooks", INVOICES, payments, invoices, found)[0] == []
    found[12] = [LedgerSnapshot("P12", "", D("30.00"), "", "", balance=D("0.00"))]
    (difference,) = compare("QuickBooks", INVOICES, payments, invoices, found)[0]
    assert (difference.kind, difference.source_id, difference.expected, difference.found) == (
        DifferenceKind.CREDIT,
        12,
        D("30.00"),
        D("0.00"),
    )
