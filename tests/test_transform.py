"""Service Opus snapshots to ledger records: totals equal to the cent, problems explained."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import (
    AccountRole,
    LedgerMapping,
    SourceBankAccount,
    SourceCategory,
    SourceTaxRate,
    suggest_mapping,
)
from ledger_sync.core.money import cents
from ledger_sync.core.records import CreditNoteRecord, EntityType, InvoiceCreditRecord, InvoiceRecord, _canonical
from ledger_sync.core.snapshots import SourceCreditNote, SourceInvoice, SourceLine, SourcePayment
from ledger_sync.core.tips import tip_record
from ledger_sync.core.transform import (
    TransformProblem,
    credit_application_record,
    credit_note_record,
    invoice_record,
    payment_record,
    total_due,
)

RATES = {
    1: SourceTaxRate(1, "HST 13%", D("13"), True),
    2: SourceTaxRate(2, "GST 5%", D("5"), True),
    3: SourceTaxRate(3, "Exempt", D("0"), True),
}
LEDGER_RATES = {
    "10": LedgerTaxRate("10", "HST ON", D("13"), True, "r10"),
    "11": LedgerTaxRate("11", "GST", D("5"), True, "r11"),
    "12": LedgerTaxRate("12", "Exempt", D("0"), True, "r12"),
    "13": LedgerTaxRate("13", "HST NS", D("15"), False, "r13"),
}
MAPPING = LedgerMapping(accounts={AccountRole.SALES_INCOME: "1"}, tax_rates={1: "10", 2: "11", 3: "12"})


def _invoice(*lines: tuple[str, str, int, bool], discount: str = "0") -> SourceInvoice:
    return SourceInvoice(
        id=9,
        number="INV-9",
        customer_id=4,
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 1),
        currency="CAD",
        status="locked",
        locked_at=datetime(2026, 2, 1, tzinfo=UTC),
        lines=tuple(
            SourceLine(7, 1, f"line {n}", D(q), D(p), rate, incl) for n, (q, p, rate, incl) in enumerate(lines)
        ),
        discount_percent=D(discount),
    )


def _record(invoice: SourceInvoice, mapping: LedgerMapping = MAPPING) -> InvoiceRecord:
    return invoice_record(
        invoice, customer_ref="C1", item_refs={7: "I7"}, tax_rates=RATES, mapping=mapping, ledger_tax_rates=LEDGER_RATES
    )


@pytest.mark.parametrize(
    "lines",
    [
        [("3", "19.99", 1, False), ("1.5", "85.00", 2, False)],
        [("3", "19.99", 1, True), ("7", "0.99", 1, True), ("1", "10.00", 3, True)],
        [("2", "33.33", 1, True), ("1", "49.95", 2, False), ("0.333", "12.00", 1, False)],
        [("1", "0.05", 1, False)] * 7,
        [("4", "19.99", 1, False), ("-1", "19.99", 1, False), ("1", "-12.35", 2, False), ("1", "30.00", 3, False)],
        [("3", "19.99", 1, True), ("-0.5", "115.00", 1, True), ("2", "60.00", 2, True)],
    ],
)
@pytest.mark.parametrize("discount", ["0", "10", "12.5"])
def test_ledger_total_equals_service_opus_total(lines: list[tuple[str, str, int, bool]], discount: str) -> None:
    invoice = _invoice(*lines, discount=discount)
    record = _record(invoice)
    assert record.total == total_due(invoice, RATES)
    assert record.subtotal + record.total_tax == record.total
    assert sum(t.amount for t in record.tax_lines) == record.total_tax
    assert sum(t.net_taxable for t in record.tax_lines) == record.subtotal
    for line in record.lines:  # what QBO checks: Amount = round(Qty x UnitPrice, 2)
        assert cents(line.quantity * line.unit_price) == line.amount
    assert bool(record.discounts) == (discount != "0")


def test_discount_lines_and_the_invoice_discount_are_taxed_on_the_discounted_amounts() -> None:
    """A returned-part line (negative quantity) and a trade-in (negative price) are lines with negative tax;
    10 % off is one row per tax rate (its subtotal x 10 %, to the cent), taxed at that rate."""
    invoice = _invoice(("2", "95.00", 1, False), ("1", "-20.00", 1, False), ("1.5", "33.33", 2, False), discount="10")
    record = _record(invoice)
    assert [(line.quantity, line.unit_price, line.amount, line.tax_amount) for line in record.lines] == [
        (D("2"), D("95"), D("190.00"), D("24.70")),
        (D("1"), D("-20"), D("-20.00"), D("-2.60")),
        (D("1.5"), D("33.33"), D("50.00"), D("2.50")),
    ]
    assert [(d.percent, d.tax_code_ref, d.amount, d.tax_amount, d.account_ref) for d in record.discounts] == [
        (D("10"), "10", D("-17.00"), D("-2.21"), "1"),
        (D("10"), "11", D("-5.00"), D("-0.25"), "1"),
    ]
    assert [(t.tax_code_ref, t.net_taxable, t.amount) for t in record.tax_lines] == [
        ("10", D("153.00"), D("19.89")),
        ("11", D("45.00"), D("2.25")),
    ]
    assert (record.subtotal, record.total_tax, record.total) == (D("198.00"), D("22.14"), D("220.14"))
    assert total_due(invoice, RATES) == D("220.14")


def test_a_tax_inclusive_invoice_discount_keeps_the_tax_inside_the_discount() -> None:
    invoice = _invoice(("1", "113.00", 1, True), discount="15")
    record = _record(invoice)
    (discount,) = record.discounts
    assert (discount.amount, discount.tax_amount) == (D("-15.00"), D("-1.95"))  # 16.95 off, 1.95 of it tax
    assert (record.subtotal, record.total_tax, record.total) == (D("85.00"), D("11.05"), D("96.05"))
    assert total_due(invoice, RATES) == D("96.05")


def test_a_rate_whose_lines_net_to_nothing_gets_no_discount() -> None:
    invoice = _invoice(("1", "50.00", 1, False), ("1", "-50.00", 1, False), ("1", "40.00", 2, False), discount="10")
    assert [(d.tax_code_ref, d.amount) for d in _record(invoice).discounts] == [("11", D("-4.00"))]


def test_an_invoice_totalling_below_zero_is_the_credit_note_it_is() -> None:
    """Its figures negated (a line's quantity changes sign), still stamped as the invoice (one with an invoice
    discount is parked: see the conformance suite)."""
    invoice = _invoice(("1", "40.00", 1, False), ("-1", "51.06", 1, False))
    assert total_due(invoice, RATES) == D("-12.50")
    credit = _record(invoice)
    assert isinstance(credit, InvoiceCreditRecord) and credit.entity_type is EntityType.INVOICE
    assert (credit.subtotal, credit.total_tax, credit.total) == (D("11.06"), D("1.44"), D("12.50"))
    assert [(line.quantity, line.unit_price, line.amount) for line in credit.lines] == [
        (D("-1"), D("40.00"), D("-40.00")),
        (D("1"), D("51.06"), D("51.06")),
    ]
    assert credit.external_id == f"SO-I{invoice.id}"
    assert _record(_invoice(("1", "40.00", 1, False), ("-1", "40.00", 1, False))).total == D("0.00")


@pytest.mark.parametrize("percent", ["-1", "100.01"])
def test_a_discount_that_is_no_percentage_is_explained(percent: str) -> None:
    with pytest.raises(TransformProblem, match=f"Invoice discount {percent}% is not between 0 and 100"):
        _record(_invoice(("1", "40.00", 1, False), discount=percent))


def test_an_invoice_discount_needs_the_sales_income_account() -> None:
    with pytest.raises(TransformProblem, match="No Sales Income account is mapped for the invoice discount"):
        _record(_invoice(("1", "40.00", 1, False), discount="5"), LedgerMapping(tax_rates=MAPPING.tax_rates))
    assert _record(_invoice(("1", "40.00", 1, False)), LedgerMapping(tax_rates=MAPPING.tax_rates)).total == D("45.20")


def test_a_record_without_discounts_keeps_the_hash_it_was_synced_with() -> None:
    """`discounts` joined the record later: while empty it is not hashed, so nothing synced is resent."""
    record = _record(_invoice(("1", "10.00", 1, False)))
    canonical = _canonical(record)
    assert isinstance(canonical, dict) and "discounts" not in canonical
    discounted = _record(_invoice(("1", "10.00", 1, False), discount="10"))
    assert "discounts" in _canonical(discounted)  # type: ignore[operator]
    assert record.content_hash == "f1a7fc62b84bacd78a4efd7b1048804b"  # as computed before discounts existed


def test_tax_lines_group_by_ledger_tax_rate() -> None:
    record = _record(_invoice(("1", "100.00", 1, False), ("1", "50.00", 1, False), ("1", "20.00", 2, False)))
    assert [(t.tax_code_ref, t.tax_rate_ref, t.net_taxable, t.amount) for t in record.tax_lines] == [
        ("10", "r10", D("150.00"), D("19.50")),
        ("11", "r11", D("20.00"), D("1.00")),
    ]


def test_unmapped_or_inactive_tax_rate_is_explained() -> None:
    with pytest.raises(TransformProblem, match="Tax rate 'GST 5%' has no active mapping"):
        _record(_invoice(("1", "10.00", 2, False)), LedgerMapping(tax_rates={1: "10"}))
    with pytest.raises(TransformProblem, match="HST 13%"):
        _record(_invoice(("1", "10.00", 1, False)), LedgerMapping(tax_rates={1: "13"}))


def test_line_without_tax_rate_and_empty_invoice_are_explained() -> None:
    with pytest.raises(TransformProblem, match="Line 1 of invoice INV-9 has no tax rate"):
        _record(_invoice(("1", "10.00", None, False)))  # type: ignore[arg-type]
    with pytest.raises(TransformProblem, match="has no lines"):
        _record(_invoice())


def test_suggested_mapping_picks_active_accounts_and_same_rate_tax_codes() -> None:
    accounts = [
        LedgerAccount("1", "Old Sales Income", "income", False),
        LedgerAccount("2", "Sales of Product Income", "income", True),
        LedgerAccount("3", "Labour Income", "income", True),
        LedgerAccount("4", "GST/HST Payable", "liability", True),
        LedgerAccount("5", "Undeposited Funds", "undeposited_funds", True),
        LedgerAccount("6", "Chequing", "bank", True),
    ]
    mapping = suggest_mapping(RATES.values(), [SourceCategory(1, "Labour")], accounts, list(LEDGER_RATES.values()))
    assert mapping.accounts == {
        AccountRole.SALES_INCOME: "2",
        AccountRole.TAX_PAYMENT: "4",
        AccountRole.UNDEPOSITED_FUNDS: "5",
    }
    assert mapping.categories == {1: "3"}
    assert mapping.tax_rates == {1: "10", 2: "11", 3: "12"}


def test_content_hash_covers_nested_lines_and_changes_with_them() -> None:
    record = _record(_invoice(("1", "10.00", 1, False)))
    changed = _record(_invoice(("1", "10.01", 1, False)))
    assert len(record.content_hash) == 32
    assert record.content_hash == _record(_invoice(("1", "10.00", 1, False))).content_hash
    assert record.content_hash != changed.content_hash


def test_suggestions_prefer_meaningful_words_over_string_likeness() -> None:
    xero_chart = [
        LedgerAccount("a1", "Interest Income", "income", True),
        LedgerAccount("a2", "Sales", "income", True),
        LedgerAccount("a3", "Other Revenue", "income", True),
    ]
    categories = [SourceCategory(1, "Labour"), SourceCategory(2, "Parts & Materials")]
    mapping = suggest_mapping([], categories, xero_chart, [])
    assert mapping.accounts[AccountRole.SALES_INCOME] == "a2"
    assert mapping.categories == {}  # nothing fits: both fall back to Sales Income
    assert mapping.income_account_for(1) == "a2"


PAYMENT_MAPPING = LedgerMapping(accounts={AccountRole.UNDEPOSITED_FUNDS: "4"}, bank_accounts={1: "35", 2: "36"})


def _payment(bank_account_id: int | None, *, tip: str = "0", reference: str | None = None) -> SourcePayment:
    collected = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
    return SourcePayment(7, 3, D("50.00"), "card", "collected", collected, 9, D(tip), reference, bank_account_id)


def test_a_payment_deposits_to_the_mapped_account_of_its_bank_account_else_undeposited_funds() -> None:
    to_clearing = payment_record(
        _payment(2, reference=" 4242 "), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING
    )
    assert (to_clearing.deposit_account_ref, to_clearing.reference) == ("36", "4242")
    to_undeposited = payment_record(_payment(None), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING)
    assert (to_undeposited.deposit_account_ref, to_undeposited.reference) == ("4", "")
    with pytest.raises(TransformProblem, match="Service Opus bank account 3 is not mapped"):
        payment_record(_payment(3), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING)


def test_a_payment_without_a_reference_keeps_the_hash_it_was_synced_with() -> None:
    """`reference` is hashed only when set: payments synced before it existed are not resent."""
    record = payment_record(_payment(None), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING)
    assert "reference" not in _canonical(record)  # type: ignore[operator]
    with_reference = payment_record(
        _payment(None, reference="1234"), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING
    )
    assert with_reference.content_hash != record.content_hash


def test_a_tip_goes_apart_from_its_payment_into_the_same_account_credited_to_tips() -> None:
    """The payment carries what it pays on the invoice; the tip is its own record, stamped "SO-T<payment id>"."""
    tipped = _payment(2, tip="7.5")
    payment = payment_record(tipped, invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING)
    assert payment.amount == D("50.00")
    with pytest.raises(TransformProblem, match=r"a tip of 7\.50, and no Tips account is mapped"):
        tip_record(tipped, payment, PAYMENT_MAPPING)
    mapping = replace(PAYMENT_MAPPING, accounts={**PAYMENT_MAPPING.accounts, AccountRole.TIPS: "34"})
    tip = tip_record(tipped, payment, mapping)
    assert (tip.external_id, tip.amount) == ("SO-T7", D("7.50"))
    assert (tip.deposit_account_ref, tip.tips_account_ref) == ("36", "34")
    assert (tip.customer_ref, tip.paid_on, tip.payment_external_id) == ("C", payment.paid_on, "SO-P7")
    with pytest.raises(TransformProblem, match="not a positive whole number of cents"):
        tip_record(_payment(2, tip="0.005"), payment, mapping)


def test_suggestions_map_bank_accounts_tips_and_fees_by_name_only() -> None:
    chart = [
        LedgerAccount("b1", "Chequing", "bank", True),
        LedgerAccount("b2", "Card Clearing", "bank", True),
        LedgerAccount("b3", "Cash Drawer", "bank", True),
        LedgerAccount("b4", "Payment Clearing", "undeposited_funds", True),
        LedgerAccount("b5", "Old Till", "bank", False),
        LedgerAccount("l1", "GST/HST Payable", "liability", True),
        LedgerAccount("l2", "Tips Payable", "liability", True),
        LedgerAccount("e1", "Bank Charges", "expense", True),
    ]
    banks = [
        SourceBankAccount(1, "Operating Account", "operating"),
        SourceBankAccount(2, "Card Clearing", "card_clearing"),
        SourceBankAccount(3, "Cash Drawer", "cash_drawer"),
        SourceBankAccount(4, "Petty Safe", "cash_drawer"),
    ]
    mapping = suggest_mapping([], [], chart, [], banks)
    assert mapping.bank_accounts == {1: "b1", 2: "b2", 3: "b3", 4: "b3"}  # the kind's words count: a cash drawer
    no_drawer = suggest_mapping([], [], [a for a in chart if a.id != "b3"], [], banks)
    assert 4 not in no_drawer.bank_accounts and 3 not in no_drawer.bank_accounts  # no name fits: left for the admin
    assert mapping.accounts[AccountRole.TIPS] == "l2"
    assert mapping.accounts[AccountRole.PROCESSING_FEES] == "e1"
    without_tips = suggest_mapping([], [], [a for a in chart if a.id != "l2"], [], banks)
    assert AccountRole.TIPS not in without_tips.accounts  # never the tax payable account


def test_a_foreign_invoice_and_its_payment_carry_the_recorded_rates_and_home_ones_keep_their_hash() -> None:
    """The rates are hashed only when set: home-currency invoices and payments synced before them are not resent."""
    home = _record(_invoice(("1", "100.00", 1, False)))
    assert "exchange_rate" not in _canonical(home)  # type: ignore[operator]
    foreign = _record(replace(_invoice(("1", "100.00", 1, False)), currency="USD", exchange_rate=D("1.3512")))
    assert (foreign.currency, foreign.exchange_rate) == ("USD", D("1.3512"))
    paid = replace(_payment(None), exchange_rate=D("1.3630"))
    record = payment_record(paid, invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING, invoice_currency="USD")
    assert (record.currency, record.exchange_rate) == ("USD", D("1.3630"))
    with pytest.raises(TransformProblem, match="Payment of a USD invoice has no exchange rate recorded"):
        payment_record(
            _payment(None), invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING, invoice_currency="USD"
        )
    with pytest.raises(TransformProblem, match="home currency has an exchange rate"):
        payment_record(paid, invoice_ref="I", customer_ref="C", mapping=PAYMENT_MAPPING)


def test_a_foreign_invoice_below_zero_is_a_credit_note_in_its_currency_at_its_rate() -> None:
    credit = replace(_invoice(("-1", "100.00", 1, False)), currency="USD", exchange_rate=D("1.35"))
    record = _record(credit)
    assert isinstance(record, InvoiceCreditRecord)
    assert (record.currency, record.exchange_rate, record.total) == ("USD", D("1.35"), D("113.00"))


def _note(currency: str, rate: str | None, customer_currency: str | None) -> CreditNoteRecord:
    note = SourceCreditNote(
        5, "CN-5", 4, 9, date(2026, 2, 3), currency, "issued", (SourceLine(7, 1, "x", D(1), D("40.00"), 1, False),)
    )
    return credit_note_record(
        replace(note, exchange_rate=D(rate) if rate else None),
        customer_ref="C1",
        item_refs={7: "I7"},
        tax_rates=RATES,
        mapping=MAPPING,
        ledger_tax_rates=LEDGER_RATES,
        customer_currency=customer_currency,
    )


def test_a_foreign_credit_note_and_its_application_carry_its_recorded_rate_and_home_ones_keep_their_hash() -> None:
    home = _note("CAD", None, None)
    assert "exchange_rate" not in _canonical(home)  # type: ignore[operator]
    applied = credit_application_record(home, credit_note_ref="N", invoice_ref="I")
    assert "currency" not in _canonical(applied) and "exchange_rate" not in _canonical(applied)  # type: ignore[operator]
    foreign = _note("USD", "1.3512", "USD")
    assert (foreign.currency, foreign.exchange_rate, foreign.total) == ("USD", D("1.3512"), D("45.20"))
    applied = credit_application_record(foreign, credit_note_ref="N", invoice_ref="I")
    assert (applied.currency, applied.exchange_rate) == ("USD", D("1.3512"))


@pytest.mark.parametrize(
    ("currency", "rate", "customer_currency", "reason"),
    [
        ("USD", None, "USD", "Credit note CN-5 is in USD, not the company's currency, and has no exchange rate"),
        ("CAD", "1.3512", None, "Credit note CN-5 has an exchange rate recorded, but its customer is billed in"),
        ("EUR", "1.51", "USD", "Credit note CN-5 is in EUR, but its customer is billed in USD"),
    ],
)
def test_a_credit_note_out_of_its_customers_currency_or_without_its_rate_is_parked(
    currency: str, rate: str | None, customer_currency: str | None, reason: str
) -> None:
    with pytest.raises(TransformProblem, match=reason):
        _note(currency, rate, customer_currency)
