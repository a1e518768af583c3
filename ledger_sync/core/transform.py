"""Service Opus snapshots -> ledger-neutral records, with every ledger reference already resolved.

Pure functions: the caller supplies the mapping and the ledger ids of dependencies. Anything that
cannot become a valid record raises `TransformProblem` with a reason a bookkeeper understands.
"""

from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal

from ledger_sync.core.currency import credit_currency_problem
from ledger_sync.core.ledger import LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.money import (
    HUNDRED,
    LineAmounts,
    MoneyError,
    RateLine,
    cents,
    extended_amount,
    invoice_discounts,
    line_amounts,
    plain,
    unit_price_for,
)
from ledger_sync.core.records import (
    Address,
    CreditApplicationRecord,
    CreditNoteRecord,
    CustomerRecord,
    InvoiceCreditRecord,
    InvoiceDiscountRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)
from ledger_sync.core.snapshots import (
    SourceCreditNote,
    SourceCustomer,
    SourceInvoice,
    SourceLine,
    SourcePayment,
    SourceProduct,
)
from ledger_sync.core.tracking import LedgerTrackingOption, TrackedBy, TrackingLevel, TrackingTag, tag


class TransformProblem(ValueError):
    """The record cannot be expressed in the ledger; the message is the parking reason."""


def credit_discount_reason(total: Decimal) -> str:
    """Why an invoice totalling below zero with an invoice discount is parked: it would go as a credit note, and
    a credit note carries no invoice discount in either ledger the sync writes."""
    return f"Invoice total is {cents(total)} with an invoice discount: a credit note cannot carry the discount"


def discount_reason(percent: Decimal) -> str:
    """Why an invoice whose discount is not a percentage between 0 and 100 is parked."""
    return f"Invoice discount {plain(percent)}% is not between 0 and 100"


def discount_in_range(percent: Decimal) -> bool:
    return 0 <= percent <= HUNDRED


def customer_record(customer: SourceCustomer) -> CustomerRecord:
    address = None
    if customer.line1 and customer.city:
        address = Address(
            customer.line1, customer.city, customer.region or "", customer.postal_code or "", customer.country or ""
        )
    return CustomerRecord(
        source_id=customer.id,
        display_name=customer.display_name.strip(),
        email=customer.email or None,
        phone=customer.phone or None,
        address=address,
        currency=customer.currency,
    )


def item_record(product: SourceProduct, mapping: LedgerMapping) -> ItemRecord:
    income = mapping.income_account_for(product.category_id)
    if income is None:
        raise TransformProblem(f"No income account is mapped for the category of product '{product.name}'")
    return ItemRecord(
        source_id=product.id,
        name=product.name.strip(),
        description=product.description,
        unit_price=plain(cents(product.unit_price)),
        income_account_ref=income,
    )


def _rate_percent(line_rate_id: int | None, tax_rates: Mapping[int, SourceTaxRate]) -> Decimal:
    source = tax_rates.get(line_rate_id) if line_rate_id is not None else None
    return source.rate if source is not None else Decimal(0)


def discount_rows(
    invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate]
) -> dict[tuple[int | None, bool], LineAmounts]:
    """The invoice discount's rows by (Service Opus tax rate id, inclusive), as Service Opus prints them."""
    rate_lines = [
        RateLine(
            line.tax_rate_id,
            _rate_percent(line.tax_rate_id, tax_rates),
            line.tax_inclusive,
            extended_amount(line.quantity, line.unit_price),
        )
        for line in invoice.lines
    ]
    return invoice_discounts(rate_lines, invoice.discount_percent)


def total_due(invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate]) -> Decimal:
    """The invoice's gross total as Service Opus prints it: its lines, less its discount, with tax. Each line's
    amounts are worked out once, its extended amount (the discount's base) read from them: the checks and the loads
    ask for every invoice's total."""
    total = Decimal("0.00")
    rate_lines = []
    for line in invoice.lines:
        rate = _rate_percent(line.tax_rate_id, tax_rates)
        amounts = line_amounts(line.quantity, line.unit_price, rate, line.tax_inclusive)
        total += amounts.gross
        extended = amounts.gross if line.tax_inclusive else amounts.net
        rate_lines.append(RateLine(line.tax_rate_id, rate, line.tax_inclusive, extended))
    discounts = invoice_discounts(rate_lines, invoice.discount_percent)
    return total + sum((row.gross for row in discounts.values()), Decimal("0.00"))


def credit_total(note: SourceCreditNote, tax_rates: Mapping[int, SourceTaxRate]) -> Decimal:
    """The credit note's gross total as Service Opus prints it: what applying it takes off its invoice."""
    return sum(
        (
            line_amounts(
                line.quantity, line.unit_price, _rate_percent(line.tax_rate_id, tax_rates), line.tax_inclusive
            ).gross
            for line in note.lines
        ),
        Decimal("0.00"),
    )


