"""What the engine is given for each record: push it, park it, let it wait, or skip it; and how each type's are
built.

A record waits (neither pushed nor parked, and the checkpoint stops before it) while something it
needs is not in the ledger yet for a reason that may clear by itself (an unknown outcome). When what
it needs is parked, it is parked too, saying what it waits for.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from ledger_sync.core.applications import applied_part
from ledger_sync.core.ledger import LedgerChart
from ledger_sync.core.mapping import LedgerMapping, SourceTaxRate
from ledger_sync.core.money import MoneyError
from ledger_sync.core.pages import CreditNotePage, CustomerPage, DocumentPage, InvoicePage, PaymentPage, RefundPage
from ledger_sync.core.payouts import Settled, SourcePayout, payout_record
from ledger_sync.core.records import CreditNoteRecord, EntityType, LedgerRecord, PaymentRecord
from ledger_sync.core.snapshots import Cursor, Extracted, SourceCreditNote, SourceInvoice, SourcePayment
from ledger_sync.core.sync_state import MappedEntity, Parking, ParkingCause
from ledger_sync.core.tips import tip_record
from ledger_sync.core.transform import (
    TransformProblem,
    credit_application_record,
    credit_note_record,
    customer_record,
    deposit_account,
    foreign_currency,
    invoice_record,
    item_record,
    payment_record,
    total_due,
)
from ledger_sync.engine.ports import ConnectionState


@dataclass(frozen=True)
class Push:
    """A record ready to write (or to skip, when unchanged since it was last pushed)."""

    record: LedgerRecord
    cursor: Cursor | None = None
    """Where the checkpoint may move once this record is handled (None: the record is not past it)."""

    @property
    def source_id(self) -> int:
        return self.record.source_id


@dataclass(frozen=True)
class Park:
    """A record that cannot sync, and why; handled once parked."""

    parking: Parking
    cursor: Cursor | None = None

    @property
    def source_id(self) -> int:
        return self.parking.source_id


@dataclass(frozen=True)
class Wait:
    """A record that is not handled this run: it stays pending and holds the checkpoint back."""

    source_id: int
    cursor: Cursor | None = None


@dataclass(frozen=True)
class Skip:
    """A record that needs nothing from the ledger (an invoice voided before it was ever sent): handled, counted
    as skipped, and its parking, if any, released."""

    source_id: int
    cursor: Cursor | None = None


@dataclass(frozen=True)
class Unneeded:
    """A record the ledger does not need yet (a customer edited before any invoice of theirs synced): handled
    without a write, so the checkpoint moves past it; unlike `Skip`, a parking of it stands (an invoice waits
    behind it)."""

    source_id: int
    cursor: Cursor | None = None


Candidate = Push | Park | Wait | Skip | Unneeded


def customer_candidates(page: DocumentPage | PaymentPage) -> list[Candidate]:
    return [
        Park(parking) if (parking := page.parked.get((EntityType.CUSTOMER, c.id))) else Push(customer_record(c))
        for c in page.customers.values()
    ]


def customer_edit_candidates(state: ConnectionState, page: CustomerPage) -> list[Candidate]:
    """Customers edited past the checkpoint. One already in the ledger is pushed (unchanged: nothing is written),
    so a new name, email or address reaches the ledger without a new invoice. One that is not is skipped: it is
    created from its current details with its first invoice that syncs, and a customer no invoice needs has no
    place in the ledger (it would sit among the bookkeeper's customers with nothing to collect). An unreadable
    one already in the ledger is parked, naming the value; one that is not waits for its invoice like any other."""
    ids = [c.id for c in page.fresh] + [u.id for u in page.unreadable]
    mapped = state.mapped(EntityType.CUSTOMER, ids)
    candidates: list[Candidate] = [
        Push(customer_record(c), c.cursor) if c.id in mapped else Unneeded(c.id, c.cursor) for c in page.fresh
    ]
    candidates += [
        Park(Parking(u.id, ParkingCause.CHECK, u.problem), u.cursor) if u.id in mapped else Unneeded(u.id, u.cursor)
        for u in page.unreadable
    ]
    return _in_checkpoint_order(candidates)


def item_candidates(page: DocumentPage, mapping: LedgerMapping) -> list[Candidate]:
    """The page's products; those extraction could not read are parked with why."""
    candidates: list[Candidate] = [
        Park(parking)
        for (kind, source_id), parking in page.parked.items()
        if kind is EntityType.ITEM and source_id not in page.products
    ]
    for product in page.products.values():
        try:
            candidates.append(Push(item_record(product, mapping)))
        except TransformProblem as problem:
            candidates.append(Park(Parking(product.id, ParkingCause.CHECK, str(problem))))
    return candidates


@dataclass(frozen=True)
class _InvoiceNeeds:
    """What a page's invoices depend on, read once: ledger ids of what is synced, reasons of what is parked."""

    customers: dict[int, MappedEntity]
    items: dict[int, MappedEntity]
    blocked_customers: dict[int, Parking]
    blocked_items: dict[int, Parking]


def invoice_candidates(
    state: ConnectionState,
    page: InvoicePage,
    *,
    mapping: LedgerMapping,
    tax_rates: Mapping[int, SourceTaxRate],
    chart: LedgerChart,
    number_prefix: str = "",
) -> list[Candidate]:
    """The page's locked invoices, and its void ones: voided in the ledger when they were sent to it, else skipped.
    Fresh ones carry their cursor (retries are behind the checkpoint). `number_prefix` goes in front of every
    invoice number (`Settings.invoice_number_prefix`)."""
    fresh = {i.id for i in page.fresh}
    sent = sent_to_ledger(state, [i.id for i in page.invoices if i.status == "void"])
    needs = _InvoiceNeeds(
        customers=state.mapped(EntityType.CUSTOMER, page.customers),
        items=state.mapped(EntityType.ITEM, page.products),
        blocked_customers=_blocked(state, page, EntityType.CUSTOMER),
        blocked_items=_blocked(state, page, EntityType.ITEM),
    )
    candidates = _unreadable(page) + [
        Skip(invoice.id, invoice.cursor if invoice.id in fresh else None)
        if invoice.status == "void" and invoice.id not in sent
        else _invoice_candidate(
            page,
            invoice,
            needs,
            invoice.cursor if invoice.id in fresh else None,
            mapping,
            tax_rates,
            chart,
            number_prefix,
        )
        for invoice in page.invoices
        if invoice.status in ("locked", "void")
    ]
    return _in_checkpoint_order(candidates)


def sent_to_ledger(
    state: ConnectionState, source_ids: Sequence[int], entity_type: EntityType = EntityType.INVOICE
) -> set[int]:
    """Which of these invoices (credit notes, payments) the ledger may hold: synced, or sent with an outcome still
    unknown. A void (a reversal) of any other is skipped: nothing is sent."""
    if not source_ids:
        return set()
    return set(state.mapped(entity_type, source_ids)) | set(state.intents(entity_type, source_ids))


def _invoice_candidate(
    page: InvoicePage,
    invoice: SourceInvoice,
    needs: _InvoiceNeeds,
    cursor: Cursor | None,
    mapping: LedgerMapping,
    tax_rates: Mapping[int, SourceTaxRate],
    chart: LedgerChart,
    number_prefix: str,
) -> Candidate:
    if (parking := page.parked.get((EntityType.INVOICE, invoice.id))) is not None:
        return Park(parking, cursor)
    customer = page.customers.get(invoice.customer_id) if invoice.customer_id is not None else None
    if customer is not None and customer.id not in needs.customers:
        what = f"customer '{customer.display_name}'"
        return _behind(needs.blocked_customers, customer.id, invoice.id, what, cursor)
    for line in invoice.lines:
        if line.product_id not in needs.items:
            product = page.products.get(line.product_id)
            what = f"product '{product.name}'" if product else f"product {line.product_id}"
            return _behind(needs.blocked_items, line.product_id, invoice.id, what, cursor)
    assert customer is not None  # a missing customer was parked by the record-level check
    try:
        record = invoice_record(
            invoice,
            customer_ref=needs.customers[customer.id].ledger_id,
            item_refs={pid: m.ledger_id for pid, m in needs.items.items()},
            tax_rates=tax_rates,
            mapping=mapping,
            ledger_tax_rates=chart.tax_rates,
            ledger_tracking=chart.tracking,
        )
    except TransformProblem as problem:
        return Park(Parking(invoice.id, ParkingCause.CHECK, str(problem)), cursor)
    return Push(replace(record, number=number_prefix + record.number) if number_prefix else record, cursor)


def credit_note_candidates(
    state: ConnectionState,
    page: CreditNotePage,
    *,
    mapping: LedgerMapping,
    tax_rates: Mapping[int, SourceTaxRate],
    chart: LedgerChart,
) -> list[Candidate]:
    """The page's issued credit notes. One tied to an invoice goes once that invoice is in the ledger (its
    credit is applied to it next), and is parked when the invoice never will be. A void one is voided in the
    ledger when it was sent there (its record says so), else skipped."""
    fresh = {n.id for n in page.fresh}
    sent = sent_to_ledger(state, [n.id for n in page.credit_notes if n.status == "void"], EntityType.CREDIT_NOTE)
    needs = _InvoiceNeeds(
        customers=state.mapped(EntityType.CUSTOMER, page.customers),
        items=state.mapped(EntityType.ITEM, page.products),
        blocked_customers=_blocked(state, page, EntityType.CUSTOMER),
        blocked_items=_blocked(state, page, EntityType.ITEM),
    )
    invoices = state.mapped(EntityType.INVOICE, page.invoices)
    blocked_invoices = _blocked(state, page, EntityType.INVOICE)
    candidates = _unreadable(page)
    for note in page.credit_notes:
        cursor = note.cursor if note.id in fresh else None
        if note.status == "void" and note.id not in sent:
            candidates.append(Skip(note.id, cursor))
            continue
        if note.status not in ("issued", "void"):
            continue
        if (parking := page.parked.get((EntityType.CREDIT_NOTE, note.id))) is not None:
            candidates.append(Park(parking, cursor))
            continue
        customer = page.customers.get(note.customer_id) if note.customer_id is not None else None
        if customer is None:
            reason = f"Credit note {note.number} has no customer"
            candidates.append(Park(Parking(note.id, ParkingCause.CHECK, reason), cursor))
            continue
        behind = (
            None
            if note.status == "void"
            else _credit_note_behind(page, note, needs, invoices, blocked_invoices, cursor, tax_rates)
        )
        if behind is not None:
            candidates.append(behind)
            continue
        try:
            record = credit_note_record(
                note,
                customer_ref=needs.customers[customer.id].ledger_id,
                item_refs={pid: m.ledger_id for pid, m in needs.items.items()},
                tax_rates=tax_rates,
                mapping=mapping,
                ledger_tax_rates=chart.tax_rates,
                customer_currency=customer.currency,
            )
        except TransformProblem as problem:
            candidates.append(Park(Parking(note.id, ParkingCause.CHECK, str(problem)), cursor))
            continue
        candidates.append(Push(record, cursor))
    return _in_checkpoint_order(candidates)


def _credit_note_behind(
    page: CreditNotePage,
    note: SourceCreditNote,
    needs: _InvoiceNeeds,
    invoices: dict[int, MappedEntity],
    blocked_invoices: dict[int, Parking],
    cursor: Cursor | None,
    tax_rates: Mapping[int, SourceTaxRate],
) -> Candidate | None:
    """Parked or waiting for what the note needs first: its customer, its products, the invoice it credits."""
    assert note.customer_id is not None
    if note.customer_id not in needs.customers:
        what = f"customer '{page.customers[note.customer_id].display_name}'"
        return _behind(needs.blocked_customers, note.customer_id, note.id, what, cursor)
    for line in note.lines:
        if line.product_id not in needs.items:
            product = page.products.get(line.product_id)
            what = f"product '{product.name}'" if product else f"product {line.product_id}"
            return _behind(needs.blocked_items, line.product_id, note.id, what, cursor)
    if note.invoice_id is None:
        return None
    invoice = page.invoices.get(note.invoice_id)
    if invoice is None:
        reason = f"Credit note {note.number} credits invoice {note.invoice_id}, which Service Opus does not have"
        return Park(Parking(note.id, ParkingCause.CHECK, reason), cursor)
    if invoice.status == "draft":
        reason = f"Waiting for invoice {invoice.number} to be locked"
        return Park(Parking(note.id, ParkingCause.WAITING, reason), cursor)
    if invoice.status != "locked":
        reason = (
            f"Credit note {note.number} credits invoice {invoice.number}, which is {invoice.status} in Service "
            "Opus: there is nothing to credit in the ledger"
        )
        return Park(Parking(note.id, ParkingCause.CHECK, reason), cursor)
    if _below_zero(invoice, tax_rates):
        reason = (
            f"Credit note {note.number} credits invoice {invoice.number}, which totals below zero: it is a credit "
            "itself, with nothing left to credit"
        )
        return Park(Parking(note.id, ParkingCause.CHECK, reason), cursor)
    if invoice.customer_id != note.customer_id:
        reason = f"Credit note {note.number} is for another customer than invoice {invoice.number}, which it credits"
        return Park(Parking(note.id, ParkingCause.CHECK, reason), cursor)
    if invoice.currency != note.currency:
        reason = (
            f"Credit note {note.number} is in {note.currency} but invoice {invoice.number}, which it credits, is in "
            f"{invoice.currency}: a credit applies only to an invoice in its own currency"
        )
        return Park(Parking(note.id, ParkingCause.CHECK, reason), cursor)
    if invoice.id not in invoices:
        return _behind(blocked_invoices, invoice.id, note.id, f"invoice {invoice.number}", cursor)
    return None


def _below_zero(invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate]) -> bool:
    """Whether the invoice is in the ledger as a credit note (see `transform.invoice_record`)."""
    try:
        return total_due(invoice, tax_rates) < 0
    except MoneyError:
        return False  # an unreadable amount parks the invoice itself


