"""Realistic, deterministic Service Opus data of any size, for demos, tests and benchmarks.

Everything is drawn from `random.Random` seeded per company, so the same arguments on an empty database
give byte-identical rows. Rows go in through SQLAlchemy Core executemany in chunks with primary keys
computed here (continuing after each table's current maximum), because the ORM unit of work is far too
slow for 100,000 invoices. Companies are generated independently and their invoices interleaved by
issue time, as in a real multi-tenant database.

Discounts come in realistic shares: about one invoice in twenty carries a discount line (a part returned
unused, credited labour as goodwill, a waived call-out fee: a negative quantity or unit price), and about
one in twenty an invoice discount (5-15 %, a member or senior discount). No seeded invoice totals below
zero: a credit is a credit note in Service Opus. Voided invoices carry when they were voided.

Every company has three bank accounts (its operating account, the card processor's clearing account and a
cash drawer) and routes card payments to card clearing, ACH to operating, cash to the cash drawer and checks
to Undeposited Funds (they are taken to the bank in batches). A card payment carries the card's last four
digits and a check its number; about one card payment in ten carries a tip on top of its amount. These are
drawn from a second random stream per company, so the rest of the data is what it was before they existed.

Credit notes: about one unpaid locked invoice in twenty gets one a few days after it is locked, crediting
half of one of its lines (work redone, a part taken back); most are issued, some still drafts, a few void,
and about one in ten is a credit on the customer's account rather than tied to the invoice. They are drawn
from their own random stream, so adding them changed none of the invoices and payments a seed gives.

Refunds and reversals, from a fourth stream per company (so nothing above changed): about one collected payment in
a hundred is reversed some days later (a card one charged back by the cardholder's bank, a check bounced, an ACH
debit returned: status charged_back or failed, with when and why), and about three in a hundred are refunded a few
days after collection, four in ten of them in full, the others in part. A refunded payment stays collected.

Deposits and overpayments, from a fifth stream per company (so nothing above changed): about one paid locked invoice
in twenty-five was paid first by a deposit (card or ACH) taken a few days before it was issued (when the job was
booked) and applied to it when the payment used to be collected; about one in thirty was overpaid by its last payment
(cash rounded up: the change stays the customer's credit); and about one draft invoice in eight has a deposit taken
for its job, not applied to any invoice yet. Only payments collected and neither refunded nor reversed are turned into
deposits or overpayments. Every payment names its customer.
"""

import heapq
import itertools
import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal
from math import ceil
from operator import attrgetter

from sqlalchemy import Connection, Engine, Table, func, insert, select, update

from ledger_sync.connectors.service_opus import names
from ledger_sync.connectors.service_opus.models import (
    BankAccountKind,
    CreditNoteStatus,
    InvoiceStatus,
    PaymentMethod,
    PaymentStatus,
    SourceBase,
)
from ledger_sync.connectors.service_opus.names import CATEGORY_NAMES, City, ProductKind, TaxScheme, Trade
from ledger_sync.connectors.service_opus.seed_payouts import payout_rows
from ledger_sync.core.money import RateLine, cents, extended_amount, invoice_discounts, line_amounts

CHUNK_INVOICES = 5_000
"""Invoices (with their lines and payments) written per transaction."""
CURRENCIES = {"CA": "CAD", "US": "USD"}
"""The home currency of a seeded company, by country."""
FOREIGN_CURRENCIES = {"CA": "USD", "US": "CAD"}
"""The currency a seeded company's foreign customers are billed in: its neighbour's."""
RATE_CENTRES = {"CA": Decimal("1.35"), "US": Decimal("0.74")}
"""About what one unit of the foreign currency is worth at home; each invoice and payment is recorded at a rate
within 3 % of it, to 4 places."""

TABLES: tuple[Table, ...] = tuple(
    SourceBase.metadata.tables[name]
    for name in (
        "companies",
        "customers",
        "product_categories",
        "products",
        "tax_rates",
        "bank_accounts",
        "payment_routes",
        "business_units",
        "technicians",
        "invoices",
        "invoice_lines",
        "payments",
        "refunds",
        "credit_notes",
        "credit_note_lines",
        "payouts",
        "payout_payments",
    )
)
"""In foreign-key order."""
COMPANIES = TABLES[0]

BUSINESS_UNITS = (("North Branch", 60), ("South Branch", 40))
"""(name, share of invoices): the branches a company's revenue is reported under."""
TECHNICIANS = (("Alex Rivera", 55), ("Sam Chen", 45))
"""(name, share of invoices led): each invoice's labour, fees and plans are its lead technician's, and a line in
`SECOND_TECHNICIAN_SHARE` is the other one's; parts carry no technician."""
SECOND_TECHNICIAN_SHARE = 0.15

HOME_CITIES = ("Toronto", "Vancouver", "Montréal", "Calgary", "Halifax", "Ottawa", "Winnipeg", "Hamilton")
"""Where company k is based (cycled); the first is in Ontario, so the default seed is mostly HST."""

