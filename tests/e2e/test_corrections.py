"""Corrections end to end, for every ledger: after a first sync, an invoice unlocked, edited and locked again is
updated in place by the next incremental run (same ledger invoice, equal to Service Opus to the cent); a paid one
is updated too where the ledger edits paid invoices, else reissued (a credit note closes it, a new invoice
"<number>-R1" holds the corrected total less the payments: `engine.reissue`); a renamed customer is
renamed in the ledger with no new invoice; a customer no invoice needs is not created; a re-run writes nothing."""

from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from ledger_sync.core.transform import total_due
from ledger_sync.events.outbox import lock_invoice, unlock_invoice, update_customer
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from tests.ledgers import facts
from tests.stack import Stack


def _edit(session: Session, invoice: Invoice) -> None:
    """Unlock, change a quantity and add a line, lock again: other lines and another total."""
    unlock_invoice(session, invoice)
    first = invoice.lines[0]
    first.quantity = first.quantity + 1
    invoice.lines.append(
        InvoiceLine(
            position=max(line.position for line in invoice.lines) + 1,
            product_id=first.product_id,
            category_id=first.category_id,
            description="Extra visit",
            quantity=Decimal("2"),
            unit_price=Decimal("47.50"),
            tax_rate_id=first.tax_rate_id,
            tax_inclusive=first.tax_inclusive,
        )
    )
    session.flush()
    lock_invoice(session, invoice)


def _total(source: ServiceOpusSource, company_id: int, invoice_id: int) -> Decimal:
    (snapshot,) = source.invoices(company_id, after=None, limit=0, ids=[invoice_id]).records
    return total_due(snapshot, {r.id: r for r in source.tax_rates(company_id)})


def _in_ledger(stack: Stack) -> dict[str, dict[str, object]]:
    shape = facts(stack.ledger).shape
    return {str(i[shape.number]): i for i in stack.ledger_entities(shape.invoices)}


def _pick(engine: Engine, stack: Stack) -> tuple[int, int, int, int]:
    """(an unpaid synced invoice, a partly paid synced invoice, a synced customer without either, its number
    of invoices in the ledger)."""
    synced = _in_ledger(stack)
    parked = {source_id for _, source_id in stack.parked()}
    with Session(engine) as session:
        locked = [
            i
            for i in session.scalars(select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED))
            if i.number in synced and i.id not in parked and i.customer_id not in parked
        ]
        collected = session.scalars(select(Payment).where(Payment.status == PaymentStatus.COLLECTED))
        paid = {p.invoice_id for p in collected}
        unpaid = next(i for i in locked if i.id not in paid)
        partly = next(i for i in locked if i.id in paid and i.customer_id != unpaid.customer_id)
        other = next(i for i in locked if i.customer_id not in (unpaid.customer_id, partly.customer_id))
        return unpaid.id, partly.id, other.customer_id or 0, len(synced)


def test_corrections_and_customer_edits_reach_the_ledger_in_place_and_a_rerun_writes_nothing(stack: Stack) -> None:
    shape, known = facts(stack.ledger).shape, facts(stack.ledger)
    assert sync_company(company_id=stack.company_id, ledger=stack.ledger)["outcome"] == "completed"  # type: ignore[arg-type]
    engine = make_engine(stack.settings.resolved_source_url)
    source = ServiceOpusSource(engine)
    unpaid_id, partly_id, renamed_id, invoices_before = _pick(engine, stack)
    customers_before = len(stack.ledger_entities(shape.customers))
    with Session(engine) as session, session.begin():
        unpaid, partly = session.get_one(Invoice, unpaid_id), session.get_one(Invoice, partly_id)
        numbers = (unpaid.number, partly.number)
        held_before = {n: _in_ledger(stack)[n] for n in numbers}
        _edit(session, unpaid)
        _edit(session, partly)
        renamed = session.get_one(Customer, renamed_id)
        update_customer(session, renamed, display_name="Renamed Clinic Ltd", email="accounts@renamed.example")
        newcomer = Customer(company_id=stack.company_id, display_name="Never Invoiced Ltd", currency=None)
        session.add(newcomer)
        session.flush()
        update_customer(session, newcomer, display_name="Never Invoiced Either Ltd")
    second = sync_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert second["outcome"] == "completed"

    held = _in_ledger(stack)
    reissued = 0 if known.edits_paid_invoices else 1
    assert len(held) == invoices_before + reissued, "a correction created an invoice (other than a reissue)"
    unpaid_total, partly_total = (
        _total(source, stack.company_id, unpaid_id),
        _total(source, stack.company_id, partly_id),
    )
    assert Decimal(str(held[numbers[0]][shape.total])) == unpaid_total
    assert Decimal(str(held[numbers[0]][known.balance])) == unpaid_total
    paid_total = Decimal(str(held[numbers[1]][shape.total]))
    if known.edits_paid_invoices:
        assert paid_total == partly_total
    else:
        assert paid_total == Decimal(str(held_before[numbers[1]][shape.total])) != partly_total
        assert Decimal(str(held[numbers[1]][known.balance])) == 0, "the credit note closed the old invoice"
        new = held[f"{numbers[1]}-R1"]
        with Session(engine) as session:
            payments = session.scalars(
                select(Payment).where(Payment.invoice_id == partly_id, Payment.status == PaymentStatus.COLLECTED)
            )
            paid = sum((p.amount for p in payments), Decimal("0.00"))
        assert Decimal(str(new[shape.total])) == partly_total
        assert Decimal(str(new[known.balance])) == partly_total - paid, "open for the corrected total less payments"
        assert ("invoice", partly_id) not in stack.parked()

    customers = {str(c[shape.customer_name]): c for c in stack.ledger_entities(shape.customers)}
    assert len(customers) == customers_before, "a customer edit created a customer"
    assert "Renamed Clinic Ltd" in customers and "Never Invoiced Either Ltd" not in customers
    entities = second["entities"]
    assert entities["customer"]["updated"] >= 1 and entities["invoice"]["created"] == 0  # type: ignore[index]

    mark = stack.last_request_id()
    third = sync_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert stack.writes_since(mark) == []
    assert all(c["created"] == 0 and c["updated"] == 0 for c in third["entities"].values())  # type: ignore[attr-defined]