def credit_application_candidates(
    state: ConnectionState, page: CreditNotePage, notes: list[Candidate]
) -> list[Candidate]:
    """Each credit note tied to an invoice has its credit applied to it, once both are in the ledger; it waits
    while its note does, and is parked behind a parked note."""
    tied = {n.id: n for n in page.credit_notes if n.status == "issued" and n.invoice_id is not None}
    mapped_notes = state.mapped(EntityType.CREDIT_NOTE, tied)
    mapped_invoices = state.mapped(EntityType.INVOICE, {n.invoice_id for n in tied.values() if n.invoice_id})
    parked_notes = state.parked(EntityType.CREDIT_NOTE)
    candidates: list[Candidate] = []
    for candidate in notes:
        note = tied.get(candidate.source_id)
        if note is None or note.invoice_id is None:
            continue
        match candidate:
            case Push(record=record) if isinstance(record, CreditNoteRecord):
                synced_note, invoice = mapped_notes.get(note.id), mapped_invoices.get(note.invoice_id)
                if synced_note is None or invoice is None:
                    wait = _waiting(parked_notes, note.id, note.id, f"credit note {note.number}")
                    candidates.append(Park(wait, candidate.cursor) if wait else Wait(note.id, candidate.cursor))
                    continue
                applied = credit_application_record(
                    record, credit_note_ref=synced_note.ledger_id, invoice_ref=invoice.ledger_id
                )
                candidates.append(Push(applied, candidate.cursor))
            case Park(parking=parking):
                reason = f"Waiting for credit note {note.number}, which cannot sync: {parking.reason}"
                candidates.append(Park(Parking(note.id, ParkingCause.DEPENDENCY, reason), candidate.cursor))
            case _:
                candidates.append(Wait(note.id, candidate.cursor))
    return _in_checkpoint_order(candidates)


