"""Reconciliation: Service Opus's figures for what we synced against the ledger's own, to the cent.

Pure: the flow reads both sides (`reconcile` flow), this module says where they differ and what a bookkeeper
should do about each difference. A record deleted from the ledger by hand is marked to be re-queued: the next
sync creates it again; an invoice voided there is only reported (the ledger keeps its number). Receivables per
customer and in total are summed from the invoices' balances on both sides; they differ only where a listed
difference explains it. Each mapped bank and clearing account's balance is shown the same way (`core.bank_balances`
says what is compared), and so is the net revenue each tracking option carries (a class, a location, a Xero
tracking option: `core.tracking`).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from ledger_sync.core.bank_balances import BankBalance
from ledger_sync.core.ledger import LedgerSnapshot
from ledger_sync.core.records import EntityType, InvoiceRecord


class DifferenceKind(StrEnum):
    MISSING = "missing"
    """Not in the ledger (deleted there by hand): re-queued."""
    VOIDED = "voided"
    """An invoice voided in the ledger by hand: it keeps its number there, so it cannot be entered again."""
    DUPLICATE = "duplicate"
    TOTAL = "total_differs"
    TAX = "tax_differs"
    BALANCE = "balance_differs"
    """The open balance differs from the ledger's own total less our payments: something else was applied."""
    AMOUNT = "amount_differs"
    """A payment's (a tip's, a payout's) amount was changed in the ledger."""
    CUSTOMER = "customer_differs"
    CREDIT = "credit_differs"
    """A payment leaves the customer another credit in the ledger than in Service Opus (a deposit or an
    overpayment applied, or unapplied, by hand)."""


@dataclass(frozen=True)
class ExpectedInvoice:
    """An invoice we synced, with Service Opus's figures: balance is its total less our synced payments and the
    credit our synced credit notes applied to it."""

    source_id: int
    number: str
    external_id: str
    customer_ref: str
    total: Decimal
    tax: Decimal
    balance: Decimal
    credited: Decimal = Decimal("0.00")
    """What our synced credit notes applied to it (the ledger's balance is lower by that much, rightly)."""


@dataclass(frozen=True)
class ExpectedPayment:
    source_id: int
    external_id: str
    invoice_source_id: int | None
    """None: a deposit not applied to an invoice yet."""
    amount: Decimal
    credit: Decimal = Decimal("0.00")
    """What of `amount` stays the customer's credit (a deposit not applied yet: all of it; an overpayment: the
    excess); the rest pays the invoice."""


@dataclass(frozen=True)
class ExpectedAmount:
    """A tip (`source_id`: its payment's) or a card payout we synced, with Service Opus's amount (a payout's: its
    net, what landed in the operating account)."""

    source_id: int
    external_id: str
    amount: Decimal


@dataclass(frozen=True)
class Difference:
    kind: DifferenceKind
    entity_type: EntityType
    source_id: int
    label: str
    """What a bookkeeper finds it by: the invoice number or the payment's reference."""
    ledger_id: str | None
    expected: Decimal | None
    found: Decimal | None
    what_to_do: str
    requeue: bool = False


@dataclass(frozen=True)
class Receivable:
    customer_ref: str
    expected: Decimal
    ledger: Decimal

    @property
    def equal(self) -> bool:
        return self.expected == self.ledger


@dataclass(frozen=True)
class TrackedRevenue:
    """The net revenue of the synced invoices' lines one tracking option carries: Service Opus's against the
    ledger's, read from the invoices it holds."""

    option_ref: str
    label: str
    """The option as the bookkeeper knows it: "Class 'Sam Chen'"."""
    expected: Decimal
    ledger: Decimal

    @property
    def equal(self) -> bool:
        return self.expected == self.ledger


def tracked_revenue(
    invoices: Sequence[InvoiceRecord], ledger_invoices: Mapping[int, Sequence[LedgerSnapshot]]
) -> list[TrackedRevenue]:
    """Per tracking option, the revenue of these invoices (a voided one counts for nothing) and the ledger's."""
    zero = Decimal("0.00")
    expected: dict[str, Decimal] = defaultdict(lambda: zero)
    labels: dict[str, str] = {}
    for invoice in invoices:
        for carried in (*invoice.tracking, *(t for line in invoice.lines for t in line.tracking)):
            labels[carried.option_id] = f"{carried.category} '{carried.option}'"
        if not invoice.voided:
            for option, amount in invoice.revenue_by_option.items():
                expected[option] += amount
    held: dict[str, Decimal] = defaultdict(lambda: zero)
    for invoice in invoices:
        for snapshot in ledger_invoices.get(invoice.source_id, ()):
            for option, amount in snapshot.revenue_by_option if snapshot.present else ():
                held[option] += amount
    return [
        TrackedRevenue(ref, labels.get(ref, ref), expected.get(ref, zero), held.get(ref, zero))
        for ref in sorted(set(expected) | set(held))
    ]


