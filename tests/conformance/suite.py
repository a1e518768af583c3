"""The conformance suite: the same scenarios and the same expected outcomes for every ledger plug-in,
reusable as the Singer SDK ships its standard target tests. A ledger runs it from its own harness
module (`test_<ledger>.py`): subclass `LedgerConformance` and provide a module-scoped `ledger_harness`
fixture. Nothing in here knows a ledger by name; it speaks only the ledger protocol.

Invoices are built from Service Opus snapshots through `transform.invoice_record`, so "equal to the
cent" means equal to `total_due`, what Service Opus prints, as read back from the ledger.
"""

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from ledger_sync.connectors.registry import LedgerPlugin
from ledger_sync.core.ledger import (
    ErrorKind,
    LedgerAccount,
    LedgerConnector,
    LedgerRef,
    LedgerTaxRate,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.records import (
    Address,
    CreditNoteRecord,
    CustomerRecord,
    EntityType,
    InvoiceCreditRecord,
    InvoiceRecord,
    ItemRecord,
    LedgerRecord,
    PaymentRecord,
)
from ledger_sync.core.snapshots import SourceCreditNote, SourceInvoice, SourceLine
from ledger_sync.core.transform import (
    TransformProblem,
    credit_application_record,
    credit_note_record,
    invoice_record,
    total_due,
)
from tests.conformance.credit_voids import CreditVoidScenarios
from tests.conformance.currencies import ForeignCurrencyScenarios
from tests.conformance.existing_books import ExistingBooksConformance
from tests.conformance.money_day import MoneyDay
from tests.conformance.prepayments import DepositsAndOverpayments
from tests.conformance.reissue import ReissueScenarios
from tests.conformance.reversals import RefundsAndReversals


@dataclass
class LedgerHarness:
    """What a ledger's harness module hands the suite: the registered plug-in, a connector built by the
    plug-in's factory, and the few vendor facts the scenarios cannot learn through the protocol."""

    plugin: LedgerPlugin
    connector: LedgerConnector
    invoice_amounts: Callable[[str], tuple[Decimal, Decimal]]
    """(total, balance due) of an invoice as the ledger reports it, by ledger id."""
    unknown_customer_ref: str
    """A well-formed customer reference the ledger does not know."""
    customer_name: Callable[[str], str]
    """A customer's name as the ledger holds it, by ledger id."""
    currency: str = "CAD"
    """The ledger company's home currency, which the scenarios' Service Opus company bills in."""
    stand_in_percents: Mapping[int, Decimal] = field(default_factory=dict)
    """Service Opus rate id (`GST`, `HST`) -> the percentage of the active ledger tax rate that stands for it,
    where that is not the Service Opus rate's own percentage (the default, as the suggested mapping picks)."""
    accounts: list[LedgerAccount] = field(default_factory=list)
    tax_rates: list[LedgerTaxRate] = field(default_factory=list)
    edits_paid_invoices: bool = True
    """Whether the ledger edits an invoice with a payment allocated; if not, it refuses with `ErrorKind.LOCKED`."""
    close_books: Callable[[date | None], None] | None = None
    """Close the books through a date (None: reopen them), where the ledger has a closing date the tests can set."""
    enable_currency: Callable[[str], None] | None = None
    """Let the ledger company take a foreign currency, as a bookkeeper does (see `tests.ledgers.LedgerFacts`)."""
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.accounts = self.connector.list_accounts()
        self.tax_rates = self.connector.list_tax_rates()

    def next_id(self) -> int:
        """A source id (and name suffix) no other scenario on this ledger uses."""
        return next(self._ids)

    def account(self, kind: str) -> LedgerAccount:
        return next(a for a in self.accounts if a.type == kind and a.active)

    def stand_in(self, source: SourceTaxRate) -> LedgerTaxRate:
        """The active ledger tax rate a Service Opus rate of the scenarios is mapped to."""
        percent = self.stand_in_percents.get(source.id, source.rate)
        found = [t for t in self.tax_rates if t.active and t.rate_percent == percent]
        assert found, f"the ledger has no active {percent}% tax rate to stand for {source.name}"
        return found[0]


GST, HST = 1, 2
SOURCE_RATES = {
    GST: SourceTaxRate(GST, "GST", Decimal("5"), True),
    HST: SourceTaxRate(HST, "HST", Decimal("13"), True),
}
PRODUCT = 1


def _write(harness: LedgerHarness, ops: list[WriteOp]) -> list[WriteOutcome]:
    return harness.connector.write(ops[0].record.entity_type, ops)


def _op(record: LedgerRecord, existing: LedgerRef | None = None) -> WriteOp:
    return WriteOp(record, f"conformance-{record.external_id}-{record.content_hash[:12]}", existing)


def _created(harness: LedgerHarness, record: LedgerRecord) -> str:
    return _written(harness, record).id


def _written(harness: LedgerHarness, record: LedgerRecord, existing: LedgerRef | None = None) -> LedgerRef:
    """The record created, or updated in place when `existing` is given (then it keeps its ledger id)."""
    (outcome,) = _write(harness, [_op(record, existing)])
    assert outcome.error is None and outcome.ref is not None, outcome.error
    assert existing is None or outcome.ref.id == existing.id
    return outcome.ref


def _customer(harness: LedgerHarness, name: str | None = None) -> CustomerRecord:
    source_id = harness.next_id()
    return CustomerRecord(source_id, name or f"Conformance Customer {source_id}", email=f"c{source_id}@example.test")


def _item(harness: LedgerHarness) -> ItemRecord:
    source_id = harness.next_id()
    income = harness.account("income").id
    return ItemRecord(source_id, f"Service call {source_id}", "On site", Decimal("95.00"), income)


def _invoice(
    harness: LedgerHarness,
    customer_ref: str,
    item_ref: str,
    lines: list[SourceLine],
    discount: str = "0",
    source_id: int | None = None,
) -> InvoiceRecord:
    """`discount`: Service Opus's invoice discount in percent, which comes off each tax rate before tax.
    `source_id`: an invoice built before, as it is after an edit (None: a new invoice)."""
    record = _document(harness, customer_ref, item_ref, lines, discount, source_id)
    assert isinstance(record, InvoiceRecord)
    return record


def _document(
    harness: LedgerHarness,
    customer_ref: str,
    item_ref: str,
    lines: list[SourceLine],
    discount: str = "0",
    source_id: int | None = None,
) -> InvoiceRecord | InvoiceCreditRecord:
    """An invoice as the sync builds it: one totalling below zero is the credit note it is."""
    source_id = source_id or harness.next_id()
    snapshot = SourceInvoice(
        source_id,
        f"CONF-{source_id:04d}",
        1,
        date(2026, 3, 2),
        date(2026, 4, 1),
        harness.currency,
        "locked",
        datetime(2026, 3, 2, 12),
        tuple(lines),
        discount_percent=Decimal(discount),
    )
    mapping, ledger_rates = _mapping(harness)
    record = invoice_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={PRODUCT: item_ref},
        tax_rates=SOURCE_RATES,
        mapping=mapping,
        ledger_tax_rates=ledger_rates,
    )
    printed = total_due(snapshot, SOURCE_RATES)
    assert record.total == (-printed if isinstance(record, InvoiceCreditRecord) else printed)
    return record