def payment_candidates(
    state: ConnectionState, page: PaymentPage, *, mapping: LedgerMapping, tax_rates: Mapping[int, SourceTaxRate]
) -> list[Candidate]:
    """The page's collected payments; each needs its invoice and that invoice's customer in the ledger, and pays
    what was still open on it (`core.applications`: an overpayment's excess stays the customer's credit). A deposit
    not applied to an invoice yet needs only its customer (`_deposit`). A payment that failed or was charged back
    after it was collected is taken out of the ledger if it was sent there (see `_reversal`), else skipped: nothing
    is sent. One the ledger removed with its voided invoice stays parked so (`tasks.voids`), whatever its checks say
    when it is read again."""
    fresh = {p.id for p in page.fresh}
    removed = {i: p for i, p in state.parked(EntityType.PAYMENT).items() if p.cause is ParkingCause.REMOVED}
    invoices = state.mapped(EntityType.INVOICE, page.invoices)
    customers = state.mapped(
        EntityType.CUSTOMER,
        {i.customer_id for i in page.invoices.values() if i.customer_id is not None} | set(page.customers),
    )
    blocked_customers = _blocked(state, page, EntityType.CUSTOMER)
    blocked_invoices = _blocked(state, page, EntityType.INVOICE)
    sent = sent_to_ledger(state, [p.id for p in page.payments if p.reversed], EntityType.PAYMENT)
    candidates: list[Candidate] = []
    for payment in page.payments:
        cursor = payment.cursor if payment.id in fresh else None
        if payment.reversed:
            candidates.append(_reversal(page, payment, payment.id in sent, invoices, customers, mapping, cursor))
            continue
        if payment.status != "collected":
            continue
        if (gone := removed.get(payment.id)) is not None:
            candidates.append(Park(gone, cursor))
            continue
        checked = page.parked.get((EntityType.PAYMENT, payment.id))
        if payment.invoice_id is None:
            candidates.append(_deposit(payment, customers, blocked_customers, checked, mapping, cursor))
            continue
        invoice = page.invoices.get(payment.invoice_id)
        if invoice is None:  # missing, or unreadable (then parked): the record-level check parked the payment
            behind = _waiting(blocked_invoices, payment.invoice_id, payment.id, f"invoice {payment.invoice_id}")
            parking = behind or checked
            candidates.append(Park(parking, cursor) if parking else Wait(payment.id, cursor))
            continue
        if invoice.status == "draft":
            reason = f"Waiting for invoice {invoice.number} to be locked"
            candidates.append(Park(Parking(payment.id, ParkingCause.WAITING, reason), cursor))
            continue
        synced_invoice = invoices.get(invoice.id)
        synced_customer = customers.get(invoice.customer_id) if invoice.customer_id is not None else None
        unsynced = synced_invoice is None or synced_customer is None
        # Waiting for a parked invoice says more than any check of the payment against it.
        wait = _waiting(blocked_invoices, invoice.id, payment.id, f"invoice {invoice.number}") if unsynced else None
        parking = wait or checked
        if parking is not None:
            candidates.append(Park(parking, cursor))
            continue
        if synced_invoice is None or synced_customer is None:
            candidates.append(Wait(payment.id, cursor))
            continue
        try:
            record = payment_record(
                payment,
                invoice_ref=synced_invoice.ledger_id,
                customer_ref=synced_customer.ledger_id,
                mapping=mapping,
                invoice_currency=foreign_currency(invoice),
                applied=_applied(page, payment, invoice, tax_rates),
            )
        except TransformProblem as problem:
            candidates.append(Park(Parking(payment.id, ParkingCause.CHECK, str(problem)), cursor))
            continue
        candidates.append(Push(record, cursor))
    return _in_checkpoint_order(_unreadable(page) + candidates)


