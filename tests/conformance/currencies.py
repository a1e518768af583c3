"""Issue 17's foreign-currency customers, for every ledger: a USD customer of a CAD company (a CAD one of a US
company), invoiced and paid at the rates Service Opus recorded. The ledger holds the invoice in the customer's
currency and at home (the foreign total times the invoice's rate, half-up to the cent: `core.currency`); the payment
lands in the home-currency bank account at its own rate, and clears the invoice's home balance at the invoice's
rate, so the difference is a realised exchange gain (QBO: its Exchange Gain or Loss account; Xero: Realised Currency
Gains), never left in receivables. Helpers are the suite's own (read through the module, which imports this mixin
while it is still being defined)."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from ledger_sync.core.currency import exchange_difference, home_amount
from ledger_sync.core.ledger import ErrorKind
from ledger_sync.core.records import CustomerRecord, EntityType, InvoiceRecord, PaymentRecord
from ledger_sync.core.snapshots import SourceInvoice
from ledger_sync.core.transform import invoice_record
from tests.conformance import suite

RATES = {"CAD": (Decimal("1.3512"), Decimal("1.3630")), "USD": (Decimal("0.7403"), Decimal("0.7288"))}
"""Home currency -> (the invoice's recorded rate, the payment's) for one unit of the foreign currency: the CAD
company gains on its USD invoice, the US company loses on its CAD one."""


def _foreign(harness: "suite.LedgerHarness") -> str:
    return "USD" if harness.currency == "CAD" else "CAD"


def _invoice(harness: "suite.LedgerHarness", customer_ref: str, item_ref: str, rate: Decimal) -> InvoiceRecord:
    """A foreign-currency invoice at `rate` as the sync builds it, lines whose home amounts round on their own."""
    source_id = harness.next_id()
    lines = (suite._line("3", "95.00", suite.GST), suite._line("1.5", "33.33", suite.HST))
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
    assert isinstance(record, InvoiceRecord) and record.exchange_rate == rate
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
        payment = PaymentRecord(
            harness.next_id(),
            invoice_ref,
            foreign_customer,
            record.total,
            date(2026, 3, 20),
            "check",
            bank,
            "2044",
            currency=record.currency,
            exchange_rate=payment_rate,
        )
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
