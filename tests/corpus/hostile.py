"""A corpus of hostile Service Opus records, each with the outcome it must have in every ledger.

Outcomes: "synced", "skipped" (drafts and voids are deliberately not pushed) or "parked:<text the
parking reason must contain>". A record whose outcome depends on the ledger names a `case` instead,
and each ledger's test module (`tests/ledgers/<ledger>.py`) says what becomes of that case there.
Nothing in here may stop a run.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import (
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Product,
    TaxRate,
)


@dataclass(frozen=True)
class Expected:
    entity: str
    source_id: int
    label: str
    common: str | None
    """The outcome in every ledger; None: see `case`."""
    case: str | None = None
    """A ledger-dependent case: each ledger's `FACTS.corpus` holds its outcome."""
    follows: "Expected | None" = None
    """The customer this invoice waits for: synced when it is, else parked behind it."""

    def outcome(self, cases: Mapping[str, str]) -> str:
        """What must become of the record in a ledger whose ledger-dependent outcomes are `cases`."""
        if self.follows is not None:
            return "synced" if self.follows.outcome(cases) == "synced" else "parked:Waiting for customer"
        if self.case is None:
            assert self.common is not None
            return self.common
        return cases[self.case]


@dataclass
class _Corpus:
    session: Session
    company_id: int
    product: Product
    hst: TaxRate
    locked_at: datetime
    expected: list[Expected] = field(default_factory=list)
    number: int = 0

    def customer(
        self, name: str, outcome: str | None = "synced", *, case: str | None = None, email: str = "ap@example.com"
    ) -> Customer:
        customer = Customer(company_id=self.company_id, display_name=name, email=email)
        self.session.add(customer)
        self.session.flush()
        expected = Expected("customer", customer.id, f"customer {name[:40]!r}", None if case else outcome, case)
        self.expected.append(expected)
        # Each customer needs a locked invoice to be synced at all; that invoice follows its customer.
        self.invoice(f"needs customer {customer.id}", customer=customer, follows=expected)
        return customer

    def invoice(
        self,
        label: str,
        *,
        lines: list[tuple[str, str, bool]] | None = None,
        customer: Customer | None = None,
        no_customer: bool = False,
        number: str | None = None,
        issued: date | None = None,
        status: InvoiceStatus = InvoiceStatus.LOCKED,
        tax_rate: TaxRate | None = None,
        discount: str = "0",
        outcome: str = "synced",
        case: str | None = None,
        follows: Expected | None = None,
        product: Product | None = None,
    ) -> Invoice:
        self.number += 1
        self.locked_at += timedelta(minutes=1)
        invoice = Invoice(
            company_id=self.company_id,
            number=number or f"HX-{self.number:04d}",
            customer_id=None if no_customer else (customer or self.regular).id,
            issue_date=issued or date(2026, 6, 1),
            due_date=(issued or date(2026, 6, 1)) + timedelta(days=30),
            currency="CAD",
            status=status,
            locked_at=None if status == InvoiceStatus.DRAFT else self.locked_at.replace(tzinfo=None),
            discount_percent=Decimal(discount),
        )
        default = [("1", "100.00", False)]
        product = product or self.product
        for position, (quantity, price, inclusive) in enumerate(default if lines is None else lines, start=1):
            invoice.lines.append(
                InvoiceLine(
                    position=position,
                    product_id=product.id,
                    category_id=product.category_id,
                    description=f"{label} — “quoted” & 'ticked'",
                    quantity=Decimal(quantity),
                    unit_price=Decimal(price),
                    tax_rate_id=(tax_rate or self.hst).id,
                    tax_inclusive=inclusive,
                )
            )
        self.session.add(invoice)
        self.session.flush()
        if status != InvoiceStatus.LOCKED:
            outcome, case, follows = "skipped", None, None
        self.expected.append(Expected("invoice", invoice.id, label, None if case else outcome, case, follows))
        return invoice

    def corrupt(self, table: str, column: str, value: object, where: str, row_id: int) -> None:
        """Write a value the typed model would refuse, as SQLite lets any app do."""
        self.session.flush()
        self.session.execute(
            text(f"UPDATE {table} SET {column} = :value WHERE {where} = :id"), {"value": value, "id": row_id}
        )
        self.session.expire_all()

    def bad_invoice(self, label: str, table: str, column: str, value: object, reason: str) -> None:
        """A locked invoice (its line, for invoice_lines) holding a malformed value: parked naming it."""
        invoice = self.invoice(label, outcome=f"parked:{reason}")
        where = "invoice_id" if table == "invoice_lines" else "id"
        self.corrupt(table, column, value, where, invoice.id)

    def bad_payment(self, label: str, column: str, value: object, reason: str) -> None:
        invoice = self.invoice(f"invoice of {label}", lines=[("1", "100.00", False)])
        payment = self.payment(label, invoice, "10.00", outcome=f"parked:{reason}")
        self.corrupt("payments", column, value, "id", payment.id)

    def payment(self, label: str, invoice: Invoice, amount: str, outcome: str = "synced") -> Payment:
        self.locked_at += timedelta(minutes=1)
        payment = Payment(
            company_id=self.company_id,
            invoice_id=invoice.id,
            amount=Decimal(amount),
            method=PaymentMethod.CARD,
            status=PaymentStatus.COLLECTED,
            collected_at=(self.locked_at + timedelta(days=400)).replace(tzinfo=None),
        )
        self.session.add(payment)
        self.session.flush()
        self.expected.append(Expected("payment", payment.id, label, outcome))
        return payment

    @property
    def regular(self) -> Customer:
        return self._regular

    @regular.setter
    def regular(self, customer: Customer) -> None:
        self._regular = customer