def _applied(
    page: PaymentPage, payment: SourcePayment, invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate]
) -> Decimal:
    """What the payment pays of its invoice: what was still open when it was applied, at most its amount."""
    try:
        total = page.invoice_total(invoice, tax_rates)
    except MoneyError as problem:
        raise TransformProblem(f"Invoice {invoice.number} has no total the sync can compute: {problem}") from problem
    return applied_part(payment, total, page.paid_before.get(invoice.id, []))


def _deposit(
    payment: SourcePayment,
    customers: dict[int, MappedEntity],
    blocked_customers: dict[int, Parking],
    checked: Parking | None,
    mapping: LedgerMapping,
    cursor: Cursor | None,
) -> Candidate:
    """A deposit taken before its invoice exists: all of it the customer's credit, so it needs only its customer
    in the ledger (brought with the page). Applied later, it is read again and sent as an update naming the
    invoice."""
    if checked is not None:
        return Park(checked, cursor)
    customer_id = payment.customer_id
    if customer_id is None:
        return Park(Parking(payment.id, ParkingCause.CHECK, "Deposit has no customer and no invoice"), cursor)
    synced = customers.get(customer_id)
    if synced is None:
        return _behind(blocked_customers, customer_id, payment.id, f"customer {customer_id}", cursor)
    try:
        record = payment_record(payment, invoice_ref="", customer_ref=synced.ledger_id, mapping=mapping)
    except TransformProblem as problem:
        return Park(Parking(payment.id, ParkingCause.CHECK, str(problem)), cursor)
    return Push(record, cursor)