STATUSES = (InvoiceStatus.LOCKED, InvoiceStatus.DRAFT, InvoiceStatus.VOID)
STATUS_WEIGHTS = tuple(itertools.accumulate((80, 12, 8)))
LINE_COUNT_WEIGHTS = tuple(itertools.accumulate((22, 24, 18, 13, 9, 6, 4, 4)))
KINDS = (ProductKind.HOURLY, ProductKind.PART, ProductKind.FEE, ProductKind.PLAN)
KIND_WEIGHTS = tuple(itertools.accumulate((30, 45, 15, 10)))
HOURS = tuple(Decimal(h) for h in ("0.5", "0.75", "1", "1", "1.25", "1.5", "1.5", "2", "2", "2.5", "3", "4", "6", "8"))
PART_COUNTS = tuple(Decimal(n) for n in range(1, 11))
PART_COUNT_WEIGHTS = tuple(itertools.accumulate((30, 20, 12, 8, 6, 5, 4, 3, 2, 2)))
METHODS = (PaymentMethod.CARD, PaymentMethod.ACH, PaymentMethod.CHECK, PaymentMethod.CASH)
METHOD_WEIGHTS = tuple(itertools.accumulate((55, 20, 15, 10)))
DISCOUNT_LINE_SHARE = 0.05
INVOICE_DISCOUNT_SHARE = 0.05
INVOICE_DISCOUNT_PERCENTS = tuple(Decimal(p) for p in ("5", "10", "10", "10", "15"))
BANK_ACCOUNTS = (
    ("Operating Account", BankAccountKind.OPERATING),
    ("Card Clearing", BankAccountKind.CARD_CLEARING),
    ("Cash Drawer", BankAccountKind.CASH_DRAWER),
)
ROUTES: dict[PaymentMethod, BankAccountKind | None] = {
    PaymentMethod.CARD: BankAccountKind.CARD_CLEARING,
    PaymentMethod.ACH: BankAccountKind.OPERATING,
    PaymentMethod.CASH: BankAccountKind.CASH_DRAWER,
    PaymentMethod.CHECK: None,
}
"""Where each method's payments land; None: Undeposited Funds."""
TIP_SHARE = 0.1
"""Of card payments."""
TIP_PERCENTS = (10, 15, 15, 18, 20)
CREDIT_NOTE_SHARE = 0.05
"""Of the unpaid locked invoices."""
ON_ACCOUNT_SHARE = 0.1
"""Of the credit notes: a credit on the customer's account, not tied to the invoice."""
CREDIT_NOTE_STATUSES = (CreditNoteStatus.ISSUED, CreditNoteStatus.DRAFT, CreditNoteStatus.VOID)
CREDIT_NOTE_STATUS_WEIGHTS = tuple(itertools.accumulate((85, 10, 5)))
PAYMENT_STATUSES = (PaymentStatus.COLLECTED, PaymentStatus.PENDING, PaymentStatus.FAILED)
PAYMENT_STATUS_WEIGHTS = tuple(itertools.accumulate((90, 6, 4)))
REVERSAL_SHARE = 0.01
"""Of collected payments: charged back (card) or failed (check, ACH, cash: a counterfeit note found later)."""
REFUND_SHARE = 0.03
"""Of collected payments (not reversed)."""
FULL_REFUND_SHARE = 0.4
"""Of refunds: the whole payment paid back; the rest pay back 10-60 % of it."""
APPLIED_DEPOSIT_SHARE = 0.05
"""Of paid locked invoices: the first payment, by card or ACH, was a deposit taken before the invoice, applied to it
later."""
OVERPAYMENT_SHARE = 0.033
"""Of paid locked invoices: the last payment paid more than was still open, in cash (the change left as credit)."""
DEPOSIT_METHODS = (PaymentMethod.CARD, PaymentMethod.ACH)
"""How a deposit is taken when the job is booked: by card or bank transfer, straight into a bank account (Xero holds
a deposit or an overpayment as a bank transaction, which only a bank account takes; a check waits in Undeposited
Funds)."""
OPEN_DEPOSIT_SHARE = 0.125
"""Of draft invoices: a deposit for the job, not applied to an invoice yet."""
DEPOSIT_PERCENTS = (Decimal(25), Decimal(30), Decimal(50))
OVERPAYMENT_STEPS = (Decimal(5), Decimal(10), Decimal(20))
"""An overpayment rounds the amount due up to the next multiple of one of these, or by one more step."""
REVERSAL_REASONS: dict[PaymentMethod, str] = {
    PaymentMethod.CARD: "Cardholder disputed the charge",
    PaymentMethod.CHECK: "Check returned: insufficient funds",
    PaymentMethod.ACH: "ACH debit returned: account closed",
    PaymentMethod.CASH: "Counterfeit banknotes found at the bank",
}
REFUND_REASONS = (
    "Customer not satisfied with the repair",
    "Part returned unused",
    "Charged twice by mistake",
    "Goodwill gesture after a missed appointment",
)
COLLECTION_DELAY_SECONDS: dict[PaymentMethod, tuple[int, int]] = {
    PaymentMethod.CARD: (600, 3 * 86_400),
    PaymentMethod.CASH: (60, 2 * 3_600),
    PaymentMethod.CHECK: (3 * 86_400, 30 * 86_400),
    PaymentMethod.ACH: (86_400, 10 * 86_400),
}
KIND_DESCRIPTIONS: dict[ProductKind, str] = {
    ProductKind.HOURLY: "Billed in quarter-hour increments",
    ProductKind.PART: "Supplied and installed",
    ProductKind.PLAN: "Priority booking and discounted repairs",
    ProductKind.FEE: "Travel and first assessment on site",
}
ASCII_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss"})


@dataclass(frozen=True)
class SeedSummary:
    companies: int
    customers: int
    products: int
    tax_rates: int
    invoices: int
    locked: int
    drafts: int
    voids: int
    invoice_lines: int
    payments: int
    collected_payments: int
    credit_notes: int = 0
    refunds: int = 0
    payouts: int = 0


@dataclass(frozen=True)
class _Product:
    id: int
    category_id: int
    kind: ProductKind
    name: str
    price: Decimal


@dataclass(frozen=True)
class _Customer:
    id: int
    terms_days: int
    scheme: TaxScheme | None
    """None: a tax-exempt customer."""
    foreign: bool = False
    """Billed in the company's foreign currency (`FOREIGN_CURRENCIES`)."""