@dataclass(frozen=True)
class Reconciliation:
    company_id: int
    ledger: str
    checked_at: datetime
    invoices: int
    payments: int
    differences: list[Difference]
    receivables: list[Receivable] = field(default_factory=list)
    api_calls: int = 0
    bank_balances: list[BankBalance] = field(default_factory=list)
    """Each mapped bank and clearing account: what Service Opus routed there against the ledger's balance."""
    tracked_revenue: list[TrackedRevenue] = field(default_factory=list)
    """Each tracking option the synced invoices carry (none where the mapping tracks nothing)."""

    @property
    def equal(self) -> bool:
        return not self.differences

    @property
    def receivable_total(self) -> Receivable:
        return Receivable(
            "total",
            sum((r.expected for r in self.receivables), Decimal("0.00")),
            sum((r.ledger for r in self.receivables), Decimal("0.00")),
        )

    def requeued(self, entity_type: EntityType) -> list[int]:
        return sorted(d.source_id for d in self.differences if d.requeue and d.entity_type is entity_type)

    def as_json(self) -> dict[str, object]:
        """Plain JSON values (money as strings, to the cent), for the stored file and `--json`."""
        total = self.receivable_total
        return {
            "company_id": self.company_id,
            "ledger": self.ledger,
            "checked_at": self.checked_at.isoformat(),
            "invoices": self.invoices,
            "payments": self.payments,
            "api_calls": self.api_calls,
            "equal": self.equal,
            "differences": [
                {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(d).items()} for d in self.differences
            ],
            "receivables": [
                {"customer_ref": r.customer_ref, "expected": str(r.expected), "ledger": str(r.ledger)}
                for r in [*self.receivables, total]
            ],
            "bank_balances": [
                {
                    "account_ref": b.account_ref,
                    "name": b.name,
                    "expected": str(b.expected),
                    "ledger": None if b.ledger is None else str(b.ledger),
                    "equal": b.equal,
                }
                for b in self.bank_balances
            ],
            "tracked_revenue": [
                {
                    "option_ref": t.option_ref,
                    "label": t.label,
                    "expected": str(t.expected),
                    "ledger": str(t.ledger),
                    "equal": t.equal,
                }
                for t in self.tracked_revenue
            ],
        }


def compare(
    ledger_name: str,
    invoices: Sequence[ExpectedInvoice],
    payments: Sequence[ExpectedPayment],
    ledger_invoices: Mapping[int, Sequence[LedgerSnapshot]],
    ledger_payments: Mapping[int, Sequence[LedgerSnapshot]],
    tips: Sequence[ExpectedAmount] = (),
    ledger_tips: Mapping[int, Sequence[LedgerSnapshot]] | None = None,
    payouts: Sequence[ExpectedAmount] = (),
    ledger_payouts: Mapping[int, Sequence[LedgerSnapshot]] | None = None,
) -> tuple[list[Difference], list[Receivable]]:
    """Every difference between what we synced and what the ledger holds, invoices first (then payments, tips and
    payouts), by source id. Tips and payouts pay no invoice: they count only for themselves."""
    differences = _amounts(ledger_name, EntityType.PAYMENT, payments, ledger_payments)
    differences += _amounts(ledger_name, EntityType.TIP, tips, ledger_tips)
    differences += _amounts(ledger_name, EntityType.PAYOUT, payouts, ledger_payouts)
    differences += _credits(ledger_name, payments, ledger_payments)
    paid_in_ledger: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for payment in payments:  # every copy of a duplicate pays the invoice in the ledger, but for the credit it leaves
        if payment.invoice_source_id is None:
            continue
        copies = (s.amount - (s.balance or 0) for s in ledger_payments.get(payment.source_id, ()) if s.present)
        paid_in_ledger[payment.invoice_source_id] += sum(copies, Decimal("0.00"))

    invoice_differences: list[Difference] = []
    expected_ar: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    ledger_ar: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for invoice in sorted(invoices, key=lambda i: i.source_id):
        expected_ar[invoice.customer_ref] += invoice.balance
        snapshot, problems = _one(
            ledger_name,
            EntityType.INVOICE,
            invoice.source_id,
            invoice.number,
            ledger_invoices.get(invoice.source_id, ()),
        )
        invoice_differences += problems
        if snapshot is None:
            continue
        ledger_ar[snapshot.customer_ref] += snapshot.balance or Decimal(0)
        invoice_differences += _invoice_figures(ledger_name, invoice, snapshot, paid_in_ledger[invoice.source_id])
    receivables = [
        Receivable(ref, expected_ar.get(ref, Decimal("0.00")), ledger_ar.get(ref, Decimal("0.00")))
        for ref in sorted(set(expected_ar) | set(ledger_ar))
    ]
    return invoice_differences + differences, receivables


def _amounts(
    ledger_name: str,
    entity_type: EntityType,
    expected: Sequence[ExpectedPayment | ExpectedAmount],
    found: Mapping[int, Sequence[LedgerSnapshot]] | None,
) -> list[Difference]:
    """Each payment (tip, payout) present once, for its amount."""
    differences: list[Difference] = []
    what = entity_type.value
    for record in sorted(expected, key=lambda r: r.source_id):
        snapshots = (found or {}).get(record.source_id, ())
        snapshot, problems = _one(ledger_name, entity_type, record.source_id, record.external_id, snapshots)
        differences += problems
        if snapshot is None or snapshot.amount == record.amount:
            continue
        differences.append(
            Difference(
                DifferenceKind.AMOUNT,
                entity_type,
                record.source_id,
                record.external_id,
                snapshot.ledger_id,
                record.amount,
                snapshot.amount,
                f"Someone changed this {what}'s amount in {ledger_name}: change it back to {record.amount}, "
                f"or delete it there and run reconcile again to have it sent anew.",
            )
        )
    return differences