def tip_candidates(
    state: ConnectionState, page: PaymentPage, payments: list[Candidate], *, mapping: LedgerMapping
) -> list[Candidate]:
    """Each tipped payment's tip (see `core.tips`), once its payment is in the ledger: it waits while its payment
    does, and is parked behind a parked payment (or one the ledger refused just now). A payment without a tip needs
    nothing, so the tips' checkpoint keeps up with the payments'. A tipped payment reversed after it was synced
    takes its tip out of the ledger too, if the tip was sent there (pushed as reversed, found by its stamp)."""
    tipped = {p.id: p for p in page.payments if (p.status == "collected" or p.reversed) and p.tip}
    mapped = state.mapped(EntityType.PAYMENT, tipped)
    sent_tips = sent_to_ledger(state, [p.id for p in tipped.values() if p.reversed], EntityType.TIP)
    parked = state.parked(EntityType.PAYMENT)
    candidates: list[Candidate] = []
    for candidate in payments:
        payment = tipped.get(candidate.source_id)
        if payment is not None and payment.reversed:
            candidates.append(_tip_reversal(payment, candidate, payment.id in sent_tips, mapping))
            continue
        if payment is None:
            candidates.append(Unneeded(candidate.source_id, candidate.cursor))
            continue
        match candidate:
            case Push(record=record) if isinstance(record, PaymentRecord):
                if payment.id not in mapped:
                    wait = _waiting(parked, payment.id, payment.id, f"payment {payment.id}")
                    candidates.append(Park(wait, candidate.cursor) if wait else Wait(payment.id, candidate.cursor))
                    continue
                try:
                    candidates.append(Push(tip_record(payment, record, mapping), candidate.cursor))
                except TransformProblem as problem:
                    parking = Parking(payment.id, ParkingCause.CHECK, str(problem))
                    candidates.append(Park(parking, candidate.cursor))
            case Park(parking=parking):
                reason = f"Waiting for payment {payment.id}, which cannot sync: {parking.reason}"
                candidates.append(Park(Parking(payment.id, ParkingCause.DEPENDENCY, reason), candidate.cursor))
            case _:
                candidates.append(Wait(payment.id, candidate.cursor))
    return _in_checkpoint_order(candidates)


