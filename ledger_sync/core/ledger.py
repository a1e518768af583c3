"""The ledger protocol: what the sync needs from QuickBooks Online or Xero, and nothing more.

Every ledger connector implements `LedgerConnector` and passes the shared conformance suite in
`tests/conformance/`. Errors are typed by what the caller should do about them, not by vendor code.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from ledger_sync.core.records import EntityType, InvoiceRecord, LedgerRecord, withdrawn
from ledger_sync.core.tracking import LedgerTrackingOption


class ErrorKind(StrEnum):
    VALIDATION = "validation"
    """The ledger refuses this record as it is: park it with the message; retrying cannot help."""
    LOCKED = "locked"
    """The ledger will not edit this record any more (a payment or credit note allocated to it, a closed period):
    the correction must take another way (`engine.corrections`)."""
    DUPLICATE = "duplicate"
    """A name or number clash with a record we did not create: park it, a person must decide."""
    CONFLICT = "conflict"
    """Stale SyncToken: re-read the record and try again."""
    THROTTLED = "throttled"
    """Rate limit: wait `retry_after` seconds and try again."""
    AUTH = "auth"
    """Token expired, revoked or refused: refresh, or the connection needs reconnecting."""
    UNAVAILABLE = "unavailable"
    """Server error or timeout: the write may or may not have happened."""


class LedgerError(Exception):
    """A failure the ledger reported (or a transport failure), typed by what to do about it."""

    def __init__(
        self, kind: ErrorKind, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.code = code
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"LedgerError({self.kind.value}, code={self.code!r}, {self.message!r})"


@dataclass(frozen=True)
class LedgerAccount:
    id: str
    name: str
    type: str
    """Normalised type: income | bank | undeposited_funds | other_current_asset | liability | expense | other"""
    active: bool
    code: str | None = None


@dataclass(frozen=True)
class LedgerTaxRate:
    """Something a sales line can carry: a QBO TaxCode (with its sales TaxRate) or a Xero TaxType."""

    id: str
    name: str
    rate_percent: Decimal
    active: bool
    rate_ref: str
    """The rate component tax lines point at (QBO TaxRate Id; the TaxType itself for Xero)."""


@dataclass(frozen=True)
class LedgerChart:
    """The ledger's accounts, tax rates and tracking options, by id, as read at the start of the run."""

    accounts: dict[str, LedgerAccount]
    tax_rates: dict[str, LedgerTaxRate]
    tracking: dict[str, LedgerTrackingOption] = field(default_factory=dict)
    currencies: "LedgerCurrencies | None" = None
    """None: not read (a chart built for a purpose that needs no currencies)."""


@dataclass(frozen=True)
class LedgerCurrencies:
    """What currencies the ledger company takes a customer, an invoice or a payment in."""

    home: str
    multicurrency: bool
    """QBO: `Preferences.CurrencyPrefs.MultiCurrencyEnabled` (off: the home currency only, and turning it on is a
    bookkeeper's choice QBO never undoes); Xero: always on, a currency needs only enabling."""
    enabled: frozenset[str]
    """The currencies a document may be in, the home one included (QBO's currency list, Xero's `/Currencies`)."""

    def missing(self, currency: str, ledger: str) -> str | None:
        """What the ledger lacks to take a document in `currency`, in a bookkeeper's words; None: nothing."""
        if currency == self.home:
            return None
        if not self.multicurrency:
            return f"{ledger} has multicurrency off: a bookkeeper must turn it on to take {currency}"
        if currency not in self.enabled:
            return f"{currency} is not among {ledger}'s currencies: a bookkeeper must add it"
        return None


@dataclass(frozen=True)
class LedgerRef:
    id: str
    sync_token: str | None = None


@dataclass(frozen=True)
class WriteOp:
    """Create `record`, or update it when `existing` is known. `idempotency_key` is deterministic."""

    record: LedgerRecord
    idempotency_key: str
    existing: LedgerRef | None = None
    fresh: bool = False
    """A create no earlier attempt sent, as far as the state store knows (no intent, not sent before, not parked):
    nothing of it can be in the ledger, so a connector need not look up what an earlier attempt made before
    writing its steps. False: something of it may be there."""

    @property
    def voids(self) -> bool:
        """An update of an invoice or credit note voided in Service Opus (the ledger voids its document, after
        removing the payments or the credit applied to it) or of a payment that failed or was charged back (the
        ledger voids or deletes it); nothing else of the record is sent."""
        return withdrawn(self.record) and self.existing is not None


@dataclass(frozen=True)
class WriteOutcome:
    """What happened to one op. Exactly one of `ref` and `error` is set."""

    op: WriteOp
    ref: LedgerRef | None = None
    error: LedgerError | None = None

    @property
    def ok(self) -> bool:
        return self.ref is not None


@dataclass(frozen=True)
class LedgerSnapshot:
    """One stamped record as the ledger holds it now, read back for reconciliation.

    `balance` is an invoice's open balance, a payment's credit left unapplied (a deposit not yet applied, an
    overpayment's excess); `amount` is a payment's amount and an invoice's total. `status` is the ledger's own
    word, upper-cased; `present` says whether it counts.
    """

    ledger_id: str
    external_id: str
    amount: Decimal
    customer_ref: str
    status: str
    tax: Decimal | None = None
    balance: Decimal | None = None
    issued_on: date | None = None
    """An invoice's date in the ledger (where the connector reads it: `numbered`)."""
    revenue_by_option: tuple[tuple[str, Decimal], ...] = ()
    """An invoice's net revenue per tracking option id, as the ledger holds its lines' and its own options."""
    home_amount: Decimal | None = None
    """A foreign-currency invoice's total in the company's home currency, as the ledger holds it (QBO's
    `HomeTotalAmt`; Xero's total at its `CurrencyRate`); None: home money, or not read."""
    home_balance: Decimal | None = None
    """A foreign-currency invoice's open balance in home money, at the invoice's rate (QBO's `HomeBalance`)."""

    @property
    def present(self) -> bool:
        """A voided or deleted record is not in the books (the look-ups ignore it too)."""
        return self.status not in GONE_STATUSES


