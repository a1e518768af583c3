"""`LedgerConnector` for QuickBooks Online: batched writes, stamped external ids, stale-token recovery.

Writes of several ops go in ONE `/batch` call whose `requestid` is derived from the ops' idempotency
keys, so a retried batch is answered from QBO's idempotency cache; a single op uses the entity
endpoint with its own key. Per-item Faults become outcomes; a stale SyncToken (5010) on an update is
re-read and retried once. See `wire` for the record <-> JSON mapping and the stamps.
"""

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import httpx

from ledger_sync.connectors.http import ClientConnector
from ledger_sync.connectors.qbo.client import QboClient
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.faults import fault_error
from ledger_sync.connectors.qbo.query import quote, select_all, select_in
from ledger_sync.connectors.qbo.wire import QBO_ENTITY, is_stamped, ledger_ref, to_account, to_qbo, to_tax_rates
from ledger_sync.core.ledger import (
    ErrorKind,
    LedgerAccount,
    LedgerError,
    LedgerRef,
    LedgerTaxRate,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.records import EntityType, LedgerRecord, PaymentRecord
from ledger_sync.core.tokens import TokenProvider

ELEMENT_KINDS = frozenset({ErrorKind.VALIDATION, ErrorKind.DUPLICATE, ErrorKind.CONFLICT})
"""Failures that belong to one record; anything else fails the whole call."""
BATCH_REQUEST_ID_LENGTH = 36
SINGLE_REQUEST_ID_LENGTH = 50
ALL_ACTIVE_STATES = "Active IN (true, false)"
"""QBO queries return only active list entities unless asked for both."""
LOOKUP_FIELDS: dict[EntityType, tuple[str, Callable[[Any], str]]] = {
    EntityType.CUSTOMER: ("DisplayName", lambda record: record.display_name),
    EntityType.ITEM: ("Name", lambda record: record.name),
    EntityType.INVOICE: ("DocNumber", lambda record: record.number),
}
"""The unique-ish field each entity is found by before its stamp is checked (payments: see below)."""


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def batch_request_id(ops: Sequence[WriteOp]) -> str:
    return _digest(*(op.idempotency_key for op in ops))[:BATCH_REQUEST_ID_LENGTH]


def single_request_id(key: str) -> str:
    """The key itself when it fits; a digest otherwise, since truncated keys could collide."""
    return key if len(key) <= SINGLE_REQUEST_ID_LENGTH else _digest(key)[:SINGLE_REQUEST_ID_LENGTH]


def stale_retry_request_id(key: str, sync_token: str) -> str:
    return _digest(key, "stale-retry", sync_token)[:BATCH_REQUEST_ID_LENGTH]


class QboConnector(ClientConnector):
    ledger: ClassVar[str] = "qbo"
    max_batch_size: ClassVar[int] = 30
    _client: QboClient

    def __init__(
        self,
        config: QboConfig,
        realm_id: str,
        tokens: TokenProvider,
        *,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.realm_id = realm_id
        self._client = QboClient(config, realm_id, tokens, http=http, sleep=sleep)

    def __repr__(self) -> str:
        return f"QboConnector(realm_id={self.realm_id!r}, calls={self.calls})"

    def list_accounts(self) -> list[LedgerAccount]:
        return [to_account(account) for account in select_all(self._client, "Account", ALL_ACTIVE_STATES)]

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        codes = select_all(self._client, "TaxCode", ALL_ACTIVE_STATES)
        rates = select_all(self._client, "TaxRate", ALL_ACTIVE_STATES)
        return to_tax_rates(codes, rates)

    def read(self, entity: str, ledger_id: str) -> dict[str, Any]:
        """The raw QBO JSON of one entity; `entity` is a QBO name ("Invoice") or an EntityType."""
        name = QBO_ENTITY.get(entity, entity)  # type: ignore[call-overload]
        body = self._client.get(f"{name.lower()}/{ledger_id}").get(name)
        if not isinstance(body, dict):
            raise LedgerError(ErrorKind.UNAVAILABLE, f"QBO answered a read of {name} {ledger_id} without the entity")
        return body

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        if len(ops) > self.max_batch_size:
            raise ValueError(f"{len(ops)} ops exceed QBO's batch limit of {self.max_batch_size}")
        wrong = [op.record.external_id for op in ops if op.record.entity_type != entity_type]
        if wrong:
            raise ValueError(f"ops {wrong} are not of type {entity_type.value}")
        if not ops:
            return []
        if len(ops) == 1:
            outcomes = [
                self._write_one(entity_type, ops[0], ops[0].existing, single_request_id(ops[0].idempotency_key))
            ]
        else:
            outcomes = self._write_batch(entity_type, ops)
        return [self._retry_stale(entity_type, outcome) for outcome in outcomes]

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        if not records:
            return {}
        candidates = sorted(self._candidates(entity_type, records), key=lambda e: (len(str(e["Id"])), str(e["Id"])))
        found: dict[int, LedgerRef] = {}
        for record in records:
            match = next((c for c in candidates if is_stamped(entity_type, c, record.external_id)), None)
            if match is not None:
                found[record.source_id] = ledger_ref(match)
        return found

    def _candidates(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> list[dict[str, Any]]:
        """QBO entities that might be ours: same name/number, or for payments same customer and date range.

        Payments have no filterable reference field, so they are narrowed by CustomerRef and TxnDate.
        """
        name = QBO_ENTITY[entity_type]
        if entity_type is EntityType.PAYMENT:
            payments = [record for record in records if isinstance(record, PaymentRecord)]
            dates = sorted(record.paid_on.isoformat() for record in payments)
            window = f"TxnDate >= {quote(dates[0])} AND TxnDate <= {quote(dates[-1])}"
            return select_in(self._client, name, "CustomerRef", [p.customer_ref for p in payments], also=window)
        field, value_of = LOOKUP_FIELDS[entity_type]
        return select_in(self._client, name, field, [value_of(record) for record in records])

    def _write_one(
        self, entity_type: EntityType, op: WriteOp, existing: LedgerRef | None, request_id: str
    ) -> WriteOutcome:
        name = QBO_ENTITY[entity_type]
        try:
            body = self._client.post(name.lower(), to_qbo(op.record, existing), request_id=request_id)
        except LedgerError as error:
            return _element_failure(op, error)
        return _batch_outcome(op, name, body)

    def _write_batch(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        name = QBO_ENTITY[entity_type]
        items = [
            {
                "bId": str(index),
                "operation": "update" if op.existing else "create",
                name: to_qbo(op.record, op.existing),
            }
            for index, op in enumerate(ops)
        ]
        response = self._client.post("batch", {"BatchItemRequest": items}, request_id=batch_request_id(ops))
        by_bid = {str(item.get("bId")): item for item in response.get("BatchItemResponse", [])}
        return [_batch_outcome(op, name, by_bid.get(str(index))) for index, op in enumerate(ops)]

    def _retry_stale(self, entity_type: EntityType, outcome: WriteOutcome) -> WriteOutcome:
        """A stale update (5010): re-read for the current SyncToken and send it once more; others pass through."""
        op = outcome.op
        if op.existing is None or outcome.error is None or outcome.error.kind is not ErrorKind.CONFLICT:
            return outcome
        try:
            fresh = ledger_ref(self.read(QBO_ENTITY[entity_type], op.existing.id))
        except LedgerError as error:
            return _element_failure(op, error)
        request_id = stale_retry_request_id(op.idempotency_key, fresh.sync_token or "")
        return self._write_one(entity_type, op, fresh, request_id)


def _element_failure(op: WriteOp, error: LedgerError) -> WriteOutcome:
    """The op's outcome when the failure is the record's own; otherwise the whole call fails."""
    if error.kind in ELEMENT_KINDS:
        return WriteOutcome(op=op, error=error)
    raise error


def _batch_outcome(op: WriteOp, name: str, item: Mapping[str, Any] | None) -> WriteOutcome:
    """One op's outcome from its batch item (or an entity endpoint's answer, which has the same shape)."""
    if item is not None and isinstance(item.get(name), dict):
        return WriteOutcome(op=op, ref=ledger_ref(item[name]))
    if item is not None and isinstance(item.get("Fault"), dict):
        return WriteOutcome(op=op, error=fault_error(item["Fault"]))
    return WriteOutcome(
        op=op, error=LedgerError(ErrorKind.UNAVAILABLE, "QBO answered without a result for this op; outcome unknown")
    )
