"""`ledger-sync demo`: the whole job on the embedded default, SQLite and a local ledger sandbox (QBO or Xero).

Seeds a sample company (plus a few records no ledger can take, to show parking, and a customer name QBO
takes only once fixed, see `add_problem_records`), starts the sandbox, connects through its OAuth flow (it
consents automatically in demo mode; PKCE and the tenant from `/connections` for Xero), applies the suggested
mapping, syncs, then syncs again to show that a re-run writes nothing.
"""

import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.registry import get, names
from ledger_sync.connectors.service_opus.models import Customer, Invoice, InvoiceLine, InvoiceStatus, Product
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.runs import RunSummary
from ledger_sync.onboarding import (
    apply_suggested_mapping,
    available_tenants,
    exchange_authorization,
    save_connection,
    start_authorization,
)
from ledger_sync.sandboxes.plugin import SandboxOptions, load_sandbox
from ledger_sync.sandboxes.serve import serving
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore


@dataclass(frozen=True)
class DemoResult:
    company_id: int
    first_run: RunSummary
    second_run: RunSummary
    writes_on_second_run: int
    status: dict[str, object]
    parked: list[tuple[str, int, str]]
    sandbox_db: Path


PROBLEM_CUSTOMER = "Harbour Dental"
"""Two Service Opus customers of this name (one customer entered twice): both ledgers keep customer names
unique, so the second is refused and parked, its invoice waiting behind it. No rule can fix that: only a
bookkeeper knows whether to merge them or rename one."""
FIXED_NAME_CUSTOMER = "Northside Clinic: Main Street"
"""A name QBO refuses as it is (a colon, its sub-customer separator): it syncs as "Northside Clinic - Main
Street" (see `connectors.qbo.fields`), and as it is in Xero."""


CREDIT_NUMBER = "PRB-0003"
"""The problem invoice that totals below zero: a credit, which no ledger takes as an invoice; it syncs as a credit
note."""


def add_problem_records(engine: Engine, company_id: int) -> None:
    """Four locked invoices: PRB-0001 for the first `PROBLEM_CUSTOMER`, which syncs; PRB-0002 for its twin, which
    the ledger refuses, so the invoice waits; `CREDIT_NUMBER`, whose only line is a negative quantity so that it
    totals below zero (a credit, which syncs as a credit note); and PRB-0004 for
    `FIXED_NAME_CUSTOMER`, which syncs. (A negative line on an invoice that still totals above zero, a discount,
    syncs.)"""
    with Session(engine) as session, session.begin():
        template = session.scalars(
            select(Invoice).where(Invoice.company_id == company_id, Invoice.status == InvoiceStatus.LOCKED).limit(1)
        ).one()
        product = session.scalars(select(Product).where(Product.company_id == company_id).limit(1)).one()
        first, twin, fixed = (
            Customer(company_id=company_id, display_name=name, email=email)
            for name, email in (
                (PROBLEM_CUSTOMER, "accounts@harbourdental.example"),
                (PROBLEM_CUSTOMER, "billing@harbourdental.example"),
                (FIXED_NAME_CUSTOMER, "ap@northsideclinic.example"),
            )
        )
        session.add_all([first, twin, fixed])
        session.flush()
        last_locked = session.scalar(select(func.max(Invoice.locked_at)).where(Invoice.company_id == company_id))
        for number, customer_id, quantity in (
            ("PRB-0001", first.id, "1"),
            ("PRB-0002", twin.id, "2"),
            (CREDIT_NUMBER, template.customer_id, "-3"),
            ("PRB-0004", fixed.id, "1"),
        ):
            invoice = Invoice(
                company_id=company_id,
                number=number,
                customer_id=customer_id,
                issue_date=template.issue_date,
                due_date=template.due_date,
                currency=template.currency,
                status=InvoiceStatus.LOCKED,
                locked_at=(last_locked or datetime(2026, 1, 1)) + timedelta(minutes=1),
            )
            invoice.lines.append(
                InvoiceLine(
                    position=1,
                    product_id=product.id,
                    category_id=product.category_id,
                    description=product.name,
                    quantity=Decimal(quantity),
                    unit_price=product.unit_price,
                    tax_rate_id=template.lines[0].tax_rate_id,
                    tax_inclusive=False,
                )
            )
            session.add(invoice)