def _credits(
    ledger_name: str, payments: Sequence[ExpectedPayment], found: Mapping[int, Sequence[LedgerSnapshot]]
) -> list[Difference]:
    """Each payment's credit left to the customer, where the ledger reports it (`LedgerSnapshot.balance` of a
    payment); a missing or duplicated payment is reported by `_amounts` already."""
    differences: list[Difference] = []
    for payment in sorted(payments, key=lambda p: p.source_id):
        present = [s for s in found.get(payment.source_id, ()) if s.present]
        if len(present) != 1 or present[0].balance is None or present[0].balance == payment.credit:
            continue
        snapshot = present[0]
        differences.append(
            Difference(
                DifferenceKind.CREDIT,
                EntityType.PAYMENT,
                payment.source_id,
                payment.external_id,
                snapshot.ledger_id,
                payment.credit,
                snapshot.balance,
                f"This payment leaves the customer {snapshot.balance} of credit in {ledger_name} but {payment.credit} "
                "in Service Opus: someone applied it, or took it off an invoice, by hand there. Undo that in "
                f"{ledger_name}, or apply the deposit in Service Opus.",
            )
        )
    return differences


def _one(
    ledger_name: str, entity_type: EntityType, source_id: int, label: str, snapshots: Sequence[LedgerSnapshot]
) -> tuple[LedgerSnapshot | None, list[Difference]]:
    """The one ledger record standing for a synced record, and the differences in how many there are."""
    present = [s for s in snapshots if s.present]
    if not present and snapshots and entity_type is EntityType.INVOICE:
        return None, [
            Difference(
                DifferenceKind.VOIDED,
                entity_type,
                source_id,
                label,
                snapshots[0].ledger_id,
                None,
                None,
                f"It was {snapshots[0].status.lower()} in {ledger_name} by hand, which keeps its number, so it cannot "
                f"be entered again: void it in Service Opus too (and issue a new invoice if it should stand).",
            )
        ]
    if not present:
        gone = f"It was {snapshots[0].status.lower()} in {ledger_name}" if snapshots else f"It is not in {ledger_name}"
        return None, [
            Difference(
                DifferenceKind.MISSING,
                entity_type,
                source_id,
                label,
                None,
                None,
                None,
                f"{gone} (deleted by hand?): re-queued, the next sync enters it again. "
                f"If it should not be in the books, void it in Service Opus instead.",
                requeue=True,
            )
        ]
    if len(present) == 1:
        return present[0], []
    extra = ", ".join(s.ledger_id for s in present[1:])
    duplicate = Difference(
        DifferenceKind.DUPLICATE,
        entity_type,
        source_id,
        label,
        present[0].ledger_id,
        Decimal(1),
        Decimal(len(present)),
        f"{ledger_name} holds it {len(present)} times: keep {present[0].ledger_id}, delete or void {extra}.",
    )
    return present[0], [duplicate]


def _invoice_figures(
    ledger_name: str, invoice: ExpectedInvoice, snapshot: LedgerSnapshot, paid_in_ledger: Decimal
) -> list[Difference]:
    def differs(kind: DifferenceKind, expected: Decimal, found: Decimal | None, what_to_do: str) -> list[Difference]:
        if found == expected:
            return []
        return [
            Difference(
                kind,
                EntityType.INVOICE,
                invoice.source_id,
                invoice.number,
                snapshot.ledger_id,
                expected,
                found,
                what_to_do,
            )
        ]

    edited = f"Someone edited invoice {invoice.number} in {ledger_name}"
    balance = snapshot.amount - paid_in_ledger - invoice.credited
    return (
        differs(
            DifferenceKind.TOTAL,
            invoice.total,
            snapshot.amount,
            f"{edited}: restore its lines so the total is {invoice.total}, as in Service Opus.",
        )
        + differs(
            DifferenceKind.TAX,
            invoice.tax,
            snapshot.tax,
            f"{edited}: restore its tax to {invoice.tax}, as in Service Opus.",
        )
        + differs(
            DifferenceKind.BALANCE,
            balance,
            snapshot.balance,
            f"Something we did not send was applied to invoice {invoice.number} in {ledger_name} (a credit "
            f"or a payment entered by hand): remove it there, or record it in Service Opus.",
        )
        + (
            []
            if snapshot.customer_ref == invoice.customer_ref
            else [
                Difference(
                    DifferenceKind.CUSTOMER,
                    EntityType.INVOICE,
                    invoice.source_id,
                    invoice.number,
                    snapshot.ledger_id,
                    None,
                    None,
                    f"{edited}: move it back to the customer it has in Service Opus.",
                )
            ]
        )
    )
