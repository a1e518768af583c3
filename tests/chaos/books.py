"""The ledger after a chaos run against Service Opus: every expected record exactly once, equal to the cent.

Each ledger names its records its own way (QBO: DocNumber, PaymentRefNum, DisplayName; Xero: InvoiceNumber,
Reference, Name); `LedgerBooks` reads them through the sandbox's admin API (no auth, no faults) into neutral rows.
"""

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import (
    CreditNote,
    CreditNoteStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
)
from ledger_sync.core.money import cents
from ledger_sync.core.records import EntityType
from ledger_sync.core.transform import credit_total, total_due

KINDS = ("customer", "invoice", "credit_note", "payment")


@dataclass(frozen=True)
class Row:
    """One ledger record as the checks see it: what identifies it, its amount, its ledger id and creation time."""

    kind: str
    key: str
    amount: Decimal | None
    ledger_id: str
    created: str
    live: bool = True
    """False once voided or deleted in the ledger."""


@dataclass(frozen=True)
class Collection:
    kind: str
    name: str
    key: Callable[[dict[str, Any]], str]
    amount: Callable[[dict[str, Any]], Decimal | None]
    ledger_id: str
    created: Callable[[dict[str, Any]], str]
    live: Callable[[dict[str, Any]], bool] = lambda _: True


def _decimal(field_name: str) -> Callable[[dict[str, Any]], Decimal | None]:
    return lambda body: Decimal(str(body[field_name])) if body.get(field_name) is not None else None


def _text(field_name: str) -> Callable[[dict[str, Any]], str]:
    return lambda body: str(body.get(field_name) or "").strip()


def _stamp(field_name: str) -> Callable[[dict[str, Any]], str]:
    """The field's first word: a Xero payment's Reference is its stamp, then its method and reference
    ("SO-P12 · card 4242")."""
    return lambda body: (str(body.get(field_name) or "").split() or [""])[0]


def _no_amount(_: dict[str, Any]) -> None:
    return None


def _qbo_live(body: dict[str, Any]) -> bool:
    """QBO keeps a voided transaction at zero with the memo 'Voided' (it has no status)."""
    return not (body.get("PrivateNote") == "Voided" and Decimal(str(body.get("TotalAmt", 0))) == 0)


def _xero_live(body: dict[str, Any]) -> bool:
    return body.get("Status") not in ("VOIDED", "DELETED")


@dataclass(frozen=True)
class LedgerBooks:
    """How to list one ledger's records through its sandbox, and which field identifies each kind."""

    path: str
    """Admin listing path with `{tenant}` and `{name}`."""
    collections: tuple[Collection, ...]

    def rows(self, base_url: str, tenant: str) -> list[Row]:
        found = []
        for collection in self.collections:
            answer = httpx.get(f"{base_url}{self.path.format(tenant=tenant, name=collection.name)}", timeout=60)
            answer.raise_for_status()
            body = answer.json()
            records = body[collection.name] if isinstance(body, dict) else body
            found += [
                Row(
                    collection.kind,
                    collection.key(record),
                    collection.amount(record),
                    str(record[collection.ledger_id]),
                    collection.created(record),
                    collection.live(record),
                )
                for record in records
            ]
        return found