GONE_STATUSES = frozenset({"VOIDED", "DELETED"})


@dataclass
class InvoiceNumbers:
    """Every invoice a ledger held when it was read (`LedgerConnector.invoice_numbers`), by its number as the ledger
    compares numbers (case-insensitively), with the invoices written since through this book: one read answers
    `numbered` for a whole run instead of one query per chunk of numbers."""

    held: dict[str, list[LedgerSnapshot]]
    """Casefolded number -> the invoices holding it."""
    number_of: Callable[[InvoiceRecord], str]
    """The number the ledger gives the record's invoice (the connector's own rule)."""

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """What `LedgerConnector.numbered` would answer for these records, without a call."""
        found = ((record.source_id, self.held.get(self.number_of(record).casefold())) for record in records)
        return {source_id: list(held) for source_id, held in found if held}

    def written(self, record: InvoiceRecord, ledger_id: str) -> None:
        """Our invoice `record` is now the ledger's `ledger_id` (written, or a hand-entered one stamped as ours): its
        number is taken by it from now on."""
        snapshot = LedgerSnapshot(
            ledger_id, record.external_id, record.total, record.customer_ref, "", issued_on=record.issue_date
        )
        number = self.number_of(record).casefold()
        self.held[number] = [*(doc for doc in self.held.get(number, []) if doc.ledger_id != ledger_id), snapshot]


@dataclass(frozen=True)
class LedgerListing:
    """A customer or item as the ledger holds it, whoever created it: what matching compares (`core.matching`).

    `stamp` is the external id of ours it carries (`SO-C42`), None for one a bookkeeper created."""

    id: str
    name: str
    email: str | None = None
    stamp: str | None = None
    sync_token: str | None = None


class LedgerConnector(Protocol):
    # Read-only properties, not ClassVars: a wrapper (the rate-limited ledger) answers for its inner connector.
    @property
    def ledger(self) -> str:
        """The ledger's name: "qbo" or "xero"."""
        ...

    @property
    def max_batch_size(self) -> int:
        """The most ops one `write` call takes."""
        ...

    @property
    def calls(self) -> int:
        """API calls spent so far, for run summaries."""
        ...

    def list_accounts(self) -> list[LedgerAccount]: ...

    def list_tax_rates(self) -> list[LedgerTaxRate]: ...

    def list_tracking_options(self) -> list[LedgerTrackingOption]:
        """Every tracking option the ledger offers now, archived ones too (reported inactive): QBO's classes and
        departments where its preferences turn them on, Xero's tracking categories' options."""

    def currencies(self) -> LedgerCurrencies:
        """The home currency and the foreign ones the company has enabled."""
        ...

    def account_balances(self, account_ids: Sequence[str]) -> dict[str, Decimal]:
        """The balance each of these accounts shows now, as the ledger itself reports it (QBO's
        `Account.CurrentBalance`, Xero's Bank Summary closing balance), by id. An account the ledger reports no
        balance for (Xero's report lists only bank accounts) is left out."""
        ...

    def write(self, entity_type: EntityType, ops: Sequence[WriteOp]) -> list[WriteOutcome]:
        """Write up to `max_batch_size` ops of one type; one outcome per op, in order.

        Element-level failures come back as outcomes; only a failure of the whole call (auth,
        throttling after retries, transport) raises `LedgerError`.
        """
        ...

    def find_by_external_id(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, LedgerRef]:
        """Ledger records already stamped with these records' external ids, by source id."""
        ...

    def read_back(self, entity_type: EntityType, records: Sequence[LedgerRecord]) -> dict[int, list[LedgerSnapshot]]:
        """Every ledger record stamped with these invoices' or payments' external ids, by source id (a list:
        duplicates show as more than one); read in pages within the vendor's limits."""
        ...

    def numbered(self, records: Sequence[InvoiceRecord]) -> dict[int, list[LedgerSnapshot]]:
        """Every ledger invoice holding one of these invoices' numbers, whoever entered it (stamped or not, voided
        ones too: `status` says), by source id: what is checked before an invoice is first created."""
        ...

    def invoice_numbers(self, records: Sequence[InvoiceRecord]) -> InvoiceNumbers | None:
        """Every ledger invoice by number (what `numbered` reads, for all numbers at once), if reading them all takes
        no more calls than `numbered(records)` would; None (after at most that many calls) when the ledger holds
        more invoices than that."""
        ...

    def list_existing(self, entity_type: EntityType) -> list[LedgerListing]:
        """Every customer or item the ledger holds, archived ones too, read in pages within the vendor's limits."""
        ...

    def stamp(self, record: LedgerRecord, ledger_id: str) -> LedgerRef:
        """Stamp the customer or item `ledger_id` an admin linked to `record` with its external id, so look-ups find
        it from then on. Only the stamp's field changes (and what the sync needs that the record lacks: a Xero
        item's sales account); one already stamped so is not written again (a re-run after a lost answer). The ref
        returned is what other records point at."""
        ...

    def close(self) -> None: ...
