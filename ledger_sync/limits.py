"""Per-company limits that hold across every worker, kept by the Prefect server.

Two global concurrency limits per company: a slot of 1, so two syncs of one company never run at
once (hourly, backfill and live runs queue behind each other), and a rate limit that paces the
company's ledger API calls for all workers together, on top of the connectors' own backoff.
`ledger-sync setup-limits` creates or updates them for every connected company; a run creates the
ones of a company connected since (never changing limits an operator has tuned).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.sync import concurrency, rate_limit
from prefect.exceptions import ObjectNotFound

from ledger_sync.core.ledger import (
    InvoiceNumbers,
    LedgerAccount,
    LedgerConnector,
    LedgerCurrencies,
    LedgerListing,
    LedgerRef,
    LedgerSnapshot,
    LedgerTaxRate,
    WriteOp,
    WriteOutcome,
)
from ledger_sync.core.records import EntityType, InvoiceRecord, LedgerRecord
from ledger_sync.core.tracking import LedgerTrackingOption
from ledger_sync.settings import Settings

T = TypeVar("T")


def company_slot_name(company_id: int) -> str:
    return f"ledger-sync-company-{company_id}"


def api_rate_name(company_id: int) -> str:
    return f"ledger-sync-api-company-{company_id}"


@dataclass(frozen=True)
class CompanyLimits:
    """What the Prefect server should hold for one company."""

    company_id: int
    api_calls_per_minute: int
    api_burst: int

    @classmethod
    def from_settings(cls, settings: Settings, company_id: int) -> "CompanyLimits":
        if settings.company_api_calls_per_minute < 1 or settings.company_api_burst < 1:
            raise ValueError("LEDGER_SYNC_COMPANY_API_CALLS_PER_MINUTE and _API_BURST must be at least 1")
        return cls(company_id, settings.company_api_calls_per_minute, settings.company_api_burst)

    @property
    def decay_per_second(self) -> float:
        return self.api_calls_per_minute / 60


def setup_limits(limits: Sequence[CompanyLimits]) -> list[str]:
    """Create or update every company's slot and rate limit; returns the limit names."""
    names = []
    with get_client(sync_client=True) as client:
        for item in limits:
            client.upsert_global_concurrency_limit_by_name(company_slot_name(item.company_id), 1)
            client.upsert_global_concurrency_limit_by_name(
                api_rate_name(item.company_id), item.api_burst, slot_decay_per_second=item.decay_per_second
            )
            names += [company_slot_name(item.company_id), api_rate_name(item.company_id)]
    return names


def ensure_limits(limits: Iterable[CompanyLimits]) -> None:
    """Create the limits that do not exist yet, leaving existing ones as configured."""
    with get_client(sync_client=True) as client:
        for item in limits:
            wanted = (
                GlobalConcurrencyLimitCreate(name=company_slot_name(item.company_id), limit=1),
                GlobalConcurrencyLimitCreate(
                    name=api_rate_name(item.company_id),
                    limit=item.api_burst,
                    slot_decay_per_second=item.decay_per_second,
                ),
            )
            for limit in wanted:
                try:
                    client.read_global_concurrency_limit_by_name(limit.name)
                except ObjectNotFound:
                    client.create_global_concurrency_limit(limit)


_ensured: ContextVar[frozenset[int]] = ContextVar("limits_ensured", default=frozenset())
"""Companies whose limits `limits_ensured` made sure of, for the block."""


@contextmanager
def limits_ensured(limits: Sequence[CompanyLimits]) -> Iterator[None]:
    """Create the companies' missing limits once, with one client; `company_slot` in this block (and in threads
    started with a copy of its context) does not ask the server for them again (a client and two reads per
    company in the hourly fan-out)."""
    ensure_limits(limits)
    token = _ensured.set(_ensured.get() | {item.company_id for item in limits})
    try:
        yield
    finally:
        _ensured.reset(token)


@contextmanager
def company_slot(settings: Settings, company_id: int) -> Iterator[None]:
    """Hold the company's only sync slot for the block; waits while another sync of it runs."""
    if company_id not in _ensured.get():
        ensure_limits([CompanyLimits.from_settings(settings, company_id)])
    with concurrency(
        company_slot_name(company_id),
        occupy=1,
        timeout_seconds=settings.company_slot_timeout_seconds,
        strict=True,
    ):
        yield


class RateLimitedLedger:
    """A ledger connector that takes a slot of the company's rate limit before each call.

    One slot per connector call: a batch write is one HTTP request; a lookup that pages may spend
    a few more, which the connector's own backoff absorbs.
    """

    def __init__(self, inner: LedgerConnector, company_id: int) -> None:
        self._inner = inner
        self._limit = api_rate_name(company_id)

    @property
    def ledger(self) -> str:
        return self._inner.ledger

    @property
    def max_batch_size(self) -> int:
        return self._inner.max_batch_size

    @property
    def calls(self) -> int:
        return self._inner.calls

    def _paced(self, call: Callable[[], T]) -> T:
        rate_limit(self._limit, occupy=1, strict=True)
        return call()

    def list_accounts(self) -> list[LedgerAccount]:
        return self._paced(self._inner.list_accounts)

    def list_tax_rates(self) -> list[LedgerTaxRate]:
        return self._paced(self._inner.list_tax_rates)

    def list_tracking_options(self) -> list[LedgerTrackingOption]:
        return self._paced(self._inner.list_tracking_options)

    def currencies(self) -> LedgerCurrencies:
        return self._paced(self._inner.currencies)

    def account_balances(self, account_ids: Sequence[str]) -> dict[str, Decimal]:
        return self._paced(lambda: self._inner.account_balances(account_ids))

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        return self._paced(lambda: self._inner.write(entity_type, ops))

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        return self._paced(lambda: self._inner.find_by_external_id(entity_type, records))

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        return self._paced(lambda: self._inner.read_back(entity_type, records))

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        return self._paced(lambda: self._inner.numbered(records))

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        return self._paced(lambda: self._inner.invoice_numbers(records))

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]:
        return self._paced(lambda: self._inner.list_existing(entity_type))

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        return self._paced(lambda: self._inner.stamp(record, ledger_id))

    def close(self) -> None:
        self._inner.close()