QBO_BOOKS = LedgerBooks(
    "/_sandbox/realms/{tenant}/{name}",
    (
        Collection(
            "customer", "Customer", _text("DisplayName"), _no_amount, "Id", lambda b: b["MetaData"]["CreateTime"]
        ),
        Collection(
            "invoice",
            "Invoice",
            _text("DocNumber"),
            _decimal("TotalAmt"),
            "Id",
            lambda b: b["MetaData"]["CreateTime"],
            _qbo_live,
        ),
        Collection(
            "credit_note",
            "CreditMemo",
            _text("DocNumber"),
            _decimal("TotalAmt"),
            "Id",
            lambda b: b["MetaData"]["CreateTime"],
        ),
        Collection(
            "payment",
            "Payment",
            _text("PaymentRefNum"),
            _decimal("TotalAmt"),
            "Id",
            lambda b: b["MetaData"]["CreateTime"],
            _qbo_live,
        ),
    ),
)
XERO_BOOKS = LedgerBooks(
    "/_sandbox/tenants/{tenant}/{name}",
    (
        Collection("customer", "Contacts", _text("Name"), _no_amount, "ContactID", _text("UpdatedDateUTC")),
        Collection(
            "invoice",
            "Invoices",
            _text("InvoiceNumber"),
            _decimal("Total"),
            "InvoiceID",
            _text("UpdatedDateUTC"),
            _xero_live,
        ),
        Collection(
            "payment",
            "Payments",
            _stamp("Reference"),
            _decimal("Amount"),
            "PaymentID",
            _text("UpdatedDateUTC"),
            _xero_live,
        ),
        # A deposit or an overpayment is a RECEIVE-PREPAYMENT / RECEIVE-OVERPAYMENT bank transaction of its whole
        # amount, stamped like a payment (a tip's RECEIVE, stamped "SO-T", is no payment's key).
        Collection(
            "payment",
            "BankTransactions",
            _stamp("Reference"),
            _decimal("Total"),
            "BankTransactionID",
            _text("UpdatedDateUTC"),
            _xero_live,
        ),
        Collection(
            "credit_note",
            "CreditNotes",
            _text("CreditNoteNumber"),
            _decimal("Total"),
            "CreditNoteID",
            _text("UpdatedDateUTC"),
            _xero_live,
        ),
    ),
)


@dataclass(frozen=True)
class Expected:
    """What Service Opus says the ledger must hold (by key, with amounts) and must not hold."""

    records: dict[str, dict[str, Decimal | None]]
    forbidden: dict[str, set[str]]
    keys_by_source: dict[tuple[str, int], str]
    voided: dict[str, set[str]] = field(default_factory=dict)
    """Invoices voided in Service Opus during the run, and their payments: at most one copy each, none live."""


def expected_from_source(source_url: str, company_id: int, voided_ids: frozenset[int] = frozenset()) -> Expected:
    """`voided_ids`: invoices the run voided after it started syncing (the rest of the voids never synced)."""
    from ledger_sync.state.db import make_engine

    source = ServiceOpusSource(make_engine(source_url))
    try:
        with Session(source.engine) as session:
            invoices = list(session.scalars(select(Invoice).where(Invoice.company_id == company_id)))
            payments = list(session.scalars(select(Payment).where(Payment.company_id == company_id)))
            note_ids = list(session.scalars(select(CreditNote.id).where(CreditNote.company_id == company_id)))
        notes = source.credit_notes(company_id, after=None, limit=0, ids=note_ids).records if note_ids else []
        locked = [i.id for i in invoices if i.status == InvoiceStatus.LOCKED and i.locked_at is not None]
        snapshots = source.invoices(company_id, after=None, limit=0, ids=locked).records
        rates = {rate.id: rate for rate in source.tax_rates(company_id)}
        customers = source.customers(s.customer_id for s in snapshots if s.customer_id is not None)
    finally:
        source.engine.dispose()
    collected = [p for p in payments if p.status == PaymentStatus.COLLECTED and p.collected_at is not None]
    voided = {
        "invoice": {i.number for i in invoices if i.id in voided_ids},
        "payment": {_payment_key(p.id) for p in collected if p.invoice_id in voided_ids},
    }
    collected = [p for p in collected if p.invoice_id not in voided_ids]
    keys = {("invoice", s.id): s.number for s in snapshots}
    keys |= {("payment", p.id): _payment_key(p.id) for p in collected}
    keys |= {("customer", c.id): c.display_name.strip() for c in customers.values()}
    keys |= {("credit_note", n.id): n.number for n in notes}
    records: dict[str, dict[str, Decimal | None]] = {
        "invoice": {s.number: total_due(s, rates) for s in snapshots},
        "payment": {_payment_key(p.id): cents(Decimal(p.amount)) for p in collected},
        "customer": {c.display_name.strip(): None for c in customers.values()},
        "credit_note": {n.number: credit_total(n, rates) for n in notes if n.status == CreditNoteStatus.ISSUED.value},
    }
    forbidden = {
        "invoice": {i.number for i in invoices if i.id not in set(locked) | voided_ids} - set(records["invoice"]),
        "payment": {_payment_key(p.id) for p in payments if p.status != PaymentStatus.COLLECTED},
        "credit_note": {n.number for n in notes if n.status != CreditNoteStatus.ISSUED.value},
    }
    return Expected(records, forbidden, keys, voided)


