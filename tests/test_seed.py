"""The seed: deterministic, realistic, internally consistent, and appendable."""

import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from ledger_sync.connectors.service_opus import names
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import TABLES, SeedSummary, seed
from ledger_sync.core.money import cents, line_amounts
from ledger_sync.core.transform import discount_rows, total_due
from ledger_sync.state.db import make_engine

SIZE = 2_000


@pytest.fixture
def new_engine(tmp_path: Path) -> Iterator[Callable[[str], Engine]]:
    """Makes engines on fresh SQLite files (foreign keys enforced) and disposes of them afterwards."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        engines.append(make_engine(f"sqlite:///{tmp_path / name}"))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def _digest(engine: Engine) -> str:
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in TABLES:
            for row in conn.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def _rows(engine: Engine, sql: str) -> list:
    with engine.connect() as conn:
        return list(conn.execute(text(sql)))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, SeedSummary]]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('seed') / 'source.db'}")
    summary = seed(engine, invoices=SIZE)
    yield engine, summary
    engine.dispose()


def test_same_arguments_give_identical_data(new_engine: Callable[[str], Engine]) -> None:
    engines = [new_engine(f"{name}.db") for name in ("a", "b", "c")]
    summaries = [
        seed(engine, invoices=300, companies=2, seed=s) for engine, s in zip(engines, (11, 11, 12), strict=True)
    ]
    digests = [_digest(engine) for engine in engines]
    assert summaries[0] == summaries[1]
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_summary_matches_the_rows(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, summary = seeded
    counts = {table.name: _rows(engine, f"SELECT count(*) FROM {table.name}")[0][0] for table in TABLES}
    statuses = dict(_rows(engine, "SELECT status, count(*) FROM invoices GROUP BY status"))
    collected = _rows(engine, "SELECT count(*) FROM payments WHERE status = 'collected'")[0][0]
    assert summary == SeedSummary(
        companies=counts["companies"],
        customers=counts["customers"],
        products=counts["products"],
        tax_rates=counts["tax_rates"],
        invoices=SIZE,
        locked=statuses["locked"],
        drafts=statuses["draft"],
        voids=statuses["void"],
        invoice_lines=counts["invoice_lines"],
        payments=counts["payments"],
        collected_payments=collected,
        credit_notes=counts["credit_notes"],
        refunds=counts["refunds"],
        payouts=counts["payouts"],
    )
    assert summary.customers == SIZE // 4
    assert (summary.companies, summary.tax_rates, counts["product_categories"]) == (1, 4, 4)


def test_every_row_the_sync_reads_by_change_number_has_one(seeded: tuple[Engine, SeedSummary]) -> None:
    """Customers, invoices, payments, credit notes and refunds share the company's change numbers, each taken once."""
    engine, _ = seeded
    tables = ("customers", "invoices", "payments", "credit_notes", "refunds")
    numbers = [n for table in tables for (n,) in _rows(engine, f"SELECT change_no FROM {table}")]
    assert None not in numbers and len(set(numbers)) == len(numbers)
    assert _rows(engine, "SELECT last_change_no FROM companies") == [(max(numbers),)]