def _tip_reversal(payment: SourcePayment, candidate: Candidate, sent: bool, mapping: LedgerMapping) -> Candidate:
    """The tip of a payment reversed: taken out with its payment (`candidate`, the payment's reversal) when it was
    sent to the ledger; nothing to do otherwise. It waits, or is parked, as its payment's reversal does."""
    match candidate:
        case Push(record=record) if isinstance(record, PaymentRecord) and sent:
            try:
                return Push(replace(tip_record(payment, record, mapping), reversed=True), candidate.cursor)
            except TransformProblem as problem:
                return Park(Parking(payment.id, ParkingCause.CHECK, str(problem)), candidate.cursor)
        case Park(parking=parking) if sent:
            reason = f"Waiting for payment {payment.id}, which cannot sync: {parking.reason}"
            return Park(Parking(payment.id, ParkingCause.DEPENDENCY, reason), candidate.cursor)
        case Wait() if sent:
            return Wait(payment.id, candidate.cursor)
    return Unneeded(payment.id, candidate.cursor)


def _reversal(
    page: PaymentPage,
    payment: SourcePayment,
    sent: bool,
    invoices: dict[int, MappedEntity],
    customers: dict[int, MappedEntity],
    mapping: LedgerMapping,
    cursor: Cursor | None,
) -> Candidate:
    """A payment collected, then failed or charged back. Never sent to the ledger, or removed from it already with
    its voided invoice: skipped, nothing is sent. Sent: pushed as reversed (the connector voids or deletes the
    ledger's payment, which reopens the invoice), found by the same stamp as when it was created. A deposit not
    applied yet is taken out the same way (the customer's credit goes with it)."""
    if not sent:
        return Skip(payment.id, cursor)
    if payment.invoice_id is None:
        invoice_ref, customer_id, currency = "", payment.customer_id, None
    else:
        invoice = page.invoices.get(payment.invoice_id)
        if invoice is None or invoice.status != "locked":
            return Skip(payment.id, cursor)
        synced_invoice = invoices.get(invoice.id)
        if synced_invoice is None:
            return Wait(payment.id, cursor)
        invoice_ref, customer_id, currency = synced_invoice.ledger_id, invoice.customer_id, foreign_currency(invoice)
    synced_customer = customers.get(customer_id) if customer_id is not None else None
    if synced_customer is None:
        return Wait(payment.id, cursor)
    try:
        record = payment_record(
            payment,
            invoice_ref=invoice_ref,
            customer_ref=synced_customer.ledger_id,
            mapping=mapping,
            invoice_currency=currency,
        )
    except TransformProblem as problem:
        return Park(Parking(payment.id, ParkingCause.CHECK, str(problem)), cursor)
    return Push(record, cursor)


