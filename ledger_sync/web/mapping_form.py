"""The mapping form: what each dropdown offers (read from the live ledger) and what a submitted form means.

Only active ledger accounts of a fitting type and only active tax rates are offered, so the admin
cannot pick something the sync would refuse. A saved choice the ledger no longer offers (archived
since) is shown as missing, not silently replaced.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import (
    AccountRole,
    LedgerMapping,
    SourceBankAccount,
    SourceCategory,
    SourceTaxRate,
    suggest_mapping,
    suggest_tracking,
)
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue, TrackedBy, TrackingLevel
from ledger_sync.expectations.inputs import CATEGORY_ACCOUNT_TYPES


@dataclass(frozen=True)
class Choice:
    id: str
    name: str
    detail: str = ""
    """Shown after the name (a tax rate's percentage)."""


@dataclass(frozen=True)
class Field:
    name: str
    """The form field: `account:<role>`, `bank_account:<id>`, `category:<id>`, `tax_rate:<id>`, `business_unit:<id>`
    or `technician:<id>`."""
    label: str
    hint: str
    choices: list[Choice]
    selected: str | None
    required: bool
    problem: str | None
    """Why nothing (valid) is selected, in words the admin can act on."""


@dataclass(frozen=True)
class MappingForm:
    accounts: list[Field]
    categories: list[Field]
    tax_rates: list[Field]
    suggested: bool
    """Nothing was saved yet: the selections are suggestions."""
    bank_accounts: list[Field] = field(default_factory=list)
    tracking: list[Field] = field(default_factory=list)
    """Business units and technicians: left empty, revenue is not tracked by them (`core.tracking`)."""
    tracking_suggested: bool = False
    """Nothing tracked was saved yet: the tracking selections are suggestions, by name."""

    @property
    def fields(self) -> list[Field]:
        return [*self.accounts, *self.bank_accounts, *self.categories, *self.tax_rates, *self.tracking]


def _type_words(types: Iterable[str]) -> str:
    return " or ".join(t.replace("_", " ") for t in types)


def _field(
    name: str,
    label: str,
    hint: str,
    choices: list[Choice],
    current: str | None,
    required: bool,
    ledger: str,
    known: dict[str, str],
) -> Field:
    offered = {c.id for c in choices}
    selected = current if current in offered else None
    problem = None
    if not choices:
        problem = f"{ledger_label(ledger)} has no active {hint.lower()}: create one there, then reload this page."
    elif current is not None and selected is None:
        saved = f"'{known[current]}'" if current in known else "The saved choice"
        problem = f"{saved} is no longer active in {ledger_label(ledger)}: choose another."
    elif selected is None and required:
        problem = "Not mapped yet: choose one."
    return Field(name, label, hint, choices, selected, required, problem)


def mapping_form(
    ledger: str,
    saved: LedgerMapping,
    source_rates: list[SourceTaxRate],
    categories: list[SourceCategory],
    accounts: list[LedgerAccount],
    ledger_rates: list[LedgerTaxRate],
    bank_accounts: list[SourceBankAccount] | None = None,
    tracking_values: list[SourceTrackingValue] | None = None,
    tracking_options: list[LedgerTrackingOption] | None = None,
) -> MappingForm:
    """The dropdowns, preselected with the saved mapping, or with the suggestion when nothing is saved. A business
    unit is offered every active tracking option, a technician only those the ledger tracks per line; while the
    saved mapping tracks nothing, they are preselected with the options of their names (`suggest_tracking`)."""
    banks = bank_accounts or []
    suggested = not (saved.accounts or saved.categories or saved.tax_rates or saved.bank_accounts)
    current = suggest_mapping(source_rates, categories, accounts, ledger_rates, banks) if suggested else saved
    active = sorted((a for a in accounts if a.active), key=lambda a: a.name.lower())
    options = tracking_options or []
    tracking_suggested = not saved.tracked and bool(tracking_values) and bool(options)
    tracking = suggest_tracking(tracking_values or [], options) if tracking_suggested else saved.tracking
    tracking_suggested = tracking_suggested and any(tracking.values())
    known = {a.id: a.name for a in accounts} | {r.id: r.name for r in ledger_rates} | {o.id: o.label for o in options}

    def fitting(types: tuple[str, ...]) -> list[Choice]:
        return [Choice(a.id, a.name) for a in active if a.type in types]

    account_fields = [
        _field(
            f"account:{role.value}",
            role.label,
            f"{_type_words(role.fitting_types).capitalize()} account",
            fitting(role.fitting_types),
            current.accounts.get(role),
            True,
            ledger,
            known,
        )
        for role in AccountRole
    ]
    bank_fields = [
        _field(
            f"bank_account:{b.id}",
            b.name,
            f"{_type_words(b.fitting_types).capitalize()} account",
            fitting(b.fitting_types),
            current.bank_accounts.get(b.id),
            True,
            ledger,
            known,
        )
        for b in banks
    ]
    category_fields = [
        _field(
            f"category:{c.id}",
            c.name,
            "Income account",
            fitting(CATEGORY_ACCOUNT_TYPES),
            current.categories.get(c.id),
            False,
            ledger,
            known,
        )
        for c in categories
    ]
    rate_choices = [
        Choice(r.id, r.name, f"{r.rate_percent.normalize():f}%")
        for r in sorted(ledger_rates, key=lambda r: r.name.lower())
        if r.active
    ]
    rate_fields = [
        _field(
            f"tax_rate:{r.id}",
            f"{r.name} ({r.rate.normalize():f}%)",
            "Tax rate",
            rate_choices,
            current.tax_rates.get(r.id),
            True,
            ledger,
            known,
        )
        for r in source_rates
        if r.active
    ]
    tracking_fields = [
        _field(
            f"{value.tracked_by.value}:{value.id}",
            value.name,
            value.tracked_by.label,
            [
                Choice(o.id, o.name, o.category)
                for o in sorted(options, key=lambda o: (o.category.lower(), o.name.lower()))
                if o.active and (value.tracked_by is TrackedBy.BUSINESS_UNIT or o.level is TrackingLevel.LINE)
            ],
            tracking.get(value.tracked_by, {}).get(value.id),
            False,
            ledger,
            known,
        )
        for value in tracking_values or []
        if value.active
    ]
    return MappingForm(
        account_fields, category_fields, rate_fields, suggested, bank_fields, tracking_fields, tracking_suggested
    )


@dataclass(frozen=True)
class ParsedMapping:
    mapping: LedgerMapping
    names: dict[str, str]
    missing: list[str]
    """Labels of required fields left without a valid choice."""


def parse_mapping(form: MappingForm, submitted: Mapping[str, str]) -> ParsedMapping:
    """Keep only choices the form offered; a category left empty falls back to the Sales Income Account."""
    mapping = LedgerMapping()
    names: dict[str, str] = {}
    missing: list[str] = []
    for item in form.fields:
        choices = {c.id: c.name for c in item.choices}
        value = submitted.get(item.name, "")
        if value not in choices:
            if item.required:
                missing.append(item.label)
            continue
        names[value] = choices[value]
        kind, _, key = item.name.partition(":")
        if kind == "account":
            mapping.accounts[AccountRole(key)] = value
        elif kind == "bank_account":
            mapping.bank_accounts[int(key)] = value
        elif kind == "category":
            mapping.categories[int(key)] = value
        elif kind == "tax_rate":
            mapping.tax_rates[int(key)] = value
        else:
            mapping.tracking.setdefault(TrackedBy(kind), {})[int(key)] = value
    return ParsedMapping(mapping, names, missing)
