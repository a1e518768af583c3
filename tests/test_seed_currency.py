"""Issue 17 (currency): a seeded CAD company with a share of US customers billed in USD, and a US company with
Canadian ones billed in CAD; Service Opus records an exchange rate on each of their invoices, payments, credit notes
and refunds, and the sync reads each customer's currency (None at home) and each recorded rate."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.state.db import make_engine

INVOICES = 300


@pytest.fixture(params=[("CA", "CAD", "USD", Decimal("1.35")), ("US", "USD", "CAD", Decimal("0.74"))], ids=["CA", "US"])
def company(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Engine, str, str, Decimal]]:
    country, home, foreign, centre = request.param
    engine = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    seed(engine, invoices=INVOICES, country=country, foreign_share=0.25)
    yield engine, home, foreign, centre
    engine.dispose()


def test_foreign_customers_invoices_and_payments_carry_their_currency_and_recorded_rates(
    company: tuple[Engine, str, str, Decimal],
) -> None:
    engine, home, foreign, centre = company
    with engine.connect() as conn:
        customers = dict(conn.execute(text("SELECT id, currency FROM customers")).tuples().all())
        invoices = conn.execute(text("SELECT id, customer_id, currency, exchange_rate FROM invoices")).all()
    assert 0.1 < sum(c == foreign for c in customers.values()) / len(customers) < 0.45
    assert set(customers.values()) == {home, foreign}
    source = ServiceOpusSource(engine)
    assert source.home_currency(1) == home
    read = {c.id: c.currency for c in source.customers(customers).values()}
    assert read == {i: (foreign if c == foreign else None) for i, c in customers.items()}
    ids = [row.id for row in invoices]
    by_id = {i.id: i for i in source.invoices(1, after=None, limit=0, ids=ids).records}
    foreign_ids = {row.id for row in invoices if customers[row.customer_id] == foreign}
    assert foreign_ids and all(by_id[i].currency == foreign for i in foreign_ids)
    for invoice_id in foreign_ids:
        rate = by_id[invoice_id].exchange_rate
        assert (
            rate is not None and rate == rate.quantize(Decimal("0.0001")) and abs(rate / centre - 1) <= Decimal("0.03")
        )
    assert all(i.currency == home and i.exchange_rate is None for i in by_id.values() if i.id not in foreign_ids)
    with engine.connect() as conn:
        payment_ids = [p for (p,) in conn.execute(text("SELECT id FROM payments"))]
    payments = source.payments(1, after=None, limit=0, ids=payment_ids).records
    abroad = [p for p in payments if p.invoice_id in foreign_ids]
    assert abroad and all(p.exchange_rate is not None and p.tip == 0 for p in abroad)
    assert all(p.exchange_rate is None for p in payments if p.invoice_id not in foreign_ids)


def test_credit_notes_and_refunds_of_foreign_invoices_carry_their_currency_and_recorded_rates(tmp_path: Path) -> None:
    """Enough invoices that some foreign ones are credited or refunded: each such credit note is in its invoice's
    (its customer's) currency at a rate of its own day, each such refund at one; home ones carry none."""
    engine = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    seed(engine, invoices=1500, country="CA", foreign_share=0.25)
    with engine.connect() as conn:
        foreign = {i for (i,) in conn.execute(text("SELECT id FROM invoices WHERE exchange_rate IS NOT NULL"))}
        notes = conn.execute(text("SELECT id, invoice_id FROM credit_notes")).all()
        refunds = conn.execute(text("SELECT r.id, p.invoice_id FROM refunds r JOIN payments p ON p.id = r.payment_id"))
        refunded = dict(refunds.tuples().all())
    source = ServiceOpusSource(engine)
    read_notes = source.credit_notes(1, after=None, limit=0, ids=[n.id for n in notes]).records
    read_refunds = source.refunds(1, after=None, limit=0, ids=list(refunded)).records
    engine.dispose()
    credited = {n.id: n.invoice_id for n in notes}
    assert any(credited[n.id] in foreign for n in read_notes) and any(refunded[r.id] in foreign for r in read_refunds)
    for note in read_notes:  # one on a customer's account (no invoice) is in its customer's currency
        abroad = note.currency == "USD"
        assert (note.exchange_rate is not None) is abroad and note.currency in ("USD", "CAD")
        assert note.invoice_id is None or (credited[note.id] in foreign) is abroad
        assert note.exchange_rate is None or abs(note.exchange_rate / Decimal("1.35") - 1) <= Decimal("0.03")
    assert all((r.exchange_rate is not None) is (refunded[r.id] in foreign) for r in read_refunds)


def test_a_share_outside_zero_to_one_is_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    with pytest.raises(ValueError, match="foreign_share"):
        seed(engine, invoices=1, foreign_share=1.5)
    engine.dispose()
