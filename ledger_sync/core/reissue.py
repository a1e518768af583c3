"""The documents of a correction the ledger refuses: a credit note for the invoice it holds and a new invoice.

An invoice the ledger will no longer edit (`ErrorKind.LOCKED`: Xero with a payment or credit note allocated, a
closed period) is corrected by
- a *reversal*: a credit note with the held invoice's lines and tax, as last written (its full amount), stamped
  with the held invoice's stamp and "-CN" (`SO-I7-CN`, numbered `INV-7-CN`; reversing `SO-I7-R1`: `SO-I7-R1-CN`);
- the *reissued* invoice: the corrected content, numbered and stamped with the next round, "-R<n>"
  (`INV-7-R1`, `SO-I7-R1`; corrected once more while locked: `INV-7-R2`);
- the reversal's credit applied first to the held invoice's open balance (what its payments left), then what is
  left of it (what those payments covered) to the new invoice, each application stamped by the reversal's stamp
  and the invoice it goes to.

Both documents are dated the day the correction is made: a period the ledger has closed or locked keeps the
figures it was reported with, and the correction lands in the open one. The payments stay on the held invoice.
"""

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from ledger_sync.core.records import (
    CreditApplicationRecord,
    CreditNoteRecord,
    InvoiceLineRecord,
    InvoiceRecord,
    Record,
    TaxLineRecord,
)
from ledger_sync.core.sync_state import MappedEntity
from ledger_sync.core.tracking import TrackingTag

R = TypeVar("R", bound=Record)


@dataclass(frozen=True)
class ReversalRecord(CreditNoteRecord):
    """The credit note that reverses a held invoice in full; `source_id` is the invoice's."""

    reverses: str = ""
    """The held invoice's stamp."""

    @property
    def external_id(self) -> str:
        return f"{self.reverses}-CN"


@dataclass(frozen=True)
class ReversalApplicationRecord(CreditApplicationRecord):
    """Part of a reversal's credit applied to the held invoice or to the invoice reissued for it."""

    stamp: str = field(default="")

    @property
    def external_id(self) -> str:
        return self.stamp


def reissued(record: InvoiceRecord, held: InvoiceRecord, on: date) -> InvoiceRecord:
    """The corrected invoice that replaces `held`, numbered and stamped with the next round, dated `on`.
    `record` may carry the held round already (`as_held`): its Service Opus number is taken without it."""
    number = record.number.removesuffix(f"-R{record.reissue}") if record.reissue else record.number
    return replace(
        record,
        number=f"{number}-R{held.reissue + 1}",
        reissue=held.reissue + 1,
        issue_date=on,
        due_date=max(record.due_date, on),
    )


def as_held(record: InvoiceRecord, held: InvoiceRecord) -> InvoiceRecord:
    """An invoice as the sync builds it, once it was reissued: the round's number, stamp and dates it was
    written with, so an unchanged invoice hashes as it did and a change updates the reissued invoice."""
    if not held.reissue:
        return record
    return replace(
        record,
        number=f"{record.number}-R{held.reissue}",
        reissue=held.reissue,
        issue_date=held.issue_date,
        due_date=held.due_date,
    )


def as_written(record: R, known: MappedEntity | None) -> R:
    """A record as the sync writes it, given its entity map row: an invoice reissued earlier carries its round's
    number, stamp and dates (`as_held`); anything else is as built."""
    if known is None or known.document is None or not isinstance(record, InvoiceRecord):
        return record
    if type(record) is not InvoiceRecord:
        return record
    return cast(R, as_held(record, invoice_of(known.document)))


def reversal_of(held: InvoiceRecord, on: date) -> ReversalRecord:
    """A credit note with exactly the held invoice's lines and tax, dated `on`."""
    return ReversalRecord(
        source_id=held.source_id,
        number=f"{held.number}-CN",
        customer_ref=held.customer_ref,
        issue_date=on,
        currency=held.currency,
        lines=held.lines,
        tax_lines=held.tax_lines,
        subtotal=held.subtotal,
        total_tax=held.total_tax,
        total=held.total,
        reverses=held.external_id,
    )