def invoice_record(
    invoice: SourceInvoice,
    *,
    customer_ref: str,
    item_refs: Mapping[int, str],
    tax_rates: Mapping[int, SourceTaxRate],
    mapping: LedgerMapping,
    ledger_tax_rates: Mapping[str, LedgerTaxRate],
    ledger_tracking: Mapping[str, LedgerTrackingOption] | None = None,
) -> InvoiceRecord | InvoiceCreditRecord:
    """The invoice; one totalling below zero is the credit note it is (`InvoiceCreditRecord`). `ledger_tracking`:
    the ledger's tracking options by id, where the mapping tracks revenue (`core.tracking`)."""
    if not invoice.lines:
        raise TransformProblem(f"Invoice {invoice.number} has no lines")
    if not discount_in_range(invoice.discount_percent):
        raise TransformProblem(discount_reason(invoice.discount_percent))
    document = f"invoice {invoice.number}"
    lines, taxes = _ledger_lines(document, invoice.lines, item_refs, tax_rates, mapping, ledger_tax_rates)
    lines, tracking = _tracked(invoice, lines, mapping, ledger_tracking or {})
    discounts = _discounts(invoice, tax_rates, mapping)
    for discount in discounts:
        taxes[discount.tax_code_ref][0] += discount.amount
        taxes[discount.tax_code_ref][1] += discount.tax_amount
    tax_lines = _tax_lines(taxes, ledger_tax_rates)
    subtotal = sum((line.amount for line in lines), Decimal("0.00")) + sum(
        (discount.amount for discount in discounts), Decimal("0.00")
    )
    total_tax = sum((t.amount for t in tax_lines), Decimal("0.00"))
    if subtotal + total_tax < 0:
        if discounts:
            raise TransformProblem(credit_discount_reason(subtotal + total_tax))
        return _as_credit(invoice, customer_ref, lines, tax_lines, subtotal, total_tax)
    return InvoiceRecord(
        source_id=invoice.id,
        number=invoice.number,
        customer_ref=customer_ref,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=tuple(lines),
        tax_lines=tax_lines,
        subtotal=subtotal,
        total_tax=total_tax,
        total=subtotal + total_tax,
        discounts=discounts,
        voided=invoice.status == "void",
        tracking=tracking,
        exchange_rate=invoice.exchange_rate,
    )


def _tracking_option(
    label: str, source_id: int, by: TrackedBy, mapping: LedgerMapping, options: Mapping[str, LedgerTrackingOption]
) -> LedgerTrackingOption:
    option = options.get(mapping.tracking[by].get(source_id, ""))
    if option is None or not option.active:
        raise TransformProblem(f"{label} is not mapped to an active tracking option in the ledger")
    return option


def _tracked(
    invoice: SourceInvoice,
    lines: list[InvoiceLineRecord],
    mapping: LedgerMapping,
    options: Mapping[str, LedgerTrackingOption],
) -> tuple[list[InvoiceLineRecord], tuple[TrackingTag, ...]]:
    """The lines with their tracking options, and the invoice's own: its business unit's goes on the invoice where
    the ledger tracks that option per transaction, else on every line; a technician's on their lines."""
    on_invoice: tuple[TrackingTag, ...] = ()
    on_lines: tuple[TrackingTag, ...] = ()
    unit = invoice.business_unit_id
    if mapping.tracking.get(TrackedBy.BUSINESS_UNIT) and unit is not None:
        option = _tracking_option(f"Business unit {unit}", unit, TrackedBy.BUSINESS_UNIT, mapping, options)
        if option.level is TrackingLevel.TRANSACTION:
            on_invoice = (tag(option),)
        else:
            on_lines = (tag(option),)
    tracked = []
    for position, (line, source) in enumerate(zip(lines, invoice.lines, strict=True), start=1):
        tags = on_lines
        technician = source.technician_id
        if mapping.tracking.get(TrackedBy.TECHNICIAN) and technician is not None:
            label = f"Technician {technician} on line {position} of invoice {invoice.number}"
            option = _tracking_option(label, technician, TrackedBy.TECHNICIAN, mapping, options)
            if option.level is not TrackingLevel.LINE:
                raise TransformProblem(f"{label} maps to {option.label}, which the ledger tracks per transaction")
            if any(carried.category_id == option.category_id for carried in tags):
                raise TransformProblem(
                    f"{label} maps to {option.label}, the same category as the invoice's business unit: "
                    "a line carries one option of each category"
                )
            tags = (*tags, tag(option))
        tracked.append(replace(line, tracking=tags) if tags else line)
    return tracked, on_invoice


