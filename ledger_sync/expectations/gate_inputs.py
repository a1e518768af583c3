"""The run gates' input rows: every mapping paired with what the ledger's chart says of it.

Built the same way at the start of a sync run and on the settings page's validation panel, so what
passes on the page passes at the start of the next sync. Plain code: no Prefect, no Great Expectations.
"""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceBankAccount, SourceTaxRate
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue, TrackedBy
from ledger_sync.expectations.inputs import (
    AccountMappingRow,
    ConnectionRow,
    RunGateInputs,
    TaxRateMappingRow,
    TrackingMappingRow,
)


class ConnectionState(Protocol):
    """What the active-connection check reads of a ledger connection (the state store's `ConnectionInfo`)."""

    @property
    def ledger(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def has_refresh_token(self) -> bool: ...
    @property
    def refresh_expires_at(self) -> datetime | None: ...


def mapping_gate_inputs(
    tax_rates: Iterable[SourceTaxRate],
    mapping: LedgerMapping,
    accounts: Mapping[str, LedgerAccount],
    ledger_tax_rates: Mapping[str, LedgerTaxRate],
    categories: dict[int, str],
    connection: ConnectionState,
    ledger_label: str,
    bank_accounts: Iterable[SourceBankAccount] = (),
    tracking: Iterable[SourceTrackingValue] = (),
    ledger_tracking: Mapping[str, LedgerTrackingOption] | None = None,
) -> RunGateInputs:
    """The rows the run-level expectations look at; `accounts` and `ledger_tax_rates` are the chart by id,
    `ledger_label` the ledger's name as a bookkeeper knows it (for the messages). Every Service Opus bank
    account must be mapped: a payment may land in any of them. So must every active business unit or technician
    once any of its kind is (`core.tracking`), to an active option of `ledger_tracking`."""
    tax_rows = []
    for rate in tax_rates:
        if not rate.active:
            continue
        ledger_id = mapping.tax_rates.get(rate.id)
        found = ledger_tax_rates.get(ledger_id) if ledger_id else None
        tax_rows.append(
            TaxRateMappingRow(
                rate.id, rate.name, rate.rate, ledger_id, found.name if found else None, found.active if found else None
            )
        )
    roles = [(role.value, role.label, mapping.accounts.get(role), role.fitting_types) for role in AccountRole]
    roles += [
        (f"category:{cid}", f"Category '{categories.get(cid, cid)}'", account, ("income",))
        for cid, account in mapping.categories.items()
    ]
    roles += [
        (f"bank_account:{b.id}", b.label, mapping.bank_accounts.get(b.id), b.fitting_types) for b in bank_accounts
    ]
    account_rows = []
    for role, label, ledger_id, types in roles:
        account = accounts.get(ledger_id) if ledger_id else None
        account_rows.append(
            AccountMappingRow(
                role,
                label,
                ledger_id,
                account.name if account else None,
                account.type if account else None,
                account.active if account else None,
                types,
            )
        )
    return RunGateInputs(
        tracking=_tracking_rows(mapping, tracking, ledger_tracking or {}),
        tax_rates=tax_rows,
        accounts=account_rows,
        connection=ConnectionRow(
            connection.ledger,
            ledger_label,
            connection.status,
            connection.has_refresh_token,
            connection.refresh_expires_at,
            datetime.now(UTC),
        ),
    )


def _tracking_rows(
    mapping: LedgerMapping, tracking: Iterable[SourceTrackingValue], options: Mapping[str, LedgerTrackingOption]
) -> list[TrackingMappingRow]:
    """A row per active value of a tracked dimension; a technician mapped into a category a business unit is mapped
    to names that unit (the transform would park every invoice of theirs together: `transform._tracked`)."""
    mapped: list[tuple[SourceTrackingValue, str | None, LedgerTrackingOption | None]] = []
    for value in tracking:
        tracked = mapping.tracking.get(value.tracked_by)
        if not tracked or not value.active:
            continue
        option_id = tracked.get(value.id)
        mapped.append((value, option_id, options.get(option_id) if option_id else None))
    unit_categories: dict[str, str] = {}
    for value, _, option in mapped:
        if value.tracked_by is TrackedBy.BUSINESS_UNIT and option is not None:
            unit_categories.setdefault(option.category_id, f"{value.label} ({option.label})")
    return [
        TrackingMappingRow(
            value.label,
            option_id,
            option.name if option else None,
            option.active if option else None,
            unit_categories.get(option.category_id)
            if option is not None and value.tracked_by is TrackedBy.TECHNICIAN
            else None,
        )
        for value, option_id, option in mapped
    ]