@dataclass(frozen=True)
class _Company:
    """What invoice generation needs to know about one seeded company."""

    id: int
    invoices: int
    trade: Trade
    customers: tuple[_Customer, ...]
    products: dict[ProductKind, tuple[_Product, ...]]
    rates: dict[str, tuple[int, Decimal]]
    """Tax rate name -> (id, percent)."""
    country: str
    routes: dict[PaymentMethod, int | None] = field(default_factory=dict)
    """Where each method's payments land: a bank account id; None: Undeposited Funds."""
    extras: random.Random = field(default_factory=random.Random)
    """The second random stream (payment references and tips), so the first one draws what it always drew."""
    reversals: random.Random = field(default_factory=random.Random)
    """The fourth stream (refunds, failed and charged-back payments), so the others draw what they always drew."""
    business_units: tuple[int, ...] = ()
    technicians: tuple[int, ...] = ()
    tracking: random.Random = field(default_factory=random.Random)
    """The fifth stream (business units and technicians), so the others draw what they always drew."""
    fx: random.Random = field(default_factory=random.Random)
    """The sixth stream (foreign customers and their exchange rates), drawn only when some are asked for."""
    deposits: random.Random = field(default_factory=random.Random)
    """The seventh stream (deposits and overpayments), so the others draw what they always drew."""

    @property
    def kinds(self) -> dict[int, ProductKind]:
        """Product id -> its kind."""
        return {product.id: kind for kind, group in self.products.items() for product in group}


@dataclass(frozen=True)
class _Draft:
    """One generated invoice with its lines and payments, before ids are assigned."""

    issued_at: datetime
    status: InvoiceStatus
    invoice: dict[str, object]
    lines: list[dict[str, object]]
    payments: list[dict[str, object]]
    credit_notes: list[tuple[dict[str, object], list[dict[str, object]]]] = field(default_factory=list)
    """(credit note, its lines), tied to this invoice unless its `invoice_id` is already set to None."""
    refunds: list[tuple[int, dict[str, object]]] = field(default_factory=list)
    """(index of the payment in `payments`, a refund of it)."""


@dataclass
class _Counts:
    by_table: dict[str, int] = field(default_factory=dict)
    by_status: dict[InvoiceStatus, int] = field(default_factory=dict)
    collected_payments: int = 0


def seed(
    engine: Engine,
    *,
    invoices: int = 200,
    companies: int = 1,
    seed: int = 7,
    start: datetime = datetime(2026, 1, 1),
    country: str = "CA",
    foreign_share: float = 0.0,
) -> SeedSummary:
    """Create the schema if missing and append `companies` new companies sharing `invoices` invoices.

    `country` CA: GST/HST/PST rates in CAD. US: combined sales tax rates in USD, one taxed rate per customer.
    `foreign_share`: about this share of each company's customers are billed in its neighbour's currency (a CAD
    company's US customers in USD), their invoices and payments at the exchange rates Service Opus recorded (see
    `_foreign_customers`)."""
    if invoices < 0 or companies < 1:
        raise ValueError(f"need invoices >= 0 and companies >= 1, got {invoices} and {companies}")
    if not 0 <= foreign_share <= 1:
        raise ValueError(f"foreign_share must be between 0 and 1, got {foreign_share}")
    if country not in CURRENCIES:
        raise ValueError(f"country must be one of {sorted(CURRENCIES)}, got {country!r}")
    SourceBase.metadata.create_all(engine)
    with engine.connect() as conn:
        ids: dict[str, Iterator[int]] = {table.name: itertools.count(_max_id(conn, table) + 1) for table in TABLES}
    rows: dict[str, list[dict[str, object]]] = {table.name: [] for table in TABLES}
    rngs = [random.Random(f"service-opus/{seed}/{k}") for k in range(companies)]
    seeded = [
        _reference_data(
            rng,
            k,
            invoices // companies + (k < invoices % companies),
            ids,
            rows,
            country,
            random.Random(f"service-opus/{seed}/{k}/payments"),
            random.Random(f"service-opus/{seed}/{k}/reversals"),
            random.Random(f"service-opus/{seed}/{k}/tracking"),
            random.Random(f"service-opus/{seed}/{k}/deposits"),
        )
        for k, rng in enumerate(rngs)
    ]
    if foreign_share:
        seeded = [
            _foreign_customers(company, rows, foreign_share, random.Random(f"service-opus/{seed}/{k}/currencies"))
            for k, company in enumerate(seeded)
        ]
    counts = _Counts()
    changes: dict[int, int] = {}
    for row in rows["customers"]:
        company_id = int(str(row["company_id"]))
        changes[company_id] = row["change_no"] = changes.get(company_id, 0) + 1
    for row in rows["companies"]:
        row["last_change_no"] = changes.get(int(str(row["id"])), 0)
    with engine.begin() as conn:
        _insert(conn, rows, counts)
    credit_rngs = [random.Random(f"service-opus/{seed}/{k}/credit-notes") for k in range(companies)]
    drafts = heapq.merge(
        *(
            _invoices(rng, company, start, credits)
            for rng, company, credits in zip(rngs, seeded, credit_rngs, strict=True)
        ),
        key=attrgetter("issued_at"),
    )
    while chunk := list(itertools.islice(drafts, CHUNK_INVOICES)):
        with engine.begin() as conn:
            _insert(conn, _assign_ids(chunk, ids, counts, changes), counts)
            for company_id, last in changes.items():
                conn.execute(update(COMPANIES).where(COMPANIES.c.id == company_id).values(last_change_no=last))
    with engine.begin() as conn:
        for company in seeded:
            clearing, operating = company.routes[PaymentMethod.CARD], company.routes[PaymentMethod.ACH]
            assert clearing is not None and operating is not None
            _insert(conn, payout_rows(conn, company.id, clearing, operating, ids), counts)
    if engine.dialect.name == "postgresql":
        _advance_sequences(engine)
    table_count = counts.by_table.get
    return SeedSummary(
        companies=table_count("companies", 0),
        customers=table_count("customers", 0),
        products=table_count("products", 0),
        tax_rates=table_count("tax_rates", 0),
        invoices=table_count("invoices", 0),
        locked=counts.by_status.get(InvoiceStatus.LOCKED, 0),
        drafts=counts.by_status.get(InvoiceStatus.DRAFT, 0),
        voids=counts.by_status.get(InvoiceStatus.VOID, 0),
        invoice_lines=table_count("invoice_lines", 0),
        payments=table_count("payments", 0),
        collected_payments=counts.collected_payments,
        credit_notes=table_count("credit_notes", 0),
        refunds=table_count("refunds", 0),
        payouts=table_count("payouts", 0),
    )