def _as_credit(
    invoice: SourceInvoice,
    customer_ref: str,
    lines: Sequence[InvoiceLineRecord],
    tax_lines: Sequence[TaxLineRecord],
    subtotal: Decimal,
    total_tax: Decimal,
) -> InvoiceCreditRecord:
    """The invoice's figures negated: a line's quantity changes sign (its unit price stays), so a returned part
    (-1 x 95.00) is credited as 1 x 95.00 and a trade-in (1 x -40.00) as -1 x -40.00, both +amount. A foreign
    invoice's credit note is in its currency at its rate."""
    return InvoiceCreditRecord(
        source_id=invoice.id,
        number=invoice.number,
        customer_ref=customer_ref,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        lines=tuple(
            replace(line, quantity=-line.quantity, amount=-line.amount, tax_amount=-line.tax_amount) for line in lines
        ),
        tax_lines=tuple(replace(t, net_taxable=-t.net_taxable, amount=-t.amount) for t in tax_lines),
        subtotal=-subtotal,
        total_tax=-total_tax,
        total=-(subtotal + total_tax),
        voided=invoice.status == "void",
        exchange_rate=invoice.exchange_rate,
    )


def credit_note_record(
    note: SourceCreditNote,
    *,
    customer_ref: str,
    item_refs: Mapping[int, str],
    tax_rates: Mapping[int, SourceTaxRate],
    mapping: LedgerMapping,
    ledger_tax_rates: Mapping[str, LedgerTaxRate],
    customer_currency: str | None = None,
) -> CreditNoteRecord:
    """Lines and tax exactly as an invoice's (same money code); a credit note below zero is parked. `customer_currency`:
    the customer's currency when it is a foreign one (None: home); the note is in it, at the rate Service Opus
    recorded."""
    if not note.lines:
        raise TransformProblem(f"Credit note {note.number} has no lines")
    problem = credit_currency_problem(
        f"Credit note {note.number}", note.currency, note.exchange_rate, customer_currency
    )
    if problem is not None:
        raise TransformProblem(problem)
    document = f"credit note {note.number}"
    lines, taxes = _ledger_lines(document, note.lines, item_refs, tax_rates, mapping, ledger_tax_rates)
    tax_lines = _tax_lines(taxes, ledger_tax_rates)
    subtotal = sum((line.amount for line in lines), Decimal("0.00"))
    total_tax = sum((t.amount for t in tax_lines), Decimal("0.00"))
    if subtotal + total_tax < 0:
        raise TransformProblem(
            f"Credit note total is {cents(subtotal + total_tax)}: a credit note cannot be below zero"
        )
    return CreditNoteRecord(
        source_id=note.id,
        number=note.number,
        customer_ref=customer_ref,
        issue_date=note.issue_date,
        currency=note.currency,
        lines=tuple(lines),
        tax_lines=tax_lines,
        subtotal=subtotal,
        total_tax=total_tax,
        total=subtotal + total_tax,
        voided=note.status == "void",
        exchange_rate=note.exchange_rate,
    )


def credit_application_record(
    note: CreditNoteRecord, *, credit_note_ref: str, invoice_ref: str
) -> CreditApplicationRecord:
    """All of the credit note's credit, applied to the invoice it credits on the note's date."""
    return CreditApplicationRecord(
        source_id=note.source_id,
        credit_note_ref=credit_note_ref,
        invoice_ref=invoice_ref,
        customer_ref=note.customer_ref,
        amount=note.total,
        applied_on=note.issue_date,
        currency=foreign_currency(note),
        exchange_rate=note.exchange_rate,
    )


def _tax_lines(
    taxes: Mapping[str, list[Decimal]], ledger_tax_rates: Mapping[str, LedgerTaxRate]
) -> tuple[TaxLineRecord, ...]:
    return tuple(
        TaxLineRecord(code, ledger_tax_rates[code].rate_ref, ledger_tax_rates[code].rate_percent, net, tax)
        for code, (net, tax) in sorted(taxes.items())
    )


