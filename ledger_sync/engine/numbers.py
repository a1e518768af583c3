"""Invoice numbers the ledger already uses: checked before an invoice is first created, and settled by one rule.

Books that already exist hold the bookkeeper's own invoices, numbered in a series that may run into ours. Before a
batch of invoice creates goes out, every invoice the ledger holds with one of their numbers is found. The run's first
check reads every invoice of the ledger at once (`LedgerConnector.invoice_numbers`) when that takes no more calls
than looking its own numbers up; the run's later checks then read nothing (`RunNumbers`: the invoices the run writes
are added as it goes). In books too big for that, each check asks for its numbers (`LedgerConnector.numbered`, one
query per chunk of numbers). For each one found:

- **ours** (it carries our stamp: a link made before a crash): it is the invoice, entered in the entity map;
- **the same document** (not voided, same customer, same date, same total, no stamp of ours for another record):
  the bookkeeper entered this very invoice by hand. It is linked: stamped with our external id (QBO `PrivateNote`,
  Xero `Reference`) and entered in the entity map, so it is not created twice and later changes update it;
- **another document**: nothing is sent and the invoice is parked, naming the other invoice, until it is
  renumbered on one side or `LEDGER_SYNC_INVOICE_NUMBER_PREFIX` makes our numbers differ (a changed record is sent
  again at once).

An invoice written as a credit note (below zero) is not checked: credit notes are numbered apart.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeGuard

from ledger_sync.core.ledger import ErrorKind, InvoiceNumbers, LedgerError, LedgerSnapshot, WriteOp
from ledger_sync.core.matching import stamp_in
from ledger_sync.core.records import EntityType, InvoiceCreditRecord, InvoiceRecord, LedgerRecord
from ledger_sync.core.sync_state import Parking, ParkingCause, Synced
from ledger_sync.engine.ports import LedgerWriter

PREFIX_SETTING = "LEDGER_SYNC_INVOICE_NUMBER_PREFIX"
MAX_KNOWN_NUMBERS = 100_000
"""The most invoice numbers a run keeps in memory (tens of MB); a run writing more asks the ledger again from there."""


@dataclass
class NumberCheck:
    """What the check settled: creates to send, invoices linked, invoices parked, and creates left pending."""

    send: list[WriteOp] = field(default_factory=list)
    linked: list[Synced] = field(default_factory=list)
    parked: list[Parking] = field(default_factory=list)
    pending: int = 0


@dataclass
class RunNumbers:
    """The ledger's invoice numbers as one run knows them (share one across the run's pushes): read whole at the run's
    first check when that is cheap, then kept current by the run's own writes and links. An invoice a bookkeeper
    enters by hand while the run goes is not seen by it (nor was one entered between a check and its write)."""

    book: InvoiceNumbers | None = None
    """None: not read yet, or the ledger holds too many invoices to read whole (`read` says which)."""
    read: bool = False

    def numbered(self, ledger: LedgerWriter, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """Every ledger invoice holding one of these records' numbers, by source id."""
        if not self.read:
            self.book = ledger.invoice_numbers(records)
            self.read = True
        return self.book.numbered(records) if self.book is not None else ledger.numbered(records)

    def written(self, record: InvoiceRecord, ledger_id: str) -> None:
        """Our `record` now holds its number in the ledger, as `ledger_id`; past `MAX_KNOWN_NUMBERS` the book is
        dropped, and each later check asks for its numbers (`numbered`), so memory stays flat in a long run."""
        if self.book is None:
            return
        self.book.written(record, ledger_id)
        if len(self.book.held) > MAX_KNOWN_NUMBERS:
            self.book = None


def checked(record: LedgerRecord) -> TypeGuard[InvoiceRecord]:
    """Whether a create of `record` has its number checked: an invoice, not one written as a credit note."""
    return isinstance(record, InvoiceRecord) and not isinstance(record, InvoiceCreditRecord)


def _checked(op: WriteOp) -> bool:
    return op.existing is None and checked(op.record)


def check_numbers(
    ledger: LedgerWriter, numbers: RunNumbers, ops: Sequence[WriteOp], ledger_name: str, retry_after: datetime
) -> NumberCheck:
    """Settle the invoice creates among `ops` whose number the ledger already uses; the rest pass through. A failed
    look-up leaves the creates pending (not sent) for the next run."""
    creates = [op for op in ops if _checked(op)]
    result = NumberCheck(send=[op for op in ops if not _checked(op)])
    if not creates:
        return result
    try:
        found = numbers.numbered(ledger, [op.record for op in creates if isinstance(op.record, InvoiceRecord)])
    except LedgerError as exc:
        if exc.kind is ErrorKind.AUTH:
            raise
        result.pending = len(creates)
        return result
    for op in creates:
        record = op.record
        assert isinstance(record, InvoiceRecord)
        present = [doc for doc in found.get(record.source_id, []) if doc.present]
        ours = [doc for doc in present if stamp_in(EntityType.INVOICE, doc.external_id) == record.external_id]
        same = [
            doc for doc in present if _same_document(record, doc) and not stamp_in(EntityType.INVOICE, doc.external_id)
        ]
        if ours:
            result.linked.append(Synced(record.source_id, ours[0].ledger_id, None, record.content_hash))
        elif not present:
            result.send.append(op)
        elif len(same) == 1:
            _link(ledger, numbers, op, same[0], result, ledger_name, retry_after)
        else:
            result.parked.append(_taken(op, present[0], ledger_name, retry_after))
    return result


def _same_document(record: InvoiceRecord, doc: LedgerSnapshot) -> bool:
    return (doc.customer_ref, doc.amount, doc.issued_on) == (record.customer_ref, record.total, record.issue_date)


def _link(
    ledger: LedgerWriter,
    numbers: RunNumbers,
    op: WriteOp,
    doc: LedgerSnapshot,
    result: NumberCheck,
    ledger_name: str,
    retry: datetime,
) -> None:
    record = op.record
    try:
        ref = ledger.stamp(record, doc.ledger_id)
    except LedgerError as exc:
        if exc.kind not in (ErrorKind.VALIDATION, ErrorKind.LOCKED):
            result.pending += 1
            return
        assert isinstance(record, InvoiceRecord)
        reason = (
            f"{ledger_name} already holds this invoice ({record.number}, same customer, date and total), entered "
            f"there by hand, but refused our mark on it: {exc.message}"
        )
        result.parked.append(_parking(op, reason, retry))
        return
    assert isinstance(record, InvoiceRecord)
    numbers.written(record, ref.id)
    result.linked.append(Synced(record.source_id, ref.id, ref.sync_token, record.content_hash))


def _taken(op: WriteOp, doc: LedgerSnapshot, ledger_name: str, retry: datetime) -> Parking:
    record = op.record
    assert isinstance(record, InvoiceRecord)
    other = f"dated {doc.issued_on}, " if doc.issued_on else ""
    reason = (
        f"Invoice number {record.number} is already used in {ledger_name} by another invoice ({other}total "
        f"{doc.amount}): nothing was sent. Renumber one of them, or set {PREFIX_SETTING} so the numbers this sync "
        "sends cannot clash"
    )
    return _parking(op, reason, retry)


def _parking(op: WriteOp, reason: str, retry: datetime) -> Parking:
    return Parking(
        op.record.source_id,
        ParkingCause.LEDGER,
        reason,
        detail="number in use",
        fingerprint=op.record.content_hash,
        retry_after=retry,
    )