def test_company_reference_data(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    assert _rows(engine, "SELECT currency FROM companies") == [("CAD",)]
    rates = {
        name: Decimal(str(rate)) for name, rate, active in _rows(engine, "SELECT name, rate, active FROM tax_rates")
    }
    assert rates == {"GST": 5, "HST": 13, "PST": 7, "Exempt": 0}
    categories = {name for (name,) in _rows(engine, "SELECT name FROM product_categories")}
    assert categories == {"Labour", "Parts & Materials", "Service Plans", "Call-out Fees"}
    prices = [Decimal(str(price)) for (price,) in _rows(engine, "SELECT unit_price FROM products")]
    assert 20 <= len(prices) <= 30
    assert all(price > 0 and price == cents(price) for price in prices)


def test_status_mix_and_lock_times(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, summary = seeded
    assert 0.75 <= summary.locked / SIZE <= 0.85
    assert 0.08 <= summary.drafts / SIZE <= 0.16
    assert 0.05 <= summary.voids / SIZE <= 0.11
    invoices = _rows(engine, "SELECT status, issue_date, due_date, locked_at FROM invoices ORDER BY id")
    issue_dates = [date.fromisoformat(issued) for _, issued, _, _ in invoices]
    assert issue_dates == sorted(issue_dates)
    assert issue_dates[0] >= date(2026, 1, 1)
    for status, issued, due, locked_at in invoices:
        assert (date.fromisoformat(due) - date.fromisoformat(issued)).days in (15, 30)
        assert (locked_at is None) == (status == "draft")
        if locked_at:
            assert datetime.fromisoformat(locked_at).date() >= date.fromisoformat(issued)
    voided = _rows(engine, "SELECT status, locked_at, voided_at FROM invoices WHERE voided_at IS NOT NULL")
    assert len(voided) == summary.voids
    assert all(status == "void" and voided_at > locked_at for status, locked_at, voided_at in voided)


def test_numbers_and_names_are_ledger_safe(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    numbers = _rows(engine, "SELECT company_id, number FROM invoices")
    assert len(set(numbers)) == len(numbers)
    assert all(number.startswith("INV-") and len(number) <= 21 for _, number in numbers)
    customers = _rows(engine, "SELECT company_id, display_name FROM customers")
    assert len(set(customers)) == len(customers)
    assert not [name for _, name in customers if any(c in name for c in ":\t\n\r")]
    displayed = "".join(name for _, name in customers)
    assert "'" in displayed and "&" in displayed and "ë" in displayed


def test_name_pools_hold_the_awkward_characters() -> None:
    pool = " ".join(names.FIRST_NAMES + names.LAST_NAMES + names.BUSINESS_PATTERNS)
    assert "O'Brien" in names.LAST_NAMES and "D'Angelo" in names.LAST_NAMES
    assert {"Zoë", "François"} <= set(names.FIRST_NAMES) and {"Müller", "Côté", "Lefèvre"} <= set(names.LAST_NAMES)
    assert "{last} & Sons Plumbing" in names.BUSINESS_PATTERNS
    assert ":" not in pool and "\t" not in pool and "\n" not in pool


def test_lines(seeded: tuple[Engine, SeedSummary]) -> None:
    engine, _ = seeded
    lines = _rows(
        engine, "SELECT invoice_id, position, quantity, unit_price, tax_inclusive FROM invoice_lines ORDER BY id"
    )
    by_invoice: dict[int, list] = defaultdict(list)
    for invoice_id, position, quantity, unit_price, inclusive in lines:
        by_invoice[invoice_id].append((position, inclusive))
        assert Decimal(str(unit_price)) == cents(Decimal(str(unit_price)))
        if Decimal(str(quantity)) > 0 and Decimal(str(unit_price)) > 0:
            assert Decimal(str(quantity)) <= 10
    assert len(by_invoice) == SIZE
    assert all([p for p, _ in group] == list(range(1, len(group) + 1)) for group in by_invoice.values())
    assert max(len(group) for group in by_invoice.values()) <= 9  # 8 and a discount line
    assert all(len({inclusive for _, inclusive in group}) == 1 for group in by_invoice.values())
    inclusive_share = sum(group[0][1] for group in by_invoice.values()) / SIZE
    assert 0.10 <= inclusive_share <= 0.20
    assert any(Decimal(str(quantity)) % 1 for _, _, quantity, _, _ in lines)
    rates = Counter(
        name for (name,) in _rows(engine, "SELECT t.name FROM invoice_lines l JOIN tax_rates t ON t.id = l.tax_rate_id")
    )
    assert rates.most_common(1)[0][0] == "HST"
    assert rates["Exempt"] > 0


def _totals(engine: Engine) -> dict[int, Decimal]:
    """Every invoice's total as Service Opus prints it (discounts included)."""
    source = ServiceOpusSource(engine)
    rates = {rate.id: rate for rate in source.tax_rates(1)}
    ids = [invoice_id for (invoice_id,) in _rows(engine, "SELECT id FROM invoices")]
    return {i.id: total_due(i, rates) for i in source.invoices(1, after=None, limit=len(ids), ids=ids).records}


def test_discounts_come_in_realistic_shares_and_never_make_a_credit(seeded: tuple[Engine, SeedSummary]) -> None:
    """A discount line credits part of another line at its rate (a negative quantity or unit price); an
    invoice discount is a percentage; no invoice totals below zero."""
    engine, _ = seeded
    credits = _rows(
        engine,
        "SELECT l.invoice_id, l.position, l.description, l.quantity, l.unit_price, l.tax_rate_id, n.line_count"
        " FROM invoice_lines l JOIN (SELECT invoice_id, count(*) AS line_count FROM invoice_lines GROUP BY 1) n"
        " ON n.invoice_id = l.invoice_id"
        " WHERE CAST(l.quantity AS REAL) < 0 OR CAST(l.unit_price AS REAL) < 0",
    )
    assert 0.02 <= len({c[0] for c in credits}) / SIZE <= 0.06
    kinds = Counter(description.rsplit(" — ", 1)[1] for _, _, description, *_ in credits)
    assert set(kinds) == {"returned unused", "goodwill credit", "waived"}
    for _, position, _, quantity, unit_price, rate_id, line_count in credits:
        assert position == line_count and rate_id is not None
        assert (Decimal(str(quantity)) < 0) != (Decimal(str(unit_price)) < 0)
    percents = Counter(Decimal(str(p)) for (p,) in _rows(engine, "SELECT discount_percent FROM invoices"))
    assert set(percents) == {Decimal(0), Decimal(5), Decimal(10), Decimal(15)}
    assert 0.03 <= (SIZE - percents[Decimal(0)]) / SIZE <= 0.08
    totals = _totals(engine)
    assert len(totals) == SIZE and min(totals.values()) > 0
    source = ServiceOpusSource(engine)
    rates = {rate.id: rate for rate in source.tax_rates(1)}
    discounted = [i for i in source.invoices(1, after=None, limit=SIZE).records if i.discount_percent]
    assert discounted and all(discount_rows(i, rates) for i in discounted)


def test_payments_apply_at_most_the_invoice_total(seeded: tuple[Engine, SeedSummary]) -> None:
    """Each payment reaches its locked invoice after the lock (a deposit, taken before the invoice was issued, when
    it is applied); only the overpayments bring more than the invoice's total, each by less than a rounding step."""
    engine, summary = seeded
    gross = _totals(engine)
    payments = _rows(
        engine,
        "SELECT p.invoice_id, p.amount, p.status, p.collected_at, i.status, i.locked_at, p.company_id, i.company_id,"
        " p.reversed_at, p.applied_at, i.issue_date, p.customer_id, i.customer_id"
        " FROM payments p JOIN invoices i ON i.id = p.invoice_id",
    )
    paid: dict[int, Decimal] = defaultdict(Decimal)
    deposits = 0
    for (
        invoice_id,
        amount,
        status,
        collected_at,
        invoice_status,
        locked_at,
        company,
        invoice_company,
        reversed_at,
        applied_at,
        issue_date,
        customer,
        invoice_customer,
    ) in payments:
        assert invoice_status == "locked" and company == invoice_company and customer == invoice_customer
        assert Decimal(str(amount)) == cents(Decimal(str(amount))) > 0
        assert (collected_at is not None) == (status == "collected" or reversed_at is not None)
        if applied_at:
            deposits += 1
            assert status == "collected" and collected_at < issue_date < applied_at and applied_at > locked_at
        elif collected_at:
            assert collected_at > locked_at
        paid[invoice_id] += Decimal(str(amount))
    overpaid = {i: total - gross[i] for i, total in paid.items() if total > gross[i]}
    assert overpaid and all(0 < excess <= 20 for excess in overpaid.values())
    assert deposits > 0
    assert 0.6 <= len(paid) / summary.locked <= 0.8
    fully_paid = sum(total == gross[invoice_id] for invoice_id, total in paid.items())
    assert 0.6 <= fully_paid / len(paid) < 1
    methods = Counter(method for (method,) in _rows(engine, "SELECT method FROM payments"))
    assert methods.most_common(1)[0][0] == "card"


def test_open_deposits_wait_for_draft_invoices_jobs(seeded: tuple[Engine, SeedSummary]) -> None:
    """Deposits not applied to any invoice yet: collected, of a customer, untipped, in whole currency units."""
    engine, _ = seeded
    open_deposits = _rows(
        engine,
        "SELECT amount, status, collected_at, customer_id, tip_amount, applied_at FROM payments"
        " WHERE invoice_id IS NULL",
    )
    assert open_deposits
    for amount, status, collected_at, customer, tip, applied_at in open_deposits:
        assert status == "collected" and collected_at is not None and customer is not None and applied_at is None
        assert Decimal(str(amount)) == Decimal(str(amount)).to_integral_value() > 0 and Decimal(str(tip)) == 0


def test_a_second_call_appends_a_fresh_data_set(new_engine: Callable[[str], Engine]) -> None:
    engine = new_engine("source.db")
    first = seed(engine, invoices=100)
    before = _rows(engine, "SELECT id, number FROM invoices ORDER BY id")
    second = seed(engine, invoices=120, companies=2, seed=8)
    assert (second.companies, second.invoices) == (2, 120)
    assert _rows(engine, "SELECT id, number FROM invoices WHERE id <= 100 ORDER BY id") == before
    assert _rows(engine, "SELECT count(*), count(DISTINCT company_id) FROM invoices") == [(220, 3)]
    assert _rows(engine, "SELECT company_id, count(*) FROM invoices WHERE company_id > 1 GROUP BY 1") == [
        (2, 60),
        (3, 60),
    ]
    assert _rows(engine, "SELECT count(*) FROM customers")[0][0] == first.customers + second.customers
    assert _rows(engine, "PRAGMA foreign_key_check") == []


def test_tiny_and_invalid_sizes(new_engine: Callable[[str], Engine]) -> None:
    engine = new_engine("source.db")
    summary = seed(engine, invoices=0, companies=2)
    assert (summary.companies, summary.customers, summary.invoices, summary.payments) == (2, 10, 0, 0)
    with pytest.raises(ValueError, match="invoices"):
        seed(engine, invoices=-1)


def test_credit_notes_credit_part_of_an_unpaid_locked_invoice_of_their_customer(
    seeded: tuple[Engine, SeedSummary],
) -> None:
    engine, summary = seeded
    source = ServiceOpusSource(engine)
    notes = source.credit_notes(1, after=None, limit=0, ids=range(1, summary.credit_notes + 1)).records
    assert len(notes) == summary.credit_notes and 0.005 < summary.credit_notes / SIZE < 0.05
    assert {n.status for n in notes} >= {"issued", "draft"}
    tied = [n for n in notes if n.invoice_id is not None]
    assert len(tied) > len(notes) / 2, "most are tied to the invoice they credit (some may be on account)"
    rates = {rate.id: rate for rate in source.tax_rates(1)}
    invoices = {i.id: i for i in source.invoices(1, after=None, limit=0, ids=[n.invoice_id for n in tied]).records}
    paid = source.collected_before(list(invoices))
    for note in tied:
        invoice = invoices[note.invoice_id]
        assert (invoice.status, invoice.customer_id, paid.get(invoice.id)) == ("locked", note.customer_id, None)
        credit = sum(
            (
                line_amounts(line.quantity, line.unit_price, rates[line.tax_rate_id].rate, line.tax_inclusive).gross
                for line in note.lines
            ),
            Decimal(0),
        )
        assert 0 < credit < total_due(invoice, rates)


def test_refunds_and_reversals_come_in_realistic_shares(seeded: tuple[Engine, SeedSummary]) -> None:
    """About 1 % of collected payments reversed later (a card one charged back, the others failed) with why, about
    3 % refunded (some in full, most in part), never more than the payment, after it, numbered after it."""
    engine, summary = seeded
    reversed_ = _rows(
        engine,
        "SELECT method, status, collected_at, reversed_at, reversal_reason FROM payments WHERE reversed_at IS NOT NULL",
    )
    collected = summary.collected_payments + len(reversed_)
    assert 0 < len(reversed_) < collected * 0.03
    for method, status, collected_at, reversed_at, reason in reversed_:
        assert status == ("charged_back" if method == "card" else "failed") and reason
        assert str(reversed_at) > str(collected_at)
    refunds = _rows(
        engine,
        "SELECT r.amount, p.amount, p.status, r.refunded_on, p.collected_at, r.change_no, p.change_no, r.reason"
        " FROM refunds r JOIN payments p ON p.id = r.payment_id",
    )
    assert collected * 0.015 < len(refunds) < collected * 0.05
    full = 0
    for refund, payment, status, refunded_on, collected_at, refund_no, payment_no, reason in refunds:
        assert status == "collected" and reason
        assert Decimal("0.01") <= Decimal(str(refund)) == cents(Decimal(str(refund))) <= Decimal(str(payment))
        assert str(refunded_on) >= str(collected_at)[:10] and refund_no > payment_no
        full += Decimal(str(refund)) == Decimal(str(payment))
    assert 0 < full < len(refunds)
