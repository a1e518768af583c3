"""Settings -> Integrations -> Accounting -> Existing records: the review of proposed links to customers and items
the ledger already holds (`existing_books`).

Matching runs when a ledger is connected and by the page's Find matches button; loading the page runs nothing and
writes nothing. Each proposal can be accepted, sent to be created new, or linked to another ledger record the admin
names; "Accept all exact matches" accepts every proposal scoring 95 or more at once. Every form carries the CSRF
token and every page needs the admin login, like the rest of the Accounting tab.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from ledger_sync.connectors.registry import ledger_label, names
from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.records import EntityType
from ledger_sync.existing_books import ExistingBooks
from ledger_sync.ledger_access import open_ledger
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.links import LinkStore
from ledger_sync.state.store import ConnectionInfo, StateStore
from ledger_sync.web.pages import notify, render
from ledger_sync.web.security import require_admin, require_csrf

SHOWN_PROBLEMS = 5
ACTIONS = "/integrations/accounting/{ledger}/existing-records"
"""Where the page's forms post (with the ledger filled in by the route)."""


def review_url(company_id: int, ledger: str) -> str:
    return f"/settings/integrations/accounting/{ledger}/existing-records?company={company_id}"


@contextmanager
def existing_books(settings: Settings, store: StateStore, connection: ConnectionInfo) -> Iterator[ExistingBooks]:
    connector = open_ledger(settings, store, connection)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))
    try:
        yield ExistingBooks(source, store, connection, connector)
    finally:
        connector.close()
        source.engine.dispose()


def match_on_connect(request: Request, settings: Settings, store: StateStore, company_id: int, ledger: str) -> None:
    """Look for the records the newly connected ledger already holds; a failure leaves the connection as it is and
    says how to look again."""
    connection = store.connection(company_id, ledger)
    assert connection is not None
    _match(request, settings, store, connection)


def _match(request: Request, settings: Settings, store: StateStore, connection: ConnectionInfo) -> None:
    label = ledger_label(connection.ledger)
    try:
        with existing_books(settings, store, connection) as books:
            found = books.match()
    except LedgerError as exc:
        notify(request, "error", f"Could not look for records {label} already holds: {exc.message}. Use Find matches.")
        return
    customers, items = found[EntityType.CUSTOMER], found[EntityType.ITEM]
    if customers or items:
        notify(
            request,
            "ok",
            f"{label} may already hold {customers} of your customers and {items} of your items: review them under "
            "Existing records. They wait, and nothing is written for them, until you decide.",
        )
    else:
        notify(request, "ok", f"No customer or item of yours found in {label}: they will be created as they sync.")


def existing_records_router(settings: Settings, store: StateStore) -> APIRouter:
    router = APIRouter(dependencies=[Depends(require_admin)])
    links = LinkStore(store)

    def connected(company_id: int, ledger: str) -> ConnectionInfo:
        connection = store.connection(company_id, ledger) if ledger in names() else None
        if connection is None or connection.status == "disconnected":
            raise HTTPException(404, f"Company {company_id} is not connected to {ledger_label(ledger)}.")
        return connection

    def act(
        request: Request, ledger: str, company: int, action: Callable[[ExistingBooks], list[str]]
    ) -> list[str] | None:
        """The action's problems in words, or None when the ledger could not be reached (said in a notice)."""
        try:
            with existing_books(settings, store, connected(company, ledger)) as books:
                return action(books)
        except LedgerError as exc:
            notify(request, "error", f"{ledger_label(ledger)} could not be reached: {exc.message}")
            return None

    def report(request: Request, problems: list[str] | None, done: str) -> None:
        """The first few problems (notices live in the session cookie, which must stay small), or `done`."""
        if problems is None:
            return
        for problem in problems[:SHOWN_PROBLEMS]:
            notify(request, "error", problem)
        if len(problems) > SHOWN_PROBLEMS:
            notify(request, "error", f"... and {len(problems) - SHOWN_PROBLEMS} more not linked: they stay listed.")
        if not problems:
            notify(request, "ok", done)

    @router.get("/settings/integrations/accounting/{ledger}/existing-records")
    def review_page(
        request: Request, ledger: str, admin: Annotated[str, Depends(require_admin)], company: int = 1
    ) -> Response:
        pending = links.pending(connected(company, ledger).id)
        context = {
            "company": company,
            "ledger": ledger,
            "label": ledger_label(ledger),
            "admin": admin,
            "proposals": pending,
            "exact": sum(1 for p in pending if p.exact),
        }
        return render(request, "existing_records.html", context)

    @router.post(ACTIONS + "/match", dependencies=[Depends(require_csrf)])
    def find_matches(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        _match(request, settings, store, connected(company, ledger))
        return RedirectResponse(review_url(company, ledger), status_code=303)

    @router.post(ACTIONS + "/accept-exact", dependencies=[Depends(require_csrf)])
    def accept_exact(request: Request, ledger: str, company: Annotated[int, Form()] = 1) -> Response:
        report(request, act(request, ledger, company, ExistingBooks.accept_exact), "Every exact match is linked.")
        return RedirectResponse(review_url(company, ledger), status_code=303)

    @router.post(ACTIONS + "/{proposal_id}/accept", dependencies=[Depends(require_csrf)])
    def accept(request: Request, ledger: str, proposal_id: int, company: Annotated[int, Form()] = 1) -> Response:
        report(request, act(request, ledger, company, lambda books: books.accept([proposal_id])), "Linked.")
        return RedirectResponse(review_url(company, ledger), status_code=303)

    @router.post(ACTIONS + "/{proposal_id}/pick", dependencies=[Depends(require_csrf)])
    def pick(
        request: Request,
        ledger: str,
        proposal_id: int,
        ledger_record: Annotated[str, Form()],
        company: Annotated[int, Form()] = 1,
    ) -> Response:
        def picked(books: ExistingBooks) -> list[str]:
            problem = books.pick(proposal_id, ledger_record)
            return [problem] if problem else []

        report(request, act(request, ledger, company, picked), f"Linked to '{ledger_record}'.")
        return RedirectResponse(review_url(company, ledger), status_code=303)

    @router.post(
        ACTIONS + "/{proposal_id}/create-new",
        dependencies=[Depends(require_csrf)],
    )
    def create_new(request: Request, ledger: str, proposal_id: int, company: Annotated[int, Form()] = 1) -> Response:
        links.create_new(connected(company, ledger).id, proposal_id)
        notify(request, "ok", "It will be created as a new record by the next sync.")
        return RedirectResponse(review_url(company, ledger), status_code=303)

    return router
