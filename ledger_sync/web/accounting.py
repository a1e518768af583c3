"""Settings -> Integrations -> Accounting: per ledger the connection, the mapping form, the live sync
toggles and the validation panel; plus the Data Docs the panel links to.

The page reads the ledger's chart live on every load, so a tax rate archived in the ledger leaves the
dropdowns at once; the validation panel shows the last Run checks (a page load runs no check and
writes nothing), and saving the mapping runs the checks again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound

from ledger_sync import onboarding
from ledger_sync.connectors.registry import ledger_label, names
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.ledger import LedgerAccount, LedgerError, LedgerTaxRate
from ledger_sync.core.mapping import SourceCategory, SourceTaxRate
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue
from ledger_sync.expectations.last_checks import ValidationView, docs_root, last_validation
from ledger_sync.settings import Settings
from ledger_sync.state.reconciliations import RECONCILE_DEPLOYMENT, last_reconciliation
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.web.connect import AUTHORIZE, PICK, accounting_url
from ledger_sync.web.connections import ConnectionView, connection_view
from ledger_sync.web.mapping_form import MappingForm, mapping_form, parse_mapping
from ledger_sync.web.pages import notify, render
from ledger_sync.web.security import link_token, require_admin, require_csrf
from ledger_sync.web.validation import validate

Chart = tuple[list[LedgerAccount], list[LedgerTaxRate], list[LedgerTrackingOption]]


@dataclass(frozen=True)
class LedgerPanel:
    connection: ConnectionView
    form: MappingForm | None = None
    validation: ValidationView | None = None
    chart_error: str | None = None
    source_problems: tuple[str, ...] = ()
    """Service Opus records the page could not read, named (they never fail the page)."""
    tenants: list[tuple[str, str]] | None = None
    """Organisations to pick from after a consent that authorised several."""
    reconciliation: dict[str, Any] | None = None
    """The last reconciliation's stored result (the page only reads it; the button starts a new one)."""


async def submitted_form(request: Request) -> dict[str, str]:
    return {key: value for key, value in (await request.form()).items() if isinstance(value, str)}


