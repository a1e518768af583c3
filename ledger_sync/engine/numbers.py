"""Invoice numbers the ledger already uses: checked before an invoice is first created, and settled by one rule.

Books that already exist hold the bookkeeper's own invoices, numbered in a series that may run into ours. Before a
batch of invoice creates goes out, the ledger is asked for every invoice holding one of their numbers
(`LedgerConnector.numbered`, one query per chunk of numbers). For each one found:

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

from ledger_sync.core.ledger import ErrorKind, LedgerError, LedgerSnapshot, WriteOp
from ledger_sync.core.matching import stamp_in
from ledger_sync.core.records import EntityType, InvoiceCreditRecord, InvoiceRecord
from ledger_sync.core.sync_state import Parking, ParkingCause, Synced
from ledger_sync.engine.ports import LedgerWriter

PREFIX_SETTING = "LEDGER_SYNC_INVOICE_NUMBER_PREFIX"


@dataclass
class NumberCheck:
    """What the check settled: creates to send, invoices linked, invoices parked, and creates left pending."""

    send: list[WriteOp] = field(default_factory=list)
    linked: list[Synced] = field(default_factory=list)
    parked: list[Parking] = field(default_factory=list)
    pending: int = 0


def _checked(op: WriteOp) -> bool:
    record = op.record
    return op.existing is None and isinstance(record, InvoiceRecord) and not isinstance(record, InvoiceCreditRecord)


def check_numbers(ledger: LedgerWriter, ops: Sequence[WriteOp], ledger_name: str, retry_after: datetime) -> NumberCheck:
    """Settle the invoice creates among `ops` whose number the ledger already uses; the rest pass through. A failed
    look-up leaves the creates pending (not sent) for the next run."""
    creates = [op for op in ops if _checked(op)]
    result = NumberCheck(send=[op for op in ops if not _checked(op)])
    if not creates:
        return result
    try:
        found = ledger.numbered([op.record for op in creates if isinstance(op.record, InvoiceRecord)])
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
            _link(ledger, op, same[0], result, ledger_name, retry_after)
        else:
            result.parked.append(_taken(op, present[0], ledger_name, retry_after))
    return result


def _same_document(record: InvoiceRecord, doc: LedgerSnapshot) -> bool:
    return (doc.customer_ref, doc.amount, doc.issued_on) == (record.customer_ref, record.total, record.issue_date)


def _link(
    ledger: LedgerWriter, op: WriteOp, doc: LedgerSnapshot, result: NumberCheck, ledger_name: str, retry: datetime
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