def _mapping(harness: LedgerHarness) -> tuple[LedgerMapping, dict[str, LedgerTaxRate]]:
    stand_ins = {source_id: harness.stand_in(rate) for source_id, rate in SOURCE_RATES.items()}
    mapping = LedgerMapping(
        accounts={AccountRole.SALES_INCOME: harness.account("income").id},
        tax_rates={source_id: rate.id for source_id, rate in stand_ins.items()},
    )
    return mapping, {rate.id: rate for rate in stand_ins.values()}


def _credit_note(harness: LedgerHarness, customer_ref: str, item_ref: str, lines: list[SourceLine]) -> CreditNoteRecord:
    """A credit note built by the same money code as invoices: its total is what Service Opus prints."""
    source_id = harness.next_id()
    snapshot = SourceCreditNote(
        source_id, f"CRN-{source_id:04d}", 1, None, date(2026, 3, 5), harness.currency, "issued", tuple(lines)
    )
    mapping, ledger_rates = _mapping(harness)
    return credit_note_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={PRODUCT: item_ref},
        tax_rates=SOURCE_RATES,
        mapping=mapping,
        ledger_tax_rates=ledger_rates,
    )


def _assert_tax_and_net_as_printed(harness: LedgerHarness, record: InvoiceRecord, ledger_id: str) -> None:
    """The invoice as the ledger reads it back carries Service Opus's tax and net to the cent, not only its total."""
    (invoice,) = harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
    assert invoice.ledger_id == ledger_id and invoice.tax is not None
    assert (invoice.tax, invoice.amount - invoice.tax) == (record.total_tax, record.subtotal)


def _line(quantity: str, price: str, rate: int, inclusive: bool = False) -> SourceLine:
    return SourceLine(PRODUCT, 1, f"Work {quantity} x {price}", Decimal(quantity), Decimal(price), rate, inclusive)