def connect_with_auto_consent(settings: Settings, store: StateStore, company_id: int, ledger: str = "qbo") -> int:
    """Follow the authorize URL to the sandbox's immediate redirect, check `state`, exchange the code
    (with the PKCE verifier for Xero), and connect the first tenant the grant reaches."""
    start = start_authorization(settings, ledger)
    response = httpx.get(start.url, follow_redirects=False, timeout=30)
    if response.status_code not in (302, 303):
        raise RuntimeError(f"the authorize endpoint answered {response.status_code}, not a redirect")
    query = parse_qs(urlsplit(response.headers["location"]).query)
    if query.get("state") != [start.state]:
        raise RuntimeError("the authorization redirect carried the wrong state")
    tokens = exchange_authorization(settings, ledger, query["code"][0], start.code_verifier)
    tenants = available_tenants(settings, ledger, tokens, query.get("realmId", [None])[0])
    if not tenants:
        raise RuntimeError("the authorization reached no company or organisation")
    return save_connection(settings, store, company_id, ledger, tenants[0][0], tokens)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def ledger_api_paths() -> tuple[str, ...]:
    """Where the sandboxes serve the ledger APIs; a token refresh is an HTTP write but not a ledger write."""
    return tuple(load_sandbox(module).api_prefix for name in names() if (module := get(name).sandbox) is not None)


def writes_since(base_url: str, since: int) -> tuple[int, int]:
    """(ledger writes since request id `since`, the newest request id) from the sandbox's request log."""
    log = httpx.get(f"{base_url}/_sandbox/requests", params={"since": since}, timeout=30).json()
    entries = log["requests"] if isinstance(log, dict) else log
    newest = max((e["id"] for e in entries), default=since)
    return sum(1 for e in entries if e["write"] and e["path"].startswith(ledger_api_paths())), newest


@dataclass(frozen=True)
class QboCompany:
    """Which QBO company the sandbox creates on consent: CA, or US with or without Automated Sales Tax."""

    country: str = "CA"
    automated_sales_tax: bool = False
    keeps_total_tax_override: bool = True
    """US: whether the sandbox keeps a supplied TotalTax (real QBO is reported both ways)."""

    def __post_init__(self) -> None:
        if self.country not in ("CA", "US"):
            raise ValueError(f"QBO company country must be CA or US, got {self.country!r}")
        if self.automated_sales_tax and self.country != "US":
            raise ValueError("Automated Sales Tax exists for US QBO companies only")

    @property
    def label(self) -> str:
        return f"{self.country}{' (Automated Sales Tax)' if self.automated_sales_tax else ''}"

    def settings(self) -> dict[str, object]:
        """The QBO sandbox's company settings (`SandboxOptions.company`)."""
        return {
            "country": self.country,
            "automated_sales_tax": self.automated_sales_tax,
            "keeps_total_tax_override": self.keeps_total_tax_override,
        }


CANADIAN_QBO = QboCompany()
"""The default sandbox company."""


@contextmanager
def sandbox_for(
    ledger: str, home: Path, time_scale: float = 1.0, company: Mapping[str, object] | None = None
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """Start `ledger`'s sandbox (auto-consenting) in `home`: (base URL, LEDGER_SYNC_* settings, its file).
    `time_scale` sandbox seconds pass per real second (token lifetimes, rate windows); `company` is the kind of
    company the sandbox creates (see `SandboxOptions.company`, e.g. `QboCompany.settings()`)."""
    plugin = get(ledger)
    if plugin.sandbox is None:
        raise ValueError(f"{plugin.label} has no local sandbox")
    sandbox = load_sandbox(plugin.sandbox)
    db_path = home / f"{ledger}-sandbox.db"
    options = SandboxOptions(db_path, time_scale, auto_consent=True, company=company or {})
    with serving(sandbox.create_app(options)) as base_url:
        yield base_url, sandbox.connector_env(base_url, time_scale), db_path


def run_demo(home: Path, invoices: int, ledger: str = "qbo", qbo_company: QboCompany = CANADIAN_QBO) -> DemoResult:
    """Run the demo against `ledger`'s sandbox in a fresh `home` folder and return what it saw. A US QBO
    company gets a US Service Opus company (combined sales tax rates, USD)."""
    from ledger_sync.flows.sync import sync_company
    from ledger_sync.status import company_status

    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    source_engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
    qbo = ledger == "qbo"  # the one ledger whose sandbox creates companies of several kinds
    seed(source_engine, invoices=invoices, country=qbo_company.country if qbo else "CA")
    company_id = 1
    add_problem_records(source_engine, company_id)
    source_engine.dispose()
    with (
        sandbox_for(ledger, home, company=qbo_company.settings() if qbo else None) as (base_url, endpoints, sandbox_db),
        _environment({"LEDGER_SYNC_HOME": str(home), "LEDGER_SYNC_DEMO_MODE": "true"} | endpoints),
    ):
        settings = Settings()
        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, company_id, ledger)
            apply_suggested_mapping(settings, store, company_id, ledger)
            first = sync_company(company_id=company_id, ledger=ledger)
            _, mark = writes_since(base_url, 0)
            second = sync_company(company_id=company_id, ledger=ledger)
            writes, _ = writes_since(base_url, mark)
            status = company_status(settings, store, company_id, ledger)
            connection = store.connection(company_id, ledger)
            parked = store.parked_list(connection.id) if connection else []
        finally:
            store.close()
    return DemoResult(company_id, first, second, writes, status, parked, sandbox_db)