def accounting_router(settings: Settings, store: StateStore, source: ServiceOpusSource) -> APIRouter:
    router = APIRouter(dependencies=[Depends(require_admin)])

    def source_chart(company_id: int) -> tuple[list[SourceTaxRate], list[SourceCategory], tuple[str, ...]]:
        """The readable tax rates and the categories, and why the other tax rates are left out."""
        rates = source.read_tax_rates(company_id)
        return rates.records, source.categories(company_id), tuple(u.problem for u in rates.unreadable)

    def live_chart(connection: ConnectionInfo, tracking: list[SourceTrackingValue]) -> tuple[Chart | None, str | None]:
        try:
            return onboarding.ledger_chart(settings, store, connection, tracking=bool(tracking)), None
        except LedgerError as exc:
            return None, f"Could not read the chart of accounts from {ledger_label(connection.ledger)}: {exc.message}"

    def connected(company_id: int, ledger: str) -> ConnectionInfo:
        connection = store.connection(company_id, ledger) if ledger in names() else None
        if connection is None or connection.status == "disconnected":
            raise HTTPException(404, f"Company {company_id} is not connected to {ledger_label(ledger)}.")
        return connection

    def panel(request: Request, company_id: int, ledger: str, now: datetime) -> LedgerPanel:
        pick = request.session.get(PICK)
        tenants = [(t[0], t[1]) for t in pick["tenants"]] if pick and pick["ledger"] == ledger else None
        info = store.connection(company_id, ledger)
        if info is None or info.status == "disconnected":
            return LedgerPanel(connection_view(ledger, info, now), tenants=tenants)
        tracking = source.tracking_values(company_id)
        chart, chart_error = live_chart(info, tracking)
        info = store.connection_by_id(info.id)  # reading the chart may have refreshed (or lost) the tokens
        rates, categories, problems = source_chart(company_id)
        saved = store.load_mapping(info.id)
        banks = source.bank_accounts(company_id)
        form = mapping_form(ledger, saved, rates, categories, *chart[:2], banks, tracking, chart[2]) if chart else None
        return LedgerPanel(
            connection_view(ledger, info, now),
            form,
            last_validation(settings.home, info.id),
            chart_error,
            problems,
            tenants,
            last_reconciliation(settings, company_id, ledger),
        )

    @router.get("/")
    def home() -> Response:
        return RedirectResponse(accounting_url(1), status_code=303)

    @router.get("/settings/integrations/accounting")
    def accounting_page(request: Request, admin: Annotated[str, Depends(require_admin)], company: int = 1) -> Response:
        now = datetime.now(UTC)
        panels = [panel(request, company, ledger, now) for ledger in names()]
        context = {"company": company, "panels": panels, "admin": admin, "link_token": link_token(request, AUTHORIZE)}
        return render(request, "accounting.html", context)

    @router.post("/integrations/accounting/{ledger}/mapping", dependencies=[Depends(require_csrf)])
    def save_mapping(
        request: Request, ledger: str, submitted: Annotated[dict[str, str], Depends(submitted_form)], company: int = 1
    ) -> Response:
        connection = connected(company, ledger)
        tracking = source.tracking_values(company)
        chart, chart_error = live_chart(connection, tracking)
        if chart is None:
            notify(request, "error", f"{chart_error} The mapping was not saved.")
            return RedirectResponse(accounting_url(company, ledger), status_code=303)
        rates, categories, _ = source_chart(company)
        banks = source.bank_accounts(company)
        saved = store.load_mapping(connection.id)
        form = mapping_form(ledger, saved, rates, categories, *chart[:2], banks, tracking, chart[2])
        parsed = parse_mapping(form, submitted)
        store.save_mapping(connection.id, parsed.mapping, parsed.names)
        validate(settings, connection, parsed.mapping, rates, categories, chart, banks, tracking)
        if parsed.missing:
            notify(request, "error", "Mapping saved, but still missing: " + ", ".join(parsed.missing) + ".")
        else:
            notify(request, "ok", "Mapping saved.")
        return RedirectResponse(accounting_url(company, ledger), status_code=303)

    @router.post("/integrations/accounting/{ledger}/checks", dependencies=[Depends(require_csrf)])
    def run_checks(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        """Run the chart-mapping and connection checks against the live ledger now."""
        connection = connected(company, ledger)
        tracking = source.tracking_values(company)
        chart, _ = live_chart(connection, tracking)
        connection = store.connection_by_id(connection.id)  # reading the chart may have lost the tokens
        rates, categories, _ = source_chart(company)
        mapping = store.load_mapping(connection.id)
        banks = source.bank_accounts(company)
        validate(settings, connection, mapping, rates, categories, chart, banks, tracking)
        notify(request, "ok", f"{ledger_label(ledger)}: checks run.")
        return RedirectResponse(accounting_url(company, ledger), status_code=303)

    @router.post("/integrations/accounting/{ledger}/auto-sync", dependencies=[Depends(require_csrf)])
    def save_toggles(
        request: Request,
        ledger: str,
        company: Annotated[int, Form()] = 1,
        invoices: Annotated[str | None, Form()] = None,
        payments: Annotated[str | None, Form()] = None,
    ) -> Response:
        connection = connected(company, ledger)
        store.set_auto_sync(connection.id, invoices=invoices is not None, payments=payments is not None)
        states = [
            f"Automatic Invoice Sync {'on' if invoices else 'off'}",
            f"Automatic Payment Sync {'on' if payments else 'off'}",
        ]
        notify(request, "ok", f"{ledger_label(ledger)}: {', '.join(states)}.")
        return RedirectResponse(accounting_url(company, ledger), status_code=303)

    @router.post("/integrations/accounting/{ledger}/reconcile", dependencies=[Depends(require_csrf)])
    def reconcile_now(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        """Start the reconcile deployment; its result shows in the section when the run has finished."""
        connection = connected(company, ledger)
        try:
            run_deployment(
                RECONCILE_DEPLOYMENT,
                parameters={"company_id": connection.company_id, "ledger": connection.ledger},
                timeout=0,
            )
        except (ObjectNotFound, httpx.HTTPError) as exc:
            notify(request, "error", f"Could not start the reconciliation (is `ledger-sync up` running?): {exc}")
        else:
            notify(request, "ok", f"{ledger_label(ledger)}: reconciliation started; reload for its result.")
        return RedirectResponse(accounting_url(company, ledger), status_code=303)

    @router.get("/reports/{path:path}")
    def report(path: str) -> Response:
        """The Data Docs the validation panel links to (HTML and its static assets)."""
        root = docs_root(settings.home).resolve()
        target = (root / path).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            raise HTTPException(404, "No such report.")
        return FileResponse(target)

    return router