@dataclass
class _OpusBooks:
    """What Service Opus holds for one customer through the lifecycle scenario: each invoice with what was paid
    and credited on it and whether it is void, each credit note with what of it was applied."""

    invoices: dict[int, InvoiceRecord] = field(default_factory=dict)
    paid: dict[int, Decimal] = field(default_factory=dict)
    credited: dict[int, Decimal] = field(default_factory=dict)
    void: set[int] = field(default_factory=set)
    notes: dict[int, CreditNoteRecord] = field(default_factory=dict)
    applied: dict[int, Decimal] = field(default_factory=dict)

    def open_balances(self) -> dict[int, Decimal]:
        zero = Decimal("0.00")
        return {
            source_id: zero
            if source_id in self.void
            else record.total - self.paid.get(source_id, zero) - self.credited.get(source_id, zero)
            for source_id, record in self.invoices.items()
        }

    def figures(self) -> tuple[Decimal, Decimal, Decimal]:
        """(the customer's open balance, revenue, sales tax): credit notes' unapplied credit and their figures
        count against the invoices'; a void invoice counts for nothing."""
        live = [record for source_id, record in self.invoices.items() if source_id not in self.void]
        unapplied = sum((n.total - self.applied.get(i, Decimal(0)) for i, n in self.notes.items()), Decimal("0.00"))
        balance = sum(self.open_balances().values(), Decimal("0.00")) - unapplied
        revenue = sum((r.subtotal for r in live), Decimal("0.00")) - sum(
            (n.subtotal for n in self.notes.values()), Decimal("0.00")
        )
        tax = sum((r.total_tax for r in live), Decimal("0.00")) - sum(
            (n.total_tax for n in self.notes.values()), Decimal("0.00")
        )
        return balance, revenue, tax


def _assert_books_equal(harness: LedgerHarness, books: _OpusBooks, step: str) -> None:
    """The ledger, read back through the protocol, holds what Service Opus does: each invoice's open balance, and
    the customer's open balance, revenue and sales tax, to the cent."""
    connector = harness.connector
    invoices = connector.read_back(EntityType.INVOICE, list(books.invoices.values()))
    notes = connector.read_back(EntityType.CREDIT_NOTE, list(books.notes.values())) if books.notes else {}
    held: dict[int, Decimal] = {}
    live_invoices, live_notes = [], []
    for source_id in books.invoices:
        present = [snapshot for snapshot in invoices.get(source_id, []) if snapshot.present]
        assert len(present) <= 1, f"{step}: invoice {source_id} is in the ledger {len(present)} times"
        assert len(invoices.get(source_id, [])) == 1, f"{step}: invoice {source_id} read back {invoices.get(source_id)}"
        (snapshot,) = invoices[source_id]
        assert snapshot.balance is not None and snapshot.tax is not None
        held[source_id] = snapshot.balance
        live_invoices += present
    for source_id in books.notes:
        (snapshot,) = notes.get(source_id, [])
        assert snapshot.present and snapshot.balance is not None and snapshot.tax is not None
        live_notes.append(snapshot)
    assert held == books.open_balances(), f"{step}: open balance per invoice"
    zero = Decimal("0.00")
    balance = sum((s.balance or zero for s in live_invoices), zero) - sum((s.balance or zero for s in live_notes), zero)
    revenue = sum((s.amount - (s.tax or zero) for s in live_invoices), zero) - sum(
        (s.amount - (s.tax or zero) for s in live_notes), zero
    )
    tax = sum((s.tax or zero for s in live_invoices), zero) - sum((s.tax or zero for s in live_notes), zero)
    assert (balance, revenue, tax) == books.figures(), f"{step}: the customer's open balance, revenue and tax"


from tests.conformance.credit_undone import CreditUndone  # noqa: E402  (the mixin reads the helpers above)
from tests.conformance.money_in_and_out import MoneyInAndOut  # noqa: E402  (the mixin reads the helpers above)
from tests.conformance.tracking import TrackingScenarios  # noqa: E402  (the mixin reads the helpers above)