def _payment_key(payment_id: int) -> str:
    """Payments carry their external id as their reference (`SO-P<id>`, see `core.records`)."""
    return f"SO-{EntityType.PAYMENT.value[0].upper()}{payment_id}"


@dataclass
class Findings:
    """Everything wrong with the ledger after the run; empty lists mean exactly once, equal to the cent."""

    duplicates: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    wrong_amounts: list[str] = field(default_factory=list)
    forbidden: list[str] = field(default_factory=list)
    parked_without_reason: list[str] = field(default_factory=list)
    parked_but_in_ledger: list[str] = field(default_factory=list)
    voids: list[str] = field(default_factory=list)
    """Voided invoices and their payments written twice, or still live in the ledger."""
    duplicate_rows: list[Row] = field(default_factory=list)
    parked: list[tuple[str, int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        problems = (self.duplicates, self.lost, self.wrong_amounts, self.forbidden, self.voids)
        return not any(problems) and not self.parked_without_reason and not self.parked_but_in_ledger


def compare(expected: Expected, rows: list[Row], parked: list[tuple[str, int, str]]) -> Findings:
    """Duplicates and lost records by key; amounts to the cent; drafts, voids and uncollected never written."""
    findings = Findings(parked=parked)
    by_key: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        by_key[(row.kind, row.key)].append(row)
    parked_keys = {
        (kind, expected.keys_by_source.get((kind, source_id), "")): reason for kind, source_id, reason in parked
    }
    for kind in KINDS:
        for key, amount in sorted(expected.records.get(kind, {}).items()):
            copies = by_key.get((kind, key), [])
            if len(copies) > 1:
                ids = ", ".join(f"{c.ledger_id} (created {c.created})" for c in copies)
                findings.duplicates.append(f"{kind} {key}: {len(copies)} copies, ledger ids {ids}")
                findings.duplicate_rows += copies
            if not copies and (kind, key) not in parked_keys:
                findings.lost.append(f"{kind} {key}: not in the ledger and not parked")
            if (kind, key) in parked_keys and copies:
                findings.parked_but_in_ledger.append(
                    f"{kind} {key}: parked ({parked_keys[(kind, key)]}) although the ledger holds it as "
                    f"{', '.join(c.ledger_id for c in copies)}"
                )
            wrong = [c for c in copies if amount is not None and c.amount != amount]
            findings.wrong_amounts += [f"{kind} {key}: ledger {c.amount}, Service Opus {amount}" for c in wrong]
    present = Counter((row.kind, row.key) for row in rows)
    for kind, keys in expected.forbidden.items():
        findings.forbidden += [
            f"{kind} {key} is not locked/collected but is in the ledger" for key in sorted(keys) if present[(kind, key)]
        ]
    for kind, keys in expected.voided.items():
        for key in sorted(keys):
            copies = by_key.get((kind, key), [])
            if len(copies) > 1:
                findings.voids.append(f"{kind} {key}: {len(copies)} copies, voided in Service Opus")
            findings.voids += [f"{kind} {key}: {c.ledger_id} still live after its void" for c in copies if c.live]
    findings.parked_without_reason = [f"{kind} {source_id}" for kind, source_id, reason in parked if not reason.strip()]
    return findings