def _advance_sequences(engine: Engine) -> None:
    """PostgreSQL hands out ids from sequences that explicit ids do not move: set each past the largest id, so
    the app's own inserts after a seed (a new customer, a discount line) get fresh ids."""
    with engine.begin() as conn:
        for table in TABLES:
            conn.execute(
                select(func.setval(func.pg_get_serial_sequence(table.name, "id"), func.max(table.c.id))).where(
                    table.c.id.is_not(None)
                )
            )


def _max_id(conn: Connection, table: Table) -> int:
    return conn.execute(select(func.max(table.c.id))).scalar_one() or 0


def _insert(conn: Connection, rows: dict[str, list[dict[str, object]]], counts: _Counts) -> None:
    for table in TABLES:
        if batch := rows.get(table.name):
            conn.execute(insert(table), batch)
            counts.by_table[table.name] = counts.by_table.get(table.name, 0) + len(batch)


def _assign_ids(
    chunk: list[_Draft], ids: dict[str, Iterator[int]], counts: _Counts, changes: dict[int, int]
) -> dict[str, list[dict[str, object]]]:
    """Number a chunk of drafts in issue order and return its rows per table.

    `changes` holds each company's last change number: the rows take the next ones in insert order, as
    the app's writes would (they all commit together, so any order is commit order)."""
    rows: dict[str, list[dict[str, object]]] = {
        "invoices": [],
        "invoice_lines": [],
        "payments": [],
        "refunds": [],
        "credit_notes": [],
        "credit_note_lines": [],
    }

    def change_no(row: dict[str, object]) -> None:
        company_id = int(str(row["company_id"]))
        changes[company_id] = row["change_no"] = changes.get(company_id, 0) + 1

    for draft in chunk:
        invoice_id = next(ids["invoices"])
        draft.invoice["id"] = invoice_id
        change_no(draft.invoice)
        rows["invoices"].append(draft.invoice)
        counts.by_status[draft.status] = counts.by_status.get(draft.status, 0) + 1
        for line in draft.lines:
            line["id"] = next(ids["invoice_lines"])
            line["invoice_id"] = invoice_id
            rows["invoice_lines"].append(line)
        for payment in draft.payments:
            payment["id"] = next(ids["payments"])
            payment.setdefault("invoice_id", invoice_id)  # a deposit not applied yet has None
            payment["customer_id"] = draft.invoice["customer_id"]
            payment.setdefault("applied_at", None)
            change_no(payment)
            rows["payments"].append(payment)
            counts.collected_payments += payment["status"] is PaymentStatus.COLLECTED
        for index, refund in draft.refunds:
            refund["id"] = next(ids["refunds"])
            refund["payment_id"] = draft.payments[index]["id"]
            change_no(refund)
            rows["refunds"].append(refund)
        for note, note_lines in draft.credit_notes:
            note["id"] = next(ids["credit_notes"])
            note.setdefault("invoice_id", invoice_id)
            change_no(note)
            rows["credit_notes"].append(note)
            for line in note_lines:
                line["id"] = next(ids["credit_note_lines"])
                line["credit_note_id"] = note["id"]
                rows["credit_note_lines"].append(line)
    return rows