class LedgerConformance(
    MoneyInAndOut,
    RefundsAndReversals,
    ReissueScenarios,
    CreditVoidScenarios,
    ExistingBooksConformance,
    DepositsAndOverpayments,
    CreditUndone,
    MoneyDay,
    TrackingScenarios,
    ForeignCurrencyScenarios,
):
    """The scenarios; a harness module subclasses this as `Test<Ledger>Conformance`."""

    pytestmark = pytest.mark.slow

    @pytest.fixture(scope="class")
    def parties(self, ledger_harness: LedgerHarness) -> tuple[str, str]:
        """(customer ref, item ref) that invoices in these scenarios use."""
        return _created(ledger_harness, _customer(ledger_harness)), _created(ledger_harness, _item(ledger_harness))

    def test_the_plugin_declares_what_the_connector_does(self, ledger_harness: LedgerHarness) -> None:
        plugin, connector = ledger_harness.plugin, ledger_harness.connector
        assert (connector.ledger, connector.max_batch_size) == (plugin.name, plugin.max_batch_size)
        assert plugin.limits.ledger == plugin.name and plugin.label
        assert set(EntityType) <= plugin.record_kinds, "a sync writes customers, items, invoices and payments"

    def test_accounts_and_tax_rates_are_normalised(self, ledger_harness: LedgerHarness) -> None:
        kinds = {a.type for a in ledger_harness.accounts if a.active}
        assert {"income", "bank", "undeposited_funds", "liability"} <= kinds
        assert any(not a.active for a in ledger_harness.accounts), "an archived account is reported inactive"
        assert any(not t.active for t in ledger_harness.tax_rates), "an archived tax rate is reported inactive"
        for source in SOURCE_RATES.values():
            rate = ledger_harness.stand_in(source)
            assert rate.rate_percent == ledger_harness.stand_in_percents.get(source.id, source.rate) and rate.rate_ref

    def test_a_new_customer_is_created_found_and_updated_when_changed(self, ledger_harness: LedgerHarness) -> None:
        record = _customer(ledger_harness)
        ledger_id = _created(ledger_harness, record)
        found = ledger_harness.connector.find_by_external_id(EntityType.CUSTOMER, [record])
        assert found[record.source_id].id == ledger_id
        changed = CustomerRecord(record.source_id, record.display_name, email="new-address@example.test")
        (outcome,) = _write(ledger_harness, [_op(changed, found[record.source_id])])
        assert outcome.error is None and outcome.ref is not None and outcome.ref.id == ledger_id

    def test_a_multi_rate_invoice_totals_what_service_opus_prints(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        record = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST), _line("1.5", "33.33", HST)])
        ledger_id = _created(ledger_harness, record)
        total, balance = ledger_harness.invoice_amounts(ledger_id)
        assert total == balance == record.total == Decimal("256.00")
        _assert_tax_and_net_as_printed(ledger_harness, record, ledger_id)

    def test_a_tax_inclusive_invoice_is_equal_to_the_cent(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Lines whose ledger-side tax rounds otherwise, and a net unit price finer than 4 places."""
        lines = [_line("1", "1.00", HST, True), _line("7", "49.99", HST, True), _line("0.75", "10.00", GST, True)]
        record = _invoice(ledger_harness, *parties, lines)
        ledger_id = _created(ledger_harness, record)
        total, _ = ledger_harness.invoice_amounts(ledger_id)
        assert total == record.total == Decimal("1.00") + Decimal("349.93") + Decimal("7.50")
        _assert_tax_and_net_as_printed(ledger_harness, record, ledger_id)

    def test_credit_lines_and_an_invoice_discount_are_equal_to_the_cent_and_can_be_paid_off(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """A returned item (quantity -1), a trade-in (unit price -15.00) and 10 % off: tax on the discounted
        amounts, read back as the ledger holds them, and a payment of the whole total clears it."""
        customer_ref, _ = parties
        lines = [_line("2", "95.00", HST), _line("-1", "20.00", HST)]
        lines += [_line("1", "-15.00", GST), _line("1.5", "33.33", GST)]
        record = _invoice(ledger_harness, *parties, lines, discount="10")
        assert record.discounts and (record.subtotal, record.total_tax) == (Decimal("184.50"), Decimal("21.46"))
        invoice_ref = _created(ledger_harness, record)
        assert ledger_harness.invoice_amounts(invoice_ref) == (record.total, record.total) == (Decimal("205.96"),) * 2
        (held,) = ledger_harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (held.amount, held.tax, held.balance) == (record.total, record.total_tax, record.total)
        deposit = ledger_harness.account("undeposited_funds").id
        paid = PaymentRecord(
            ledger_harness.next_id(), invoice_ref, customer_ref, record.total, date(2026, 3, 9), "card", deposit
        )
        _created(ledger_harness, paid)
        assert ledger_harness.invoice_amounts(invoice_ref) == (record.total, Decimal("0.00"))

    def test_a_tax_inclusive_invoice_with_a_credit_line_and_a_discount_is_equal_to_the_cent(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Prices that include tax: the credit line and each rate's discount row keep their tax inside."""
        lines = [_line("7", "49.99", HST, True), _line("-1", "49.99", HST, True), _line("1", "10.00", GST, True)]
        record = _invoice(ledger_harness, *parties, lines, discount="15")
        invoice_ref = _created(ledger_harness, record)
        assert ledger_harness.invoice_amounts(invoice_ref)[0] == record.total == Decimal("263.45")  # 309.94 - 46.49
        (held,) = ledger_harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (held.amount, held.tax) == (record.total, record.total_tax)

    def test_an_invoice_totalling_below_zero_is_written_as_a_credit_note_and_reads_back_as_the_invoice(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Found by the invoice's stamp; read back negated, so its figures are the invoice's to the cent."""
        lines = [_line("1", "40.00", GST), _line("-1", "52.00", GST), _line("1", "-10.00", HST)]
        record = _document(ledger_harness, *parties, lines)
        assert isinstance(record, InvoiceCreditRecord) and record.external_id == f"SO-I{record.source_id}"
        assert (record.subtotal, record.total_tax, record.total) == (
            Decimal("22.00"),
            Decimal("1.90"),
            Decimal("23.90"),
        )
        ledger_id = _created(ledger_harness, record)
        found = ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [record])
        assert found[record.source_id].id == ledger_id
        (held,) = ledger_harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (held.amount, held.tax, held.balance) == (Decimal("-23.90"), Decimal("-1.90"), Decimal("-23.90"))
        discounted = [_line("1", "40.00", GST), _line("-1", "52.00", GST), _line("1", "10.00", HST)]
        with pytest.raises(TransformProblem, match=r"-2\.43 with an invoice discount"):
            _document(ledger_harness, *parties, discounted, discount="10")

    def test_a_negative_invoice_itself_is_refused_by_the_ledger(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Should an invoice below zero reach the ledger as an invoice, the ledger refuses it on its own and
        nothing is left behind."""
        record = _invoice(ledger_harness, *parties, [_line("1", "40.00", GST)])
        negative = {"quantity": Decimal("-1"), "amount": Decimal("-40.00"), "tax_amount": Decimal("-2.00")}
        credit_line = replace(record.lines[0], **negative)
        tax = replace(record.tax_lines[0], net_taxable=Decimal("-40.00"), amount=Decimal("-2.00"))
        credit = replace(
            record, lines=(credit_line,), tax_lines=(tax,), subtotal=Decimal("-40.00"), total_tax=Decimal("-2.00"),
            total=Decimal("-42.00"),
        )  # fmt: skip
        (outcome,) = _write(ledger_harness, [_op(credit)])
        assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION, outcome
        assert ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [credit]) == {}

    def test_partial_payments_reduce_the_balance(self, ledger_harness: LedgerHarness, parties: tuple[str, str]) -> None:
        customer_ref, _ = parties
        record = _invoice(ledger_harness, *parties, [_line("1", "200.00", GST)])
        invoice_ref = _created(ledger_harness, record)
        deposit = ledger_harness.account("undeposited_funds").id
        payments = [
            PaymentRecord(
                ledger_harness.next_id(), invoice_ref, customer_ref, amount, date(2026, 3, 9), "card", deposit
            )
            for amount in (Decimal("60.00"), Decimal("40.00"))
        ]
        outcomes = _write(ledger_harness, [_op(payment) for payment in payments])
        assert [o.error for o in outcomes] == [None, None]
        assert ledger_harness.invoice_amounts(invoice_ref) == (Decimal("210.00"), Decimal("110.00"))
        found = ledger_harness.connector.find_by_external_id(EntityType.PAYMENT, payments)
        assert {p.source_id: found[p.source_id].id for p in payments} == {
            o.op.record.source_id: o.ref.id for o in outcomes if o.ref
        }

    def test_void_after_a_partial_payment_removes_the_payment_and_leaves_nothing_open(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Service Opus voids a synced invoice that was partly paid: the update carrying `voided` voids it in the
        ledger after removing the payment (neither ledger voids an invoice with a payment applied). Nothing stays
        open and neither counts in the books; sending the same void again (a re-run after an unknown outcome)
        changes nothing and is no error."""
        customer_ref, _ = parties
        record = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST), _line("1", "40.00", HST)])
        invoice_ref = _created(ledger_harness, record)
        deposit = ledger_harness.account("undeposited_funds").id
        payment = PaymentRecord(
            ledger_harness.next_id(), invoice_ref, customer_ref, Decimal("50.00"), date(2026, 3, 9), "card", deposit
        )
        _created(ledger_harness, payment)
        assert ledger_harness.invoice_amounts(invoice_ref) == (record.total, record.total - Decimal("50.00"))
        (held,) = ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [record]).values()
        voided = replace(record, voided=True)
        for _ in range(2):
            (outcome,) = _write(ledger_harness, [_op(voided, held)])
            assert outcome.error is None and outcome.ref is not None and outcome.ref.id == invoice_ref, outcome
        assert ledger_harness.invoice_amounts(invoice_ref)[1] == Decimal("0.00")
        # Read back, it is there once and does not count (QBO drops our stamp when it voids: found by its number).
        (invoice,) = ledger_harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (invoice.ledger_id, invoice.present, invoice.balance) == (invoice_ref, False, Decimal("0.00"))
        assert ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [record]) == {}
        payments = ledger_harness.connector.read_back(EntityType.PAYMENT, [payment]).get(payment.source_id, [])
        assert not any(p.present for p in payments)
        assert ledger_harness.connector.find_by_external_id(EntityType.PAYMENT, [payment]) == {}

    def test_read_back_shows_each_record_once_as_the_ledger_holds_it(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """What reconciliation compares: an invoice's total, tax and open balance, a payment's amount."""
        customer_ref, _ = parties
        record = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST)])
        invoice_ref = _created(ledger_harness, record)
        deposit = ledger_harness.account("undeposited_funds").id
        payment = PaymentRecord(
            ledger_harness.next_id(), invoice_ref, customer_ref, Decimal("50.00"), date(2026, 3, 9), "card", deposit
        )
        _created(ledger_harness, payment)
        (invoice,) = ledger_harness.connector.read_back(EntityType.INVOICE, [record])[record.source_id]
        assert (invoice.ledger_id, invoice.amount, invoice.balance) == (invoice_ref, record.total, record.total - 50)
        assert invoice.tax == sum((t.amount for t in record.tax_lines), Decimal("0.00")) and invoice.present
        (paid,) = ledger_harness.connector.read_back(EntityType.PAYMENT, [payment])[payment.source_id]
        assert paid.amount == Decimal("50.00") and paid.present

    def test_one_bad_element_fails_alone_inside_a_batch(self, ledger_harness: LedgerHarness) -> None:
        taken = _customer(ledger_harness)
        _created(ledger_harness, taken)
        batch = [_customer(ledger_harness), _customer(ledger_harness, taken.display_name), _customer(ledger_harness)]
        outcomes = _write(ledger_harness, [_op(record) for record in batch])
        assert [o.ok for o in outcomes] == [True, False, True]
        error = outcomes[1].error
        assert error is not None and error.kind is ErrorKind.DUPLICATE and error.message
        found = ledger_harness.connector.find_by_external_id(EntityType.CUSTOMER, batch)
        assert set(found) == {batch[0].source_id, batch[2].source_id}

    def test_an_invalid_invoice_fails_alone_and_the_others_are_found(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        customer_ref, item_ref = parties
        good = [_invoice(ledger_harness, *parties, [_line("1", "50.00", GST)]) for _ in range(2)]
        bad = _invoice(ledger_harness, ledger_harness.unknown_customer_ref, item_ref, [_line("1", "50.00", GST)])
        outcomes = _write(ledger_harness, [_op(good[0]), _op(bad), _op(good[1])])
        assert [o.ok for o in outcomes] == [True, False, True]
        assert outcomes[1].error is not None and outcomes[1].error.kind is ErrorKind.VALIDATION
        found = ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [*good, bad])
        assert {k: v.id for k, v in found.items()} == {o.op.record.source_id: o.ref.id for o in outcomes if o.ref}
        assert customer_ref

    def test_items_are_found_by_external_id_after_a_write(self, ledger_harness: LedgerHarness) -> None:
        items = [_item(ledger_harness) for _ in range(2)]
        outcomes = _write(ledger_harness, [_op(item) for item in items])
        found = ledger_harness.connector.find_by_external_id(EntityType.ITEM, items)
        assert {k: v.id for k, v in found.items()} == {o.op.record.source_id: o.ref.id for o in outcomes if o.ref}
        assert len(found) == 2

    def test_a_relocked_invoice_is_corrected_in_place_to_the_cent(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Unlock, edit, relock in Service Opus: other lines, another total, a discount. The ledger's invoice is
        updated in place (same id, its lines replaced), equal to the cent; a second edit sent with the reference
        from before the first (a token stale since then) lands too, and the stamp still finds one invoice."""
        first = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST), _line("1.5", "33.33", HST)])
        before = _written(ledger_harness, first)
        lines = [_line("3", "95.00", GST), _line("-1", "20.00", HST), _line("1", "12.50", HST)]
        edited = _invoice(ledger_harness, *parties, lines, discount="5", source_id=first.source_id)
        assert edited.total != first.total and edited.number == first.number
        _written(ledger_harness, edited, before)
        assert ledger_harness.invoice_amounts(before.id) == (edited.total, edited.total)
        _assert_tax_and_net_as_printed(ledger_harness, edited, before.id)
        again = _invoice(ledger_harness, *parties, [_line("1", "95.00", GST)], source_id=first.source_id)
        _written(ledger_harness, again, before)
        assert ledger_harness.invoice_amounts(before.id) == (again.total, again.total) == (Decimal("99.75"),) * 2
        _assert_tax_and_net_as_printed(ledger_harness, again, before.id)
        found = ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [again])
        assert found[again.source_id].id == before.id

    def test_a_paid_invoice_is_corrected_in_place_or_refused_as_locked(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """A relocked invoice with a payment applied: a ledger that edits it keeps the payment against the new
        total; one that will not refuses with `LOCKED` (the sync parks the correction) and keeps it as it was."""
        customer_ref, _ = parties
        first = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST)])
        before = _written(ledger_harness, first)
        deposit = ledger_harness.account("undeposited_funds").id
        paid = PaymentRecord(
            ledger_harness.next_id(), before.id, customer_ref, Decimal("50.00"), date(2026, 3, 9), "card", deposit
        )
        _created(ledger_harness, paid)
        lines = [_line("2", "95.00", GST), _line("1", "40.00", GST)]
        edited = _invoice(ledger_harness, *parties, lines, source_id=first.source_id)
        (outcome,) = _write(ledger_harness, [_op(edited, before)])
        if ledger_harness.edits_paid_invoices:
            assert outcome.ref is not None and outcome.ref.id == before.id, outcome.error
            assert ledger_harness.invoice_amounts(before.id) == (edited.total, edited.total - 50)
        else:
            assert outcome.error is not None and outcome.error.kind is ErrorKind.LOCKED, outcome
            assert ledger_harness.invoice_amounts(before.id) == (first.total, first.total - 50)

    def test_a_renamed_customer_is_renamed_in_place(self, ledger_harness: LedgerHarness) -> None:
        """A customer edit on its own (name, email, address) updates the ledger's customer, found again by its
        stamp; a second rename sent with the reference from before the first lands too."""
        record = _customer(ledger_harness)
        before = _written(ledger_harness, record)
        address = Address("12 Harbour Road", "Halifax", "NS", "B3H 1A1", "CA")
        renamed = CustomerRecord(
            record.source_id, f"Renamed Customer {record.source_id}", "renamed@example.test", address=address
        )
        _written(ledger_harness, renamed, before)
        assert ledger_harness.customer_name(before.id) == renamed.display_name
        found = ledger_harness.connector.find_by_external_id(EntityType.CUSTOMER, [renamed])
        assert found[renamed.source_id].id == before.id
        again = replace(renamed, display_name=f"Renamed Again {record.source_id}")
        _written(ledger_harness, again, before)
        assert ledger_harness.customer_name(before.id) == again.display_name

    def test_a_credit_note_is_written_equal_to_the_cent_and_found_by_its_stamp(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Found by external id as after an unknown outcome; read back with its tax, total and open credit."""
        note = _credit_note(ledger_harness, *parties, [_line("2", "19.99", GST), _line("1", "10.00", HST, True)])
        assert (note.subtotal, note.total_tax, note.total) == (Decimal("48.83"), Decimal("3.15"), Decimal("51.98"))
        ledger_id = _created(ledger_harness, note)
        found = ledger_harness.connector.find_by_external_id(EntityType.CREDIT_NOTE, [note])
        assert found[note.source_id].id == ledger_id
        (held,) = ledger_harness.connector.read_back(EntityType.CREDIT_NOTE, [note])[note.source_id]
        assert (held.ledger_id, held.amount, held.tax, held.balance) == (
            ledger_id,
            note.total,
            note.total_tax,
            note.total,
        )
        assert ledger_harness.connector.find_by_external_id(EntityType.INVOICE, [note]) == {}

    def test_a_credit_note_applied_to_its_invoice_lowers_both_balances_to_the_cent(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        customer_ref, _ = parties
        invoice = _invoice(ledger_harness, *parties, [_line("2", "95.00", GST), _line("1.5", "33.33", HST)])
        invoice_ref = _created(ledger_harness, invoice)
        note = _credit_note(ledger_harness, *parties, [_line("1", "33.33", HST)])
        note_ref = _created(ledger_harness, note)
        applied = credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref)
        assert (applied.amount, applied.customer_ref, applied.external_id) == (
            Decimal("37.66"),
            customer_ref,
            f"SO-A{note.source_id}",
        )
        ref = _created(ledger_harness, applied)
        assert ledger_harness.invoice_amounts(invoice_ref) == (invoice.total, invoice.total - note.total)
        assert ledger_harness.invoice_amounts(invoice_ref)[1] == Decimal("218.34")
        (held,) = ledger_harness.connector.read_back(EntityType.CREDIT_NOTE, [note])[note.source_id]
        assert held.balance == Decimal("0.00")
        found = ledger_harness.connector.find_by_external_id(EntityType.CREDIT_APPLICATION, [applied])
        assert found[applied.source_id].id == ref
        (application,) = ledger_harness.connector.read_back(EntityType.CREDIT_APPLICATION, [applied])[note.source_id]
        assert (application.amount, application.customer_ref) == (note.total, customer_ref)

    def test_a_credit_larger_than_the_invoice_balance_is_refused_and_leaves_nothing(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        invoice = _invoice(ledger_harness, *parties, [_line("1", "20.00", GST)])
        invoice_ref = _created(ledger_harness, invoice)
        note = _credit_note(ledger_harness, *parties, [_line("1", "40.00", GST)])
        note_ref = _created(ledger_harness, note)
        applied = credit_application_record(note, credit_note_ref=note_ref, invoice_ref=invoice_ref)
        (outcome,) = _write(ledger_harness, [_op(applied)])
        assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION, outcome
        assert ledger_harness.connector.find_by_external_id(EntityType.CREDIT_APPLICATION, [applied]) == {}
        assert ledger_harness.invoice_amounts(invoice_ref) == (Decimal("21.00"), Decimal("21.00"))

    def test_an_invoice_lifecycle_keeps_the_ledger_equal_to_service_opus_after_every_step(
        self, ledger_harness: LedgerHarness, parties: tuple[str, str]
    ) -> None:
        """Issue 12's lifecycle, as the sync sends it: lock and sync; a discounted invoice; a credit note applied to
        the first invoice; a third invoice partly paid, then voided; the discounted invoice unlocked, edited and
        relocked; the customer renamed. After each step the ledger's open balance per invoice and per customer,
        revenue and sales tax equal Service Opus's to the cent."""
        harness = ledger_harness
        _, item_ref = parties
        customer = _customer(harness, f"Lifecycle Customer {harness.next_id()}")
        customer_held = _written(harness, customer)
        who = (customer_held.id, item_ref)
        books = _OpusBooks()

        first = _invoice(harness, *who, [_line("2", "95.00", GST), _line("1.5", "33.33", HST)])
        first_ref = _written(harness, first)
        books.invoices[first.source_id] = first
        _assert_books_equal(harness, books, "lock and sync")

        lines = [_line("3", "95.00", GST), _line("-1", "20.00", HST), _line("1", "12.50", HST)]
        discounted = _invoice(harness, *who, lines, discount="10")
        discounted_ref = _written(harness, discounted)
        books.invoices[discounted.source_id] = discounted
        _assert_books_equal(harness, books, "discount")

        note = _credit_note(harness, *who, [_line("1", "33.33", HST)])
        note_ref = _created(harness, note)
        _created(harness, credit_application_record(note, credit_note_ref=note_ref, invoice_ref=first_ref.id))
        books.notes[note.source_id] = note
        books.applied[note.source_id] = books.credited[first.source_id] = note.total
        _assert_books_equal(harness, books, "credit note applied")

        third = _invoice(harness, *who, [_line("1", "150.00", GST)])
        third_ref = _written(harness, third)
        books.invoices[third.source_id] = third
        deposit = harness.account("undeposited_funds").id
        payment = PaymentRecord(
            harness.next_id(), third_ref.id, customer_held.id, Decimal("50.00"), date(2026, 3, 9), "card", deposit
        )
        _created(harness, payment)
        books.paid[third.source_id] = payment.amount
        _assert_books_equal(harness, books, "partial payment")
        _written(harness, replace(third, voided=True), third_ref)
        books.void.add(third.source_id)
        _assert_books_equal(harness, books, "void after a partial payment")

        (current,) = harness.connector.find_by_external_id(EntityType.INVOICE, [discounted]).values()
        edited = _invoice(
            harness, *who, [_line("2", "95.00", GST), _line("1", "40.00", HST)], source_id=discounted.source_id
        )
        assert edited.total != discounted.total
        assert _written(harness, edited, current).id == discounted_ref.id
        books.invoices[discounted.source_id] = edited
        _assert_books_equal(harness, books, "unlock, edit, relock")

        renamed = replace(customer, display_name=f"Renamed {customer.display_name}")
        (current_customer,) = harness.connector.find_by_external_id(EntityType.CUSTOMER, [customer]).values()
        assert _written(harness, renamed, current_customer).id == customer_held.id
        assert harness.customer_name(customer_held.id) == renamed.display_name
        _assert_books_equal(harness, books, "rename the customer")