def add_hostile_records(session: Session, company_id: int) -> list[Expected]:
    """Insert the corpus into a seeded company and return what must become of each record."""
    product = session.scalars(select(Product).where(Product.company_id == company_id).limit(1)).one()
    rates = {r.name.split()[0]: r for r in session.scalars(select(TaxRate).where(TaxRate.company_id == company_id))}
    archived = TaxRate(company_id=company_id, name="Old PST 8%", rate=Decimal(8), active=False)
    session.add(archived)
    corpus = _Corpus(session, company_id, product, rates["HST"], datetime(2027, 1, 1, tzinfo=UTC))
    corpus.regular = corpus.customer("Regular Customer Ltd")

    # Customer names (each also brings an invoice that must follow its customer).
    corpus.customer("O'Brien's Plumbing")
    corpus.customer("Back\\slash Services")
    corpus.customer("Colon: Head Office")  # QBO: "Colon - Head Office"
    corpus.customer("Emoji 🔧 Repairs")
    corpus.customer("“Curly” Quotes Ltd")
    corpus.customer("En – Dash Heating")
    corpus.customer("Zoë Lefèvre-Côté")
    corpus.customer("100%_wild*cards?")
    corpus.customer("x" * 300)  # Xero: cut to 255, ending "… (SO-C<id>)"
    corpus.customer("y" * 501)  # QBO: cut to 500 the same way
    corpus.customer("Tab\tInside")  # a tab or line break becomes a space
    corpus.customer("New\nLine Ltd")
    corpus.customer("Bell\x07 and Escape\x1b Ltd")  # characters XML 1.0 cannot hold are dropped
    corpus.customer(
        "Many Addresses Ltd",
        case="email over 100 characters",
        email="; ".join(f"accounts.office{n}@many-addresses.example" for n in range(1, 5)),
    )
    corpus.customer("", outcome="parked:no name")
    corpus.customer("Acme Supplies", case="a vendor's name")  # a QBO vendor's name
    corpus.customer("Jordan Lee", case="an employee's name")  # a QBO employee's name
    corpus.customer("Twin Name Co")
    corpus.customer("Twin Name Co", outcome="parked:refused")

    # Invoices.
    long_name = Product(
        company_id=company_id,
        category_id=product.category_id,
        name="Annual furnace, humidifier, heat-recovery ventilator and ductwork inspection, cleaning and "
        "maintenance plan with two visits",
        unit_price=Decimal("350.00"),
    )
    session.add(long_name)
    session.flush()
    corpus.expected.append(Expected("item", long_name.id, "product name over 100 characters", "synced"))
    corpus.invoice("a product whose name is cut to fit", product=long_name)
    corpus.invoice("line description with a bell\x07, a vertical tab\x0b and CR LF\r\n")
    corpus.invoice("zero quantity line", lines=[("0", "50.00", False), ("1", "10.00", False)])
    corpus.invoice("negative quantity (below zero: synced as a credit note)", lines=[("-2", "50.00", False)])
    corpus.invoice("part returned (negative quantity)", lines=[("3", "50.00", False), ("-1", "50.00", False)])
    corpus.invoice("trade-in (negative unit price)", lines=[("1", "300.00", False), ("1", "-120.00", False)])
    corpus.invoice("credited to exactly zero", lines=[("1", "80.00", False), ("-1", "80.00", False)])
    corpus.invoice("invoice discount 12.5 %", lines=[("3", "33.33", False), ("1", "-9.99", False)], discount="12.5")
    corpus.invoice("tax-inclusive invoice discount", lines=[("7", "49.99", True), ("1", "0.01", True)], discount="15")
    corpus.invoice("invoice discount 100 %", lines=[("2", "45.00", False)], discount="100")
    corpus.invoice("invoice discount 150 %", discount="150", outcome="parked:Invoice discount 150% is not between")
    corpus.invoice("negative invoice discount", discount="-5", outcome="parked:Invoice discount -5% is not between")
    corpus.invoice("three-decimal unit price", lines=[("3", "12.345", False)])
    corpus.invoice("three-decimal quantity", lines=[("1.333", "75.00", False)])
    corpus.invoice(
        "inclusive rounding that does not divide evenly",
        lines=[("3", "33.33", True), ("7", "0.99", True), ("1", "0.01", True)],
    )
    corpus.invoice("mixed inclusive and exclusive lines", lines=[("2", "19.99", True), ("1", "5.55", False)])
    corpus.invoice("a thousand lines", lines=[("1", f"{1 + n % 97}.{n % 100:02d}", False) for n in range(1000)])
    corpus.invoice("no customer", no_customer=True, outcome="parked:no customer")
    corpus.invoice("number over 21 characters", number="INV-2026-000000000000123", case="number over 21 characters")
    corpus.invoice("duplicate number (first)", number="DUP-0001")
    corpus.invoice("duplicate number (second)", number="DUP-0001", outcome="parked:refused")
    corpus.invoice("archived, unmapped tax rate", tax_rate=archived, outcome="parked:Old PST 8%")
    corpus.invoice("NaN unit price", lines=[("1", "NaN", False)], outcome="parked:finite")
    corpus.invoice("infinite quantity", lines=[("Infinity", "10.00", False)], outcome="parked:finite")
    corpus.invoice("dated 1850", issued=date(1850, 1, 1), outcome="parked:outside the range")
    corpus.invoice("dated 2150", issued=date(2150, 1, 1), outcome="parked:outside the range")
    corpus.invoice("no lines", lines=[], outcome="parked:no lines")
    corpus.invoice(
        "amount over the ledger maximum",
        lines=[("1000", "99999999.99", False)],
        outcome="parked:larger",
    )
    corpus.invoice("draft", status=InvoiceStatus.DRAFT)
    corpus.invoice("void", status=InvoiceStatus.VOID)

    # Payments.
    paid = corpus.invoice("invoice paid in three parts", lines=[("1", "100.00", False)])  # 113.00 with HST
    for part in ("40.00", "40.00", "33.00"):
        corpus.payment(f"a third of {paid.number}", paid, part)
    over = corpus.invoice("invoice overpaid", lines=[("1", "100.00", False)])
    corpus.payment("payment larger than the amount due (an overpayment: the excess is credit)", over, "150.00")
    void = corpus.invoice("voided invoice with a payment", status=InvoiceStatus.VOID)
    corpus.payment("payment for a voided invoice", void, "10.00", outcome="parked:voided")
    negative = corpus.invoice("negative quantity, paid (synced as a credit note)", lines=[("-1", "10.00", False)])
    corpus.payment("payment for an invoice below zero", negative, "5.00", outcome="parked:totalling -11.30")
    sub_cent = corpus.invoice("invoice paid with a sub-cent amount", lines=[("1", "10.00", False)])
    corpus.payment("three-decimal payment", sub_cent, "10.005", outcome="parked:cents")
    zero = corpus.invoice("invoice paid zero", lines=[("1", "10.00", False)])
    corpus.payment("zero payment", zero, "0.00", outcome="parked:not positive")
    corpus.payment("negative payment", zero, "-5.00", outcome="parked:not positive")

    # Records without a business timestamp, and payments whose invoice is not locked (yet).
    unlocked_at = corpus.invoice("locked invoice without locked_at")
    corpus.corrupt("invoices", "locked_at", None, "id", unlocked_at.id)
    draft = corpus.invoice("draft invoice with a collected payment", status=InvoiceStatus.DRAFT)
    corpus.payment(
        "payment for a draft invoice", draft, "10.00", outcome=f"parked:Waiting for invoice {draft.number} to be locked"
    )

    # Malformed values, as SQLite's loose typing lets them in: each parks its record, naming field and value.
    corpus.bad_invoice("quantity 'abc'", "invoice_lines", "quantity", "abc", "quantity of line 1 'abc' is not a number")
    corpus.bad_invoice(
        "quantity 1e30", "invoice_lines", "quantity", "1e30", "quantity of line 1 '1e30' is out of range"
    )
    corpus.bad_invoice("empty unit price", "invoice_lines", "unit_price", "", "unit price of line 1 '' is not a number")
    corpus.bad_invoice("unit price '$12.50'", "invoice_lines", "unit_price", "$12.50", "unit price of line 1 '$12.50'")
    corpus.bad_invoice("quantity '1/2'", "invoice_lines", "quantity", "1/2", "quantity of line 1 '1/2' is not a number")
    corpus.bad_invoice("comma decimal", "invoice_lines", "unit_price", "12,50", "unit price of line 1 '12,50'")
    corpus.bad_invoice("blank quantity", "invoice_lines", "quantity", "   ", "quantity of line 1 '   ' is not a number")
    corpus.bad_invoice("huge negative price", "invoice_lines", "unit_price", "-99999999999", "is out of range")
    corpus.bad_invoice("long garbage quantity", "invoice_lines", "quantity", "9" * 30 + "x" * 100, "'99999999999")
    corpus.bad_invoice("tax_inclusive 'yes'", "invoice_lines", "tax_inclusive", "yes", "tax_inclusive of line 1 'yes'")
    corpus.bad_invoice(
        "issued 2026-02-30", "invoices", "issue_date", "2026-02-30", "issue_date '2026-02-30' is not a date"
    )
    corpus.bad_invoice("due 'soon'", "invoices", "due_date", "soon", "due_date 'soon' is not a date")
    corpus.bad_invoice("locked_at 'yesterday'", "invoices", "locked_at", "yesterday", "locked_at 'yesterday'")
    corpus.bad_invoice("locked_at ''", "invoices", "locked_at", "", "locked_at '' is not a date and time")
    corpus.bad_invoice("discount 'ten'", "invoices", "discount_percent", "ten", "discount percent 'ten' is not a")
    corpus.bad_invoice("discount NaN", "invoices", "discount_percent", "NaN", "finite")
    corpus.bad_payment("method 'bitcoin'", "method", "bitcoin", "method 'bitcoin' is not one of card, cash, check, ach")
    corpus.bad_payment("amount 'abc'", "amount", "abc", "amount 'abc' is not a number")
    corpus.bad_payment("amount 1e30", "amount", "1e30", "amount '1e30' is out of range")
    corpus.bad_payment("empty amount", "amount", "", "amount '' is not a number")
    corpus.bad_payment("collected without collected_at", "collected_at", None, "collected_at None is empty")
    corpus.bad_payment(
        "collected 2026-13-01", "collected_at", "2026-13-01 10:00:00", "collected_at '2026-13-01 10:00:00'"
    )
    broken_price = Product(
        company_id=company_id, category_id=product.category_id, name="Broken price", unit_price=Decimal("1.00")
    )
    session.add(broken_price)
    session.flush()
    broken_id = broken_price.id  # the row cannot be loaded through the typed model once corrupted
    corpus.corrupt("products", "unit_price", "n/a", "id", broken_id)
    corpus.expected.append(Expected("item", broken_id, "product price 'n/a'", "parked:unit price 'n/a'"))
    needs_broken = corpus.invoice("invoice of a product with price 'n/a'", outcome="parked:Waiting for product")
    corpus.corrupt("invoice_lines", "product_id", broken_id, "invoice_id", needs_broken.id)
    broken_rate = TaxRate(company_id=company_id, name="Retired levy", rate=Decimal(2), active=False)
    session.add(broken_rate)
    session.flush()
    corpus.corrupt("tax_rates", "rate", "two percent", "id", broken_rate.id)  # unused and inactive: harmless
    levy = TaxRate(company_id=company_id, name="Eco levy", rate=Decimal(1), active=True)
    session.add(levy)
    session.flush()
    levy_id = levy.id
    corpus.invoice("line with an unreadable tax rate", tax_rate=levy, outcome="parked:rate '1,5 %' is not a number")
    corpus.corrupt("tax_rates", "rate", "1,5 %", "id", levy_id)
    return corpus.expected