def _reference_data(
    rng: random.Random,
    k: int,
    invoice_count: int,
    ids: dict[str, Iterator[int]],
    rows: dict[str, list[dict[str, object]]],
    country: str,
    extras: random.Random,
    reversals: random.Random,
    tracking: random.Random,
    deposits: random.Random,
) -> _Company:
    """Company k's own rows (appended to `rows`): tax rates, categories, products, customers, business units and
    technicians."""
    trade = names.TRADES[k % len(names.TRADES)]
    home = next(c for c in names.CITIES if c.name == HOME_CITIES[k % len(HOME_CITIES)])
    pool = trade.company_names
    company_name = pool[k // len(names.TRADES) % len(pool)]
    if (branch := k // (len(names.TRADES) * len(pool))) > 0:
        company_name = f"{company_name} ({home.name}, branch {branch + 1})"
    company_id = next(ids["companies"])
    rows["companies"].append({"id": company_id, "name": company_name, "currency": CURRENCIES[country]})

    rates: dict[str, tuple[int, Decimal]] = {}
    for rate_name, percent in names.US_TAX_RATES if country == "US" else names.TAX_RATES:
        rate_id = next(ids["tax_rates"])
        rates[rate_name] = (rate_id, Decimal(percent))
        rows["tax_rates"].append(
            {"id": rate_id, "company_id": company_id, "name": rate_name, "rate": Decimal(percent), "active": True}
        )

    bank_ids: dict[BankAccountKind, int] = {}
    for bank_name, bank_kind in BANK_ACCOUNTS:
        bank_ids[bank_kind] = next(ids["bank_accounts"])
        rows["bank_accounts"].append(
            {"id": bank_ids[bank_kind], "company_id": company_id, "name": bank_name, "kind": bank_kind}
        )
    routes = {method: bank_ids[kind] if kind else None for method, kind in ROUTES.items()}
    for method, bank_id in routes.items():
        rows["payment_routes"].append(
            {"id": next(ids["payment_routes"]), "company_id": company_id, "method": method, "bank_account_id": bank_id}
        )

    category_ids: dict[ProductKind, int] = {}
    for kind, category_name in CATEGORY_NAMES.items():
        category_ids[kind] = next(ids["product_categories"])
        rows["product_categories"].append({"id": category_ids[kind], "company_id": company_id, "name": category_name})

    products: dict[ProductKind, list[_Product]] = {kind: [] for kind in ProductKind}
    price_factor = rng.choice((Decimal("0.95"), Decimal(1), Decimal("1.05"), Decimal("1.10")))
    for kind, product_name, base_price in names.COMMON_PRODUCTS + trade.products:
        product = _Product(
            next(ids["products"]), category_ids[kind], kind, product_name, cents(Decimal(base_price) * price_factor)
        )
        products[kind].append(product)
        rows["products"].append(
            {
                "id": product.id,
                "company_id": company_id,
                "category_id": product.category_id,
                "name": product_name,
                "description": KIND_DESCRIPTIONS[kind],
                "unit_price": product.price,
                "is_service": kind is not ProductKind.PART,
            }
        )

    local = tuple(c for c in names.CITIES if c.province == home.province)
    taken: set[str] = set()
    customers = []
    for _ in range(max(5, ceil(invoice_count / 4))):
        city = rng.choice(local) if rng.random() < 0.8 else rng.choice(names.CITIES)
        customer_id = next(ids["customers"])
        row = {"id": customer_id, "company_id": company_id, **_customer_row(rng, city, taken)}
        row["currency"] = CURRENCIES[country]
        rows["customers"].append(row)
        scheme = None if rng.random() < 0.03 else names.PROVINCE_TAX[city.province]
        customers.append(_Customer(customer_id, 15 if rng.random() < 0.3 else 30, scheme))

    units = []
    for unit_name, _ in BUSINESS_UNITS:
        units.append(next(ids["business_units"]))
        rows["business_units"].append({"id": units[-1], "company_id": company_id, "name": unit_name, "active": True})
    people = []
    for person, _ in TECHNICIANS:
        people.append(next(ids["technicians"]))
        rows["technicians"].append({"id": people[-1], "company_id": company_id, "name": person, "active": True})

    return _Company(
        id=company_id,
        invoices=invoice_count,
        trade=trade,
        customers=tuple(customers),
        products={kind: tuple(group) for kind, group in products.items()},
        rates=rates,
        country=country,
        routes=routes,
        extras=extras,
        reversals=reversals,
        business_units=tuple(units),
        technicians=tuple(people),
        tracking=tracking,
        deposits=deposits,
    )


def _customer_row(rng: random.Random, city: City, taken: set[str]) -> dict[str, object]:
    """A person or a business in `city`, with a display name not yet in `taken` (which it joins)."""
    is_business = rng.random() < 0.35
    for attempt in range(8):
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        if is_business:
            pattern = rng.choice(names.BUSINESS_PATTERNS)
            display = pattern.format(first=first, last=last, other=rng.choice(names.LAST_NAMES), city=city.name)
            display += f" ({city.name})" if attempt >= 4 else ""
        else:
            initial = f" {rng.choice(names.POSTAL_LETTERS)}." if attempt or rng.random() < 0.25 else ""
            display = f"{first}{initial} {last}"
        if display not in taken:
            break
    else:
        base = display
        display = next(f"{base} ({n})" for n in itertools.count(2) if f"{base} ({n})" not in taken)
    taken.add(display)

    if is_business:
        email = f"{rng.choice(('accounts', 'billing', 'office'))}@{_slug(display, '-')[:40].strip('-')}.example.ca"
    else:
        email = f"{_slug(first, '')}.{_slug(last, '')}@{rng.choice(names.EMAIL_DOMAINS)}"
    row: dict[str, object] = {
        "display_name": display,
        "email": None if rng.random() < 0.1 else email,
        "phone": None if rng.random() < 0.05 else f"({rng.choice(city.area_codes)}) 555-01{rng.randrange(100):02d}",
    }
    has_address = rng.random() >= 0.05
    row.update(
        billing_line1=_street_line(rng, city) if has_address else None,
        billing_city=city.name if has_address else None,
        billing_region=city.province if has_address else None,
        billing_postal_code=_postal_code(rng, city) if has_address else None,
        billing_country="Canada" if has_address else None,
    )
    return row


def _slug(text: str, separator: str) -> str:
    folded = unicodedata.normalize("NFKD", text.translate(ASCII_FOLD)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", separator, folded.lower().replace("'", "")).strip(separator)


def _street_line(rng: random.Random, city: City) -> str:
    number = rng.randint(1, 9999)
    if city.province == "QC":
        line = f"{number}, {rng.choice(names.FRENCH_STREETS)}"
    else:
        line = f"{number} {rng.choice(names.STREETS)}"
    if rng.random() < 0.15:
        line = f"{rng.choice(('Unit', 'Suite'))} {rng.randint(1, 450)}, {line}"
    return line


def _postal_code(rng: random.Random, city: City) -> str:
    letters = names.POSTAL_LETTERS
    return (
        f"{rng.choice(city.postal_prefixes)}{rng.randint(0, 9)}{rng.choice(letters)} "
        f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.randint(0, 9)}"
    )


def _foreign_customers(
    company: _Company, rows: dict[str, list[dict[str, object]]], share: float, rates: random.Random
) -> _Company:
    """About `share` of the company's customers billed in its foreign currency (the `customers` rows too). Their
    invoices, payments, credit notes and refunds carry a recorded rate (`_exchange_rate`, each its own day's);
    Service Opus takes no tip on them."""
    foreign = {customer.id for customer in company.customers if rates.random() < share}
    for row in rows["customers"]:
        if row["id"] in foreign:
            row["currency"] = FOREIGN_CURRENCIES[company.country]
    customers = tuple(replace(c, foreign=c.id in foreign) for c in company.customers)
    return replace(company, customers=customers, fx=rates)


def _exchange_rate(company: _Company) -> Decimal:
    """Home units for one foreign unit on a day: within 3 % of the usual rate, to 4 places."""
    drift = Decimal(company.fx.randint(-300, 300)).scaleb(-4)
    return (RATE_CENTRES[company.country] * (1 + drift)).quantize(Decimal("0.0001"))


def _invoices(rng: random.Random, company: _Company, start: datetime, credits: random.Random) -> Iterator[_Draft]:
    """Company's invoices in issue order; about five a day for small runs, a year's span for large ones.
    `credits` draws the credit notes (see the module docstring)."""
    mean_gap = int(86_400 / max(5, company.invoices / 365))
    issued_at = start
    number = rng.randint(100, 1500)
    for _ in range(company.invoices):
        issued_at += timedelta(seconds=rng.randint(0, 2 * mean_gap))
        customer = company.customers[int(len(company.customers) * rng.random() ** 2)]
        status = rng.choices(STATUSES, cum_weights=STATUS_WEIGHTS)[0]
        locked_at = None if status is InvoiceStatus.DRAFT else issued_at + _lock_delay(rng)
        voided_at = locked_at + _lock_delay(rng) if status is InvoiceStatus.VOID and locked_at else None
        lines = _lines(rng, company, customer)
        if rng.random() < DISCOUNT_LINE_SHARE and (credit := _discount_line(rng, lines, company.kinds)) is not None:
            lines.append(credit)
        percent = rng.choice(INVOICE_DISCOUNT_PERCENTS) if rng.random() < INVOICE_DISCOUNT_SHARE else Decimal(0)
        invoice: dict[str, object] = {
            "company_id": company.id,
            "number": f"INV-{number:06d}",
            "customer_id": customer.id,
            "issue_date": issued_at.date(),
            "due_date": issued_at.date() + timedelta(days=customer.terms_days),
            "currency": FOREIGN_CURRENCIES[company.country] if customer.foreign else CURRENCIES[company.country],
            "exchange_rate": _exchange_rate(company) if customer.foreign else None,
            "status": status,
            "locked_at": locked_at,
            "voided_at": voided_at,
            "discount_percent": percent,
        }
        total = _total(company, lines, percent)
        paid = status is InvoiceStatus.LOCKED and rng.random() < 0.7
        payments = _payments(rng, company, locked_at, total) if paid and locked_at is not None else []
        refunds = [
            refund for index, payment in enumerate(payments) for refund in _reverse_or_refund(company, index, payment)
        ]
        if customer.foreign:  # deposits and overpayments are home money only (Xero prepayments, see the sync)
            for payment in payments:
                payment.update(exchange_rate=_exchange_rate(company), tip_amount=Decimal("0.00"))
            for _, refund in refunds:
                refund["exchange_rate"] = _exchange_rate(company)
        elif status is InvoiceStatus.DRAFT:
            payments = _open_deposit(company, issued_at, total)
        else:
            _deposit_or_overpayment(company, issued_at, total, payments, {index for index, _ in refunds})
        notes = []
        credited = status is InvoiceStatus.LOCKED and not payments
        if credited and locked_at and credits.random() < CREDIT_NOTE_SHARE:
            notes = [note] if (note := _credit_note(credits, company, invoice, lines, locked_at, total)) else []
            for note_row, _ in notes:
                note_row["exchange_rate"] = _exchange_rate(company) if customer.foreign else None
        _track(company, invoice, lines)
        yield _Draft(issued_at, status, invoice, lines, payments, notes, refunds)
        number += 1


def _track(company: _Company, invoice: dict[str, object], lines: list[dict[str, object]]) -> None:
    """The invoice's business unit and its lines' technicians (see `TECHNICIANS`), from the company's own stream."""
    rng = company.tracking
    invoice["business_unit_id"] = rng.choices(company.business_units, weights=[w for _, w in BUSINESS_UNITS])[0]
    lead = rng.choices(company.technicians, weights=[w for _, w in TECHNICIANS])[0]
    others = [person for person in company.technicians if person != lead]
    for line in lines:
        second = others and rng.random() < SECOND_TECHNICIAN_SHARE
        part = company.kinds[int(str(line["product_id"]))] is ProductKind.PART
        line["technician_id"] = None if part else rng.choice(others) if second else lead


def _lock_delay(rng: random.Random) -> timedelta:
    """Most invoices are locked the same day, some after a day or three, a few after a week or more."""
    roll = rng.random()
    if roll < 0.7:
        return timedelta(seconds=rng.randint(3_600, 8 * 3_600))
    if roll < 0.95:
        return timedelta(seconds=rng.randint(86_400, 3 * 86_400))
    return timedelta(seconds=rng.randint(4 * 86_400, 10 * 86_400))


def _lines(rng: random.Random, company: _Company, customer: _Customer) -> list[dict[str, object]]:
    """1-8 lines, all tax-inclusive on ~15 % of invoices."""
    inclusive = rng.random() < 0.15
    count = rng.choices(range(1, 9), cum_weights=LINE_COUNT_WEIGHTS)[0]
    note = rng.choice(company.trade.job_notes)
    lines: list[dict[str, object]] = []
    for position in range(1, count + 1):
        kind = rng.choices(KINDS, cum_weights=KIND_WEIGHTS)[0]
        product = rng.choice(company.products[kind])
        rate_id, _ = company.rates[_rate_name(rng, customer.scheme, kind, company.country)]
        lines.append(
            {
                "position": position,
                "product_id": product.id,
                "category_id": product.category_id,
                "description": f"{product.name} — {note}" if position == 1 else product.name,
                "quantity": _quantity(rng, kind),
                "unit_price": _unit_price(rng, product.price),
                "tax_rate_id": rate_id,
                "tax_inclusive": inclusive,
            }
        )
    return lines


def _discount_line(
    rng: random.Random, lines: list[dict[str, object]], kinds: dict[int, ProductKind]
) -> dict[str, object] | None:
    """A line crediting part of another one at its tax rate: a part returned unused (quantity -1 of two or
    more), half an hour of labour as goodwill (-0.5 of an hour or more), or a waived call-out fee (its price
    negated, on an invoice with other lines). None when the invoice has nothing of the kind; never more than
    the line it credits, so the invoice still totals above zero."""
    choices = []
    for line in lines:
        kind, amount = kinds[int(str(line["product_id"]))], Decimal(str(line["quantity"]))
        if kind is ProductKind.PART and amount >= 2:
            choices.append((line, Decimal(-1), line["unit_price"], "returned unused"))
        elif kind is ProductKind.HOURLY and amount >= 1:
            choices.append((line, Decimal("-0.5"), line["unit_price"], "goodwill credit"))
        elif kind is ProductKind.FEE and len(lines) > 1:
            choices.append((line, Decimal(1), -Decimal(str(line["unit_price"])), "waived"))
    if not choices:
        return None
    credited, amount, price, why = rng.choice(choices)
    name = str(credited["description"]).split(" — ")[0]
    return {
        **credited,
        "position": len(lines) + 1,
        "description": f"{name} — {why}",
        "quantity": amount,
        "unit_price": price,
    }


def _credit_note(
    rng: random.Random,
    company: _Company,
    invoice: dict[str, object],
    lines: list[dict[str, object]],
    locked_at: datetime,
    total: Decimal,
) -> tuple[dict[str, object], list[dict[str, object]]] | None:
    """Half of one of the invoice's lines credited back, a few days after it was locked; None when no line
    can be halved under the invoice's total."""
    positive = [line for line in lines if Decimal(str(line["quantity"])) > 0 and Decimal(str(line["unit_price"])) > 0]
    if not positive:
        return None
    credited = rng.choice(positive)
    line = {
        **credited,
        "position": 1,
        "description": f"{str(credited['description']).split(' — ')[0]} — credited",
        "quantity": Decimal(str(credited["quantity"])) / 2,
    }
    line.pop("id", None)
    line.pop("invoice_id", None)
    if _total(company, [line], Decimal(0)) >= total:
        return None
    issued_at = locked_at + timedelta(seconds=rng.randint(86_400, 5 * 86_400))
    status = rng.choices(CREDIT_NOTE_STATUSES, cum_weights=CREDIT_NOTE_STATUS_WEIGHTS)[0]
    note: dict[str, object] = {
        "company_id": company.id,
        "number": f"CN-{str(invoice['number']).removeprefix('INV-')}",
        "customer_id": invoice["customer_id"],
        "issue_date": issued_at.date(),
        "currency": invoice["currency"],
        "status": status,
        "issued_at": None if status is CreditNoteStatus.DRAFT else issued_at,
    }
    if rng.random() < ON_ACCOUNT_SHARE:
        note["invoice_id"] = None
    return note, [line]


def _total(company: _Company, lines: list[dict[str, object]], percent: Decimal) -> Decimal:
    """The invoice's gross total as Service Opus prints it (`core.transform.total_due` on the rows)."""
    rates = {rate_id: rate for rate_id, rate in company.rates.values()}
    total = Decimal(0)
    priced = []
    for line in lines:
        quantity, price = Decimal(str(line["quantity"])), Decimal(str(line["unit_price"]))
        rate, inclusive = rates[int(str(line["tax_rate_id"]))], bool(line["tax_inclusive"])
        total += line_amounts(quantity, price, rate, inclusive).gross
        priced.append(RateLine(int(str(line["tax_rate_id"])), rate, inclusive, extended_amount(quantity, price)))
    return total + sum((row.gross for row in invoice_discounts(priced, percent).values()), Decimal(0))


def _quantity(rng: random.Random, kind: ProductKind) -> Decimal:
    if kind is ProductKind.HOURLY:
        return rng.choice(HOURS)
    if kind is ProductKind.PART:
        return rng.choices(PART_COUNTS, cum_weights=PART_COUNT_WEIGHTS)[0]
    return Decimal(1)


def _unit_price(rng: random.Random, price: Decimal) -> Decimal:
    """Usually the list price; sometimes a 10 % discount or a quoted price, always to the cent."""
    roll = rng.random()
    if roll < 0.9:
        return price
    if roll < 0.97:
        return cents(price * Decimal("0.9"))
    return cents(price * rng.randint(80, 130) / 100)


def _rate_name(rng: random.Random, scheme: TaxScheme | None, kind: ProductKind, country: str) -> str:
    """The line's tax rate: the province's, PST on goods and GST on services where both apply; in the US
    the customer's jurisdiction's combined rate."""
    if scheme is None or rng.random() < 0.04:
        return "Exempt"
    if country == "US":
        return names.US_JURISDICTIONS[scheme]
    if scheme is TaxScheme.HST:
        return "HST"
    if scheme is TaxScheme.GST_PST and kind is ProductKind.PART:
        return "PST"
    return "GST"


def _payments(rng: random.Random, company: _Company, locked_at: datetime, total: Decimal) -> list[dict[str, object]]:
    """Mostly one full payment; some partial, some split in 2-3; never more than `total` (a tip is on top)."""
    total_cents = int(total * 100)
    roll = rng.random()
    if roll < 0.75 or total_cents < 3:
        amounts = [total_cents]
    elif roll < 0.87:
        amounts = [rng.randint(max(1, total_cents // 5), total_cents * 9 // 10)]
    else:
        cuts = sorted(rng.sample(range(1, total_cents), 1 if roll < 0.94 else 2))
        amounts = [b - a for a, b in itertools.pairwise([0, *cuts, total_cents])]
    payments: list[dict[str, object]] = []
    moment = locked_at
    for amount in amounts:
        method = rng.choices(METHODS, cum_weights=METHOD_WEIGHTS)[0]
        status = rng.choices(PAYMENT_STATUSES, cum_weights=PAYMENT_STATUS_WEIGHTS)[0]
        moment += timedelta(seconds=rng.randint(*COLLECTION_DELAY_SECONDS[method]))
        collected = status is PaymentStatus.COLLECTED
        payments.append(
            {
                "company_id": company.id,
                "amount": Decimal(amount).scaleb(-2),
                "method": method,
                "status": status,
                "collected_at": moment if collected else None,
                "bank_account_id": company.routes.get(method) if collected else None,
                "reversed_at": None,
                "reversal_reason": None,
                "exchange_rate": None,
                **_reference_and_tip(company.extras, method, amount),
            }
        )
    return payments


def _reference_and_tip(extras: random.Random, method: PaymentMethod, amount_cents: int) -> dict[str, object]:
    """A card's last four digits (and, now and then, a tip of a usual percentage), a check's number."""
    reference = None
    tip = Decimal("0.00")
    if method is PaymentMethod.CARD:
        reference = f"{extras.randint(0, 9999):04d}"
        if extras.random() < TIP_SHARE:
            tip = cents(Decimal(amount_cents * extras.choice(TIP_PERCENTS)).scaleb(-4))
    elif method is PaymentMethod.CHECK:
        reference = str(extras.randint(1001, 9999))
    return {"reference": reference, "tip_amount": tip}


def _deposit_or_overpayment(
    company: _Company, issued_at: datetime, total: Decimal, payments: list[dict[str, object]], refunded: set[int]
) -> None:
    """Now and then make the first payment a deposit taken before the invoice was issued and applied to it when it
    was collected, or the last one an overpayment (in place); only collected payments neither refunded nor reversed.
    """
    rng = company.deposits
    roll = rng.random()
    if not payments:
        return
    if roll < APPLIED_DEPOSIT_SHARE:
        first = payments[0]
        if first["status"] is PaymentStatus.COLLECTED and 0 not in refunded and first["method"] in DEPOSIT_METHODS:
            first["applied_at"] = first["collected_at"]
            first["collected_at"] = issued_at - timedelta(days=rng.randint(1, 14), seconds=rng.randint(0, 86_399))
    elif roll < APPLIED_DEPOSIT_SHARE + OVERPAYMENT_SHARE:
        index = len(payments) - 1
        last = payments[index]
        amount = last["amount"]
        earlier = [p["amount"] for p in payments[:index]]
        due = total - sum((a for a in earlier if isinstance(a, Decimal)), Decimal(0))
        if last["status"] is PaymentStatus.COLLECTED and index not in refunded and amount == due:
            step = rng.choice(OVERPAYMENT_STEPS)
            last["amount"] = (due / step).to_integral_value(rounding=ROUND_FLOOR) * step + step
            cash = {"method": PaymentMethod.CASH, "reference": None, "tip_amount": Decimal("0.00")}
            last.update(cash, bank_account_id=company.routes.get(PaymentMethod.CASH))


def _open_deposit(company: _Company, issued_at: datetime, total: Decimal) -> list[dict[str, object]]:
    """Now and then a deposit for a draft invoice's job, taken when it was booked and not applied to any invoice."""
    rng = company.deposits
    if rng.random() >= OPEN_DEPOSIT_SHARE or total <= 0:
        return []
    amount = max(Decimal(1), (total * rng.choice(DEPOSIT_PERCENTS) / 100).to_integral_value(rounding=ROUND_FLOOR))
    method = rng.choice(DEPOSIT_METHODS)
    moment = issued_at - timedelta(days=rng.randint(1, 10), seconds=rng.randint(0, 86_399))
    return [
        {
            "company_id": company.id,
            "invoice_id": None,
            "amount": amount.quantize(Decimal("0.01")),
            "method": method,
            "status": PaymentStatus.COLLECTED,
            "collected_at": moment,
            "bank_account_id": company.routes.get(method),
            "reversed_at": None,
            "reversal_reason": None,
            "exchange_rate": None,  # deposits are home money only (see `_invoices`)
            **_reference_and_tip(rng, method, int(amount * 100)),
            "tip_amount": Decimal("0.00"),  # a tip is left when the work is done, not with a deposit
        }
    ]


def _reverse_or_refund(
    company: _Company, index: int, payment: dict[str, object]
) -> list[tuple[int, dict[str, object]]]:
    """Now and then reverse a collected payment (in place) or refund it; the refund, if any, of payment `index`."""
    collected_at = payment["collected_at"]
    if payment["status"] is not PaymentStatus.COLLECTED or not isinstance(collected_at, datetime):
        return []
    rng = company.reversals
    roll = rng.random()
    later = collected_at + timedelta(days=rng.randint(1, 30), seconds=rng.randint(0, 86_399))
    method = payment["method"]
    assert isinstance(method, PaymentMethod)
    if roll < REVERSAL_SHARE:
        payment["status"] = PaymentStatus.CHARGED_BACK if method is PaymentMethod.CARD else PaymentStatus.FAILED
        payment["reversed_at"] = later
        payment["reversal_reason"] = REVERSAL_REASONS[method]
        return []
    if roll >= REVERSAL_SHARE + REFUND_SHARE:
        return []
    amount = payment["amount"]
    assert isinstance(amount, Decimal)
    if rng.random() >= FULL_REFUND_SHARE:
        amount = max(Decimal("0.01"), cents(amount * Decimal(rng.randint(10, 60)) / 100))
    refund = {
        "company_id": company.id,
        "amount": amount,
        "refunded_on": later.date(),
        "reason": rng.choice(REFUND_REASONS),
        "exchange_rate": None,  # a foreign payment's refund is given its rate in `_invoices`
    }
    return [(index, refund)]