def _ledger_lines(
    document: str,
    source_lines: Sequence[SourceLine],
    item_refs: Mapping[int, str],
    tax_rates: Mapping[int, SourceTaxRate],
    mapping: LedgerMapping,
    ledger_tax_rates: Mapping[str, LedgerTaxRate],
) -> tuple[list[InvoiceLineRecord], dict[str, list[Decimal]]]:
    """An invoice's or credit note's lines with their ledger tax codes, and [net, tax] per code."""
    lines: list[InvoiceLineRecord] = []
    taxes: dict[str, list[Decimal]] = {}
    for position, line in enumerate(source_lines, start=1):
        source_rate = tax_rates.get(line.tax_rate_id) if line.tax_rate_id is not None else None
        if source_rate is None:
            raise TransformProblem(f"Line {position} of {document} has no tax rate")
        code = mapping.tax_rates.get(source_rate.id)
        ledger_rate = ledger_tax_rates.get(code) if code else None
        if code is None or ledger_rate is None or not ledger_rate.active:
            raise TransformProblem(f"Tax rate '{source_rate.name}' has no active mapping in the ledger")
        try:
            amounts = line_amounts(line.quantity, line.unit_price, source_rate.rate, line.tax_inclusive)
            price = (
                unit_price_for(amounts.net, line.quantity)
                if line.tax_inclusive and line.quantity != 0
                else plain(line.unit_price)
            )
        except MoneyError as exc:
            raise TransformProblem(f"Line {position} of {document}: {exc}") from exc
        lines.append(
            InvoiceLineRecord(
                item_ref=item_refs[line.product_id],
                description=line.description,
                quantity=plain(line.quantity),
                unit_price=price,
                amount=amounts.net,
                tax_code_ref=code,
                tax_amount=amounts.tax,
            )
        )
        taxes.setdefault(code, [Decimal("0.00"), Decimal("0.00")])
        taxes[code][0] += amounts.net
        taxes[code][1] += amounts.tax
    return lines, taxes


def _discounts(
    invoice: SourceInvoice, tax_rates: Mapping[int, SourceTaxRate], mapping: LedgerMapping
) -> tuple[InvoiceDiscountRecord, ...]:
    """The invoice discount's rows with their ledger tax codes (each rate was mapped for its lines)."""
    rows = discount_rows(invoice, tax_rates)
    if not rows:
        return ()
    account = mapping.accounts.get(AccountRole.SALES_INCOME)
    if account is None:
        raise TransformProblem("No Sales Income account is mapped for the invoice discount")
    discounts = []
    for (rate_id, _), amounts in rows.items():
        assert rate_id is not None  # a line without a tax rate was refused before
        code = mapping.tax_rates[rate_id]
        percent = plain(invoice.discount_percent)
        discounts.append(InvoiceDiscountRecord(percent, code, amounts.net, amounts.tax, account))
    return tuple(discounts)


def foreign_currency(invoice: SourceInvoice | InvoiceRecord | CreditNoteRecord) -> str | None:
    """The document's currency when it is a foreign one (it carries Service Opus's exchange rate); None: home."""
    return invoice.currency if invoice.exchange_rate is not None else None


def deposit_account(payment: SourcePayment, mapping: LedgerMapping) -> str:
    """The ledger account the payment lands in: its Service Opus bank account's, or Undeposited Funds."""
    if payment.bank_account_id is None:
        deposit = mapping.accounts.get(AccountRole.UNDEPOSITED_FUNDS)
        if deposit is None:
            raise TransformProblem("No Undeposited Funds account is mapped")
        return deposit
    deposit = mapping.bank_accounts.get(payment.bank_account_id)
    if deposit is None:
        raise TransformProblem(f"Service Opus bank account {payment.bank_account_id} is not mapped to a ledger account")
    return deposit


def payment_record(
    payment: SourcePayment,
    *,
    invoice_ref: str,
    customer_ref: str,
    mapping: LedgerMapping,
    invoice_currency: str | None = None,
    applied: Decimal | None = None,
) -> PaymentRecord:
    """The payment as deposited into the mapped account of where it landed: what it pays on the invoice. A tip on
    top goes as its own record (`tips.tip_record`), never on the payment. `invoice_ref` "": a deposit not applied yet
    (all of it the customer's credit); `applied`: what it pays of the invoice when that is less than its amount (an
    overpayment, see `core.applications`), None: all of it. Nothing of it applied is a credit on the customer's account,
    sent as a deposit is. `invoice_currency`: the invoice's currency when it is a foreign one (None: home money); the
    payment is in it, at the rate Service Opus recorded when it was collected."""
    deposit = deposit_account(payment, mapping)
    assert payment.collected_at is not None
    if cents(payment.amount) != payment.amount:
        raise TransformProblem(f"Payment amount {payment.amount.normalize()} is not a whole number of cents")
    if invoice_currency is not None and payment.exchange_rate is None:
        raise TransformProblem(f"Payment of a {invoice_currency} invoice has no exchange rate recorded")
    if invoice_currency is None and payment.exchange_rate is not None:
        raise TransformProblem("Payment of an invoice in the home currency has an exchange rate recorded")
    amount = cents(payment.amount)
    part = None if applied is None or cents(applied) >= amount else cents(applied)
    return PaymentRecord(
        source_id=payment.id,
        invoice_ref=invoice_ref if part != 0 else "",
        customer_ref=customer_ref,
        amount=amount,
        paid_on=payment.collected_at.date(),
        method=payment.method,
        deposit_account_ref=deposit,
        reference=(payment.reference or "").strip(),
        reversed=payment.reversed,
        currency=invoice_currency,
        exchange_rate=payment.exchange_rate,
        applied=part if part != 0 else None,
    )
