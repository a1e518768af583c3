"""Corrections made in Service Opus while a chaos run syncs: invoices unlocked, edited and locked again, and
customers renamed, as the app makes them (with their outbox events). The ledger must end up holding the corrected
versions in place: the checks compare it with the source as it is at the end."""

import random
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from ledger_sync.events.outbox import lock_invoice, unlock_invoice, update_customer


def correct(
    engine: Engine, company_id: int, count: int, rng: random.Random, in_ledger: set[str]
) -> tuple[list[str], list[int]]:
    """Correct `count` locked invoices no payment is collected against (a paid one the ledger may refuse to edit:
    that is parked by design, see `engine.corrections`), those the ledger holds already (`in_ledger`, by number)
    first, and rename `count` of their customers; (invoice numbers, customer ids) changed."""
    with Session(engine) as session, session.begin():
        paid = set(session.scalars(select(Payment.invoice_id).where(Payment.status == PaymentStatus.COLLECTED)).all())
        locked = session.scalars(
            select(Invoice)
            .where(Invoice.company_id == company_id, Invoice.status == InvoiceStatus.LOCKED)
            .order_by(Invoice.id)
        ).all()
        editable = [i for i in locked if i.id not in paid and i.lines]
        synced = [i for i in editable if i.number in in_ledger]
        chosen = rng.sample(synced, min(count, len(synced)))
        chosen += rng.sample([i for i in editable if i.number not in in_ledger], count - len(chosen))
        for invoice in chosen:
            unlock_invoice(session, invoice)
            first = invoice.lines[0]
            first.quantity = first.quantity + 1
            invoice.lines.append(
                InvoiceLine(
                    position=max(line.position for line in invoice.lines) + 1,
                    product_id=first.product_id,
                    category_id=first.category_id,
                    description="Follow-up visit",
                    quantity=Decimal("1"),
                    unit_price=Decimal("64.25"),
                    tax_rate_id=first.tax_rate_id,
                    tax_inclusive=first.tax_inclusive,
                )
            )
            session.flush()
            lock_invoice(session, invoice)
        renamed = sorted({i.customer_id for i in chosen if i.customer_id is not None})[:count]
        for customer_id in renamed:
            customer = session.get_one(Customer, customer_id)
            update_customer(session, customer, display_name=f"{customer.display_name} (renamed {customer_id})")
        return [i.number for i in chosen], renamed