def application(
    reversal: ReversalRecord, credit_note_ref: str, invoice_ref: str, amount: Decimal, on: date
) -> ReversalApplicationRecord:
    """`amount` of the reversal's credit applied to one invoice, stamped by the reversal and that invoice."""
    return ReversalApplicationRecord(
        source_id=reversal.source_id,
        credit_note_ref=credit_note_ref,
        invoice_ref=invoice_ref,
        customer_ref=reversal.customer_ref,
        amount=amount,
        applied_on=on,
        stamp=f"{reversal.external_id}-{invoice_ref}",
    )


def document_of(record: InvoiceRecord) -> str:
    """The invoice as written, kept in the entity map so a later reversal credits exactly it."""
    return json.dumps(
        {
            "source_id": record.source_id,
            "number": record.number,
            "customer_ref": record.customer_ref,
            "issue_date": record.issue_date.isoformat(),
            "due_date": record.due_date.isoformat(),
            "currency": record.currency,
            "lines": [_plain(line.__dict__) for line in record.lines],
            **({"tracking": _tags(record.tracking)} if record.tracking else {}),
            "tax_lines": [_plain(tax.__dict__) for tax in record.tax_lines],
            "subtotal": str(record.subtotal),
            "total_tax": str(record.total_tax),
            "total": str(record.total),
            "reissue": record.reissue,
        },
        sort_keys=True,
    )


def invoice_of(document: str) -> InvoiceRecord:
    """The invoice `document_of` kept."""
    held = json.loads(document)
    return InvoiceRecord(
        source_id=held["source_id"],
        number=held["number"],
        customer_ref=held["customer_ref"],
        issue_date=date.fromisoformat(held["issue_date"]),
        due_date=date.fromisoformat(held["due_date"]),
        currency=held["currency"],
        lines=tuple(
            InvoiceLineRecord(
                line["item_ref"],
                line["description"],
                Decimal(line["quantity"]),
                Decimal(line["unit_price"]),
                Decimal(line["amount"]),
                line["tax_code_ref"],
                Decimal(line["tax_amount"]),
                tuple(TrackingTag(**carried) for carried in line.get("tracking", [])),
            )
            for line in held["lines"]
        ),
        tax_lines=tuple(
            TaxLineRecord(
                tax["tax_code_ref"],
                tax["tax_rate_ref"],
                Decimal(tax["rate_percent"]),
                Decimal(tax["net_taxable"]),
                Decimal(tax["amount"]),
            )
            for tax in held["tax_lines"]
        ),
        subtotal=Decimal(held["subtotal"]),
        total_tax=Decimal(held["total_tax"]),
        total=Decimal(held["total"]),
        reissue=held["reissue"],
        tracking=tuple(TrackingTag(**carried) for carried in held.get("tracking", [])),
    )


def reversible(record: object) -> bool:
    """Whether a credit note can reverse this record as written, so it is kept (`document_of`): a plain invoice
    (not voided, not one written as a credit note) without an invoice discount, which a credit note cannot
    carry."""
    return (
        isinstance(record, InvoiceRecord)
        and type(record) is InvoiceRecord
        and not record.voided
        and not record.discounts
    )


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """Decimals as text; a line's tracking tags as objects, and left out when it carries none."""
    plain = {
        key: str(value) if isinstance(value, Decimal) else value for key, value in values.items() if key != "tracking"
    }
    tags: tuple[TrackingTag, ...] = values.get("tracking", ())
    return {**plain, "tracking": _tags(tags)} if tags else plain


def _tags(tags: tuple[TrackingTag, ...]) -> list[dict[str, str]]:
    return [asdict(carried) for carried in tags]