def payout_candidates(
    state: ConnectionState,
    payouts: Extracted[SourcePayout],
    payments: Mapping[int, SourcePayment],
    *,
    mapping: LedgerMapping,
    chart: LedgerChart,
) -> list[Candidate]:
    """Each payout (see `core.payouts`) once every payment it settles, and the tip that came with one, is in the
    ledger: it waits while one is not, and is parked behind a parked one (or one Service Opus does not hold
    collected). `payments`: the payouts' payments as Service Opus has them now."""
    ids = {payment_id for payout in payouts.records for payment_id in payout.payment_ids}
    mapped, tips = state.mapped(EntityType.PAYMENT, ids), state.mapped(EntityType.TIP, ids)
    parked = {**state.parked(EntityType.TIP), **state.parked(EntityType.PAYMENT)}
    candidates: list[Candidate] = [Park(Parking(u.id, ParkingCause.CHECK, u.problem)) for u in payouts.unreadable]
    for payout in payouts.records:
        gone = [i for i in payout.payment_ids if i not in payments or payments[i].status != "collected"]
        if gone:
            reason = f"Payout settles payment {gone[0]}, which Service Opus does not hold as collected"
            candidates.append(Park(Parking(payout.id, ParkingCause.CHECK, reason)))
            continue
        missing = [i for i in payout.payment_ids if i not in mapped or (payments[i].tip and i not in tips)]
        if missing:
            candidates.append(_behind(parked, missing[0], payout.id, f"payment {missing[0]}", None))
            continue
        try:
            settled = {
                i: Settled(
                    mapped[i].ledger_id, payments[i].amount, payments[i].tip, deposit_account(payments[i], mapping)
                )
                for i in payout.payment_ids
            }
            candidates.append(Push(payout_record(payout, settled, mapping, chart)))
        except TransformProblem as problem:
            candidates.append(Park(Parking(payout.id, ParkingCause.CHECK, str(problem))))
    return candidates


def _unreadable(page: InvoicePage | CreditNotePage | PaymentPage | RefundPage) -> list[Candidate]:
    """Records extraction could not read: parked, naming the field and the value."""
    return [Park(Parking(u.id, ParkingCause.CHECK, u.problem), u.cursor) for u in page.unreadable]


def _in_checkpoint_order(candidates: list[Candidate]) -> list[Candidate]:
    """Retries (no cursor) first, then by change number: the checkpoint moves over a prefix."""
    return sorted(candidates, key=lambda c: -1 if c.cursor is None else c.cursor)


def _blocked(
    state: ConnectionState, page: InvoicePage | CreditNotePage | PaymentPage, entity_type: EntityType
) -> dict[int, Parking]:
    """Parked records of a dependency type, read once per page: earlier runs', then this page's checks."""
    this_page = {source_id: p for (kind, source_id), p in page.parked.items() if kind is entity_type}
    return state.parked(entity_type) | this_page


def _waiting(blocked: dict[int, Parking], dependency_id: int, waiter_id: int, what: str) -> Parking | None:
    """Parked-behind reason when the dependency is parked; None when it is merely not synced yet."""
    reason = blocked.get(dependency_id)
    if reason is None:
        return None
    return Parking(waiter_id, ParkingCause.DEPENDENCY, f"Waiting for {what}, which cannot sync: {reason.reason}")


def _behind(
    blocked: dict[int, Parking], dependency_id: int, waiter_id: int, what: str, cursor: Cursor | None
) -> Candidate:
    """Parked behind a parked dependency, or waiting for one that is merely not synced yet."""
    wait = _waiting(blocked, dependency_id, waiter_id, what)
    return Park(wait, cursor) if wait else Wait(waiter_id, cursor)
