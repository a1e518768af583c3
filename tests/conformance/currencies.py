"""Issue 17's foreign-currency customers, for every ledger: a USD customer of a CAD company (a CAD one of a US
company), invoiced and paid at the rates Service Opus recorded. The ledger holds the invoice in the customer's
currency and at home (the foreign total times the invoice's rate, half-up to the cent: `core.currency`); the payment
lands in the home-currency bank account at its own rate, and clears the invoice's home balance at the invoice's
rate, so the difference is a realised exchange gain (QBO: its Exchange Gain or Loss account; Xero: Realised Currency
Gains), never left in receivables. Helpers are the suite's own (read through the module, which imports this mixin
while it is still being defined)."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from ledger_sync.core.currency import exchange_difference, home_amount
from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import (
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceCreditRecord,
    InvoiceRecord,
    PaymentRecord,
)
from ledger_sync.core.refunds import refund_record
from ledger_sync.core.snapshots import SourceCreditNote, SourceInvoice, SourceLine, SourceRefund
from ledger_sync.core.transform import (
    TransformProblem,
    credit_application_record,
    credit_note_record,
    invoice_record,
)
from tests.conformance import suite

RATES = {"CAD": (Decimal("1.3512"), Decimal("1.3630")), "USD": (Decimal("0.7403"), Decimal("0.7288"))}
"""Home currency -> (the invoice's recorded rate, the payment's) for one unit of the foreign currency: the CAD
company gains on its USD invoice, the US company loses on its CAD one."""


def _foreign(harness: "suite.LedgerHarness") -> str:
    return "USD" if harness.currency == "CAD" else "CAD"


def _paid_by_check(
    harness: "suite.LedgerHarness",
    record: InvoiceRecord,
    invoice_ref: str,
    customer_ref: str,
    check_number: str,
    rate: Decimal,
) -> PaymentRecord:
    """The whole of a foreign-currency invoice paid by check into the home-currency bank account at `rate`."""
    return PaymentRecord(
        harness.next_id(),
        invoice_ref,
        customer_ref,
        record.total,
        date(2026, 3, 20),
        "check",
        harness.account("bank").id,
        check_number,
        currency=record.currency,
        exchange_rate=rate,
    )


def _invoice(harness: "suite.LedgerHarness", customer_ref: str, item_ref: str, rate: Decimal) -> InvoiceRecord:
    """A foreign-currency invoice at `rate` as the sync builds it, lines whose home amounts round on their own."""
    record = _document(harness, customer_ref, item_ref, rate)
    assert isinstance(record, InvoiceRecord)
    return record


def _document(
    harness: "suite.LedgerHarness",
    customer_ref: str,
    item_ref: str,
    rate: Decimal,
    lines: tuple[SourceLine, ...] | None = None,
) -> InvoiceRecord | InvoiceCreditRecord:
    """A foreign-currency invoice at `rate` as the sync builds it (one totalling below zero: the credit note it is)."""
    source_id = harness.next_id()
    lines = lines or (suite._line("3", "95.00", suite.GST), suite._line("1.5", "33.33", suite.HST))
    snapshot = SourceInvoice(
        source_id,
        f"FX-{source_id:04d}",
        1,
        date(2026, 3, 2),
        date(2026, 4, 1),
        _foreign(harness),
        "locked",
        datetime(2026, 3, 2, 12),
        lines,
        exchange_rate=rate,
    )
    mapping, ledger_rates = suite._mapping(harness)
    record = invoice_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={suite.PRODUCT: item_ref},
        tax_rates=suite.SOURCE_RATES,
        mapping=mapping,
        ledger_tax_rates=ledger_rates,
    )
    assert record.exchange_rate == rate
    return record


class ForeignCurrencyScenarios:
    """Mixed into `suite.LedgerConformance`."""

    @pytest.fixture(scope="class")
    def foreign_customer(self, ledger_harness: "suite.LedgerHarness") -> str:
        """A customer billed in the foreign currency, once the ledger takes it: before a bookkeeper enables it the
        ledger says what is missing and refuses the customer."""
        harness = ledger_harness
        foreign = _foreign(harness)
        assert harness.enable_currency is not None, "the harness lets a bookkeeper enable a currency"
        currencies = harness.connector.currencies()
        assert currencies.home == harness.currency
        missing = currencies.missing(foreign, harness.plugin.label)
        assert missing is not None and foreign in missing, missing
        early = CustomerRecord(harness.next_id(), f"Early Customer {harness.next_id()}", currency=foreign)
        (refused,) = suite._write(harness, [suite._op(early)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        harness.enable_currency(foreign)
        assert harness.connector.currencies().missing(foreign, harness.plugin.label) is None
        customer = CustomerRecord(harness.next_id(), f"Foreign Customer {harness.next_id()}", currency=foreign)
        return suite._created(harness, customer)

    def test_a_foreign_invoice_and_its_payment_at_recorded_rates_equal_service_opus_at_home_and_abroad(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """The invoice's foreign total and balance, and its home total and balance, equal Service Opus's to the
        cent; paid at another rate, its balances are 0 in both currencies and the bank took the payment's home
        amount: the realised gain or loss is exactly what the rates make of it."""
        harness = ledger_harness
        invoice_rate, payment_rate = RATES[harness.currency]
        record = _invoice(harness, foreign_customer, parties[1], invoice_rate)
        home_total = home_amount(record.total, invoice_rate)
        for _ in range(2):  # sent again (a re-run after an unknown outcome): the ledger's first answer
            invoice_ref = suite._created(harness, record)
        (held,) = harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (held.ledger_id, held.amount, held.balance) == (invoice_ref, record.total, record.total)
        assert (held.home_amount, held.home_balance) == (home_total, home_total)

        bank = harness.account("bank").id
        (before,) = harness.connector.account_balances([bank]).values()
        payment = _paid_by_check(harness, record, invoice_ref, foreign_customer, "2044", payment_rate)
        suite._created(harness, payment)
        (paid,) = harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (paid.balance, paid.home_amount, paid.home_balance) == (Decimal("0.00"), home_total, Decimal("0.00"))
        (after,) = harness.connector.account_balances([bank]).values()
        landed = home_amount(record.total, payment_rate)
        assert after - before == landed
        gain = exchange_difference(record.total, invoice_rate, payment_rate)
        assert landed - home_total == gain != 0  # booked as a realised exchange gain or loss, not left in A/R

    def test_a_payment_without_its_rate_or_an_invoice_in_another_currency_than_its_customers_is_refused(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """Both ledgers book a transaction in its customer's currency, and a foreign one at a rate; each refusal
        leaves the books as they were."""
        harness = ledger_harness
        home_customer, item_ref = parties
        invoice_rate, _ = RATES[harness.currency]
        stray = _invoice(harness, home_customer, item_ref, invoice_rate)
        (refused,) = suite._write(harness, [suite._op(stray)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        assert harness.connector.find_by_external_id(EntityType.INVOICE, [stray]) == {}

        record = _invoice(harness, foreign_customer, item_ref, invoice_rate)
        invoice_ref = suite._created(harness, record)
        bank = harness.account("bank").id
        rateless = PaymentRecord(
            harness.next_id(), invoice_ref, foreign_customer, Decimal("50.00"), date(2026, 3, 9), "cash", bank
        )
        (refused,) = suite._write(harness, [suite._op(rateless)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        assert harness.invoice_amounts(invoice_ref) == (record.total, record.total)

    def test_a_foreign_credit_note_applied_to_its_invoice_equals_service_opus_at_home_and_abroad(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """The credit note is held in the customer's currency at the rate Service Opus recorded on it, worth its
        foreign total times that rate at home, to the cent; applied to the invoice it credits (in that currency), it
        takes exactly its total off the invoice's foreign balance."""
        harness = ledger_harness
        invoice_rate, note_rate = RATES[harness.currency]
        record = _invoice(harness, foreign_customer, parties[1], invoice_rate)
        invoice_ref = suite._created(harness, record)
        note = _credit_note(harness, foreign_customer, parties[1], note_rate)
        for _ in range(2):  # sent again (a re-run after an unknown outcome): the ledger's first answer
            note_ref = suite._created(harness, note)
        (held,) = harness.connector.read_back(EntityType.CREDIT_NOTE, [note])[note.source_id]
        assert (held.ledger_id, held.amount, held.tax) == (note_ref, note.total, note.total_tax)
        assert held.home_amount == home_amount(note.total, note_rate)
        applied = credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref)
        assert (applied.currency, applied.exchange_rate) == (note.currency, note_rate)
        suite._created(harness, applied)
        assert harness.invoice_amounts(invoice_ref) == (record.total, record.total - note.total)

    def test_a_credit_in_another_currency_than_its_invoice_is_not_applied(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """A home-currency credit note cannot pay down a foreign invoice (nor one of another customer): refused, and
        both documents keep what they held."""
        harness = ledger_harness
        home_customer, item_ref = parties
        invoice_rate, _ = RATES[harness.currency]
        record = _invoice(harness, foreign_customer, item_ref, invoice_rate)
        invoice_ref = suite._created(harness, record)
        note = suite._credit_note(harness, home_customer, item_ref, [suite._line("1", "20.00", suite.GST)])
        note_ref = suite._created(harness, note)
        stray = credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref)
        (refused,) = suite._write(harness, [suite._op(stray)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        assert harness.invoice_amounts(invoice_ref) == (record.total, record.total)
        (held,) = harness.connector.read_back(EntityType.CREDIT_NOTE, [note])[note.source_id]
        assert held.balance == note.total

    def test_a_foreign_invoice_below_zero_is_a_credit_note_in_its_currency(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """Service Opus's invoice totalling below zero goes as the credit note it is, in the customer's currency at
        the invoice's rate; read back as the invoice, its figures and home amount are Service Opus's negated."""
        harness = ledger_harness
        invoice_rate, _ = RATES[harness.currency]
        lines = (suite._line("1", "40.00", suite.GST), suite._line("-1", "52.37", suite.GST))
        record = _document(harness, foreign_customer, parties[1], invoice_rate, lines)
        assert isinstance(record, InvoiceCreditRecord) and record.exchange_rate == invoice_rate
        suite._created(harness, record)
        (held,) = harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert held.amount == -record.total
        assert held.home_amount is not None and abs(held.home_amount) == home_amount(record.total, invoice_rate)

    def test_a_foreign_refund_pays_back_at_its_own_rate_from_the_home_bank_account(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """A refund of a foreign payment is in the invoice's currency at the rate Service Opus recorded when it was
        paid back: it gives back its share of revenue and tax in that currency and takes its home amount out of the
        home-currency bank account, to the cent. Without its rate it is refused."""
        harness = ledger_harness
        invoice_rate, refund_rate = RATES[harness.currency]
        record = _invoice(harness, foreign_customer, parties[1], invoice_rate)
        invoice_ref = suite._created(harness, record)
        bank = harness.account("bank").id
        payment = _paid_by_check(harness, record, invoice_ref, foreign_customer, "2045", invoice_rate)
        suite._created(harness, payment)
        source = SourceRefund(harness.next_id(), payment.source_id, Decimal("61.19"), date(2026, 3, 27), "Goodwill")
        with pytest.raises(TransformProblem, match="no exchange rate recorded"):
            refund_record(source, record, payment_number=payment.source_id, deposit_account_ref=bank)
        refund = refund_record(
            replace(source, exchange_rate=refund_rate),
            record,
            payment_number=payment.source_id,
            deposit_account_ref=bank,
        )
        assert (refund.currency, refund.exchange_rate, refund.total) == (record.currency, refund_rate, source.amount)
        rateless = replace(refund, source_id=harness.next_id(), exchange_rate=None)
        (refused,) = suite._write(harness, [suite._op(rateless)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        (before,) = harness.connector.account_balances([bank]).values()
        suite._created(harness, refund)
        (held,) = harness.connector.read_back(EntityType.REFUND, [refund])[refund.source_id]
        assert (held.amount, held.tax) == (refund.total, refund.total_tax)
        (after,) = harness.connector.account_balances([bank]).values()
        assert before - after == home_amount(refund.total, refund_rate)

    def test_a_customers_currency_is_kept_once_it_has_transactions(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str], foreign_customer: str
    ) -> None:
        """Both ledgers hold a customer in one currency: moving one with an invoice to another enabled currency is
        refused (Xero: stricter than its documentation, see the sandbox's `contacts`)."""
        harness = ledger_harness
        customer = CustomerRecord(
            harness.next_id(), f"Settled Customer {harness.next_id()}", currency=_foreign(harness)
        )
        ref = suite._written(harness, customer)
        invoice_rate, _ = RATES[harness.currency]
        suite._created(harness, _invoice(harness, ref.id, parties[1], invoice_rate))
        assert harness.enable_currency is not None
        harness.enable_currency("EUR")
        (refused,) = suite._write(harness, [suite._op(replace(customer, currency="EUR"), ref)])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused


def _credit_note(harness: "suite.LedgerHarness", customer_ref: str, item_ref: str, rate: Decimal) -> CreditNoteRecord:
    """A credit note in the customer's (foreign) currency at `rate`, as the sync builds it."""
    source_id = harness.next_id()
    lines = (suite._line("1", "33.33", suite.HST),)
    snapshot = SourceCreditNote(
        source_id,
        f"FXN-{source_id:04d}",
        1,
        None,
        date(2026, 3, 5),
        _foreign(harness),
        "issued",
        lines,
        exchange_rate=rate,
    )
    mapping, ledger_rates = suite._mapping(harness)
    return credit_note_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={suite.PRODUCT: item_ref},
        tax_rates=suite.SOURCE_RATES,
        mapping=mapping,
        ledger_tax_rates=ledger_rates,
        customer_currency=_foreign(harness),
    )
