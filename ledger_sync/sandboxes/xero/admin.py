"""Test-only controls (no auth): the request log, edits behind the client's back, the clock."""

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from ledger_sync.sandboxes.xero import currencies, invoices, organisation
from ledger_sync.sandboxes.xero.books import ID_FIELDS, Books, Invalid
from ledger_sync.sandboxes.xero.context import Sandbox, sandbox
from ledger_sync.sandboxes.xero.responses import problem, xero_json
from ledger_sync.sandboxes.xero.taxmath import cents, number

router = APIRouter(prefix="/_sandbox")


@router.get("/requests", response_model=None)
def requests_log(box: Annotated[Sandbox, Depends(sandbox)], since: int = 0) -> Response:
    rows = box.store.execute("SELECT * FROM requests WHERE id > ? ORDER BY id", (since,))
    entries = [{**dict(row), "write": bool(row["write"])} for row in rows]
    return xero_json({"requests": entries})


@router.get("/tenants", response_model=None)
def tenants(box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    return xero_json({"tenants": box.tenants.organisations()})


@router.get("/tenants/{tenant}/{collection}", response_model=None)
def list_records(tenant: str, collection: str, box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    """Every record of a collection, archived and voided included, without limits or faults (for checks)."""
    if collection not in ID_FIELDS:
        return problem(404, f"No collection {collection}")
    return xero_json({collection: Books(box.store, box.clock, tenant).all(collection)})


@router.patch("/tenants/{tenant}/{collection}/{key}", response_model=None)
def patch_record(
    tenant: str,
    collection: str,
    key: str,
    changes: Annotated[dict[str, Any], Body()],
    box: Annotated[Sandbox, Depends(sandbox)],
) -> Response:
    """Change a record as a user in Xero's UI would (e.g. archive a tax rate, void an invoice); ids cannot change.
    A payment's invoice is paid by what its payments now say (Xero's UI re-enters a changed payment)."""
    ledger = Books(box.store, box.clock, tenant)
    doc = ledger.find(collection, key) if collection in ID_FIELDS else None
    if doc is None:
        return problem(404, f"No {collection} record {key} in tenant {tenant}")
    doc.update({name: value for name, value in changes.items() if name != ID_FIELDS[collection]})
    if collection == "Payments" and "Amount" in changes:
        doc["Amount"] = doc["BankAmount"] = cents(number(changes["Amount"], "Amount"))
    saved = ledger.save(collection, doc)
    invoice = ledger.get("Invoices", doc["Invoice"]["InvoiceID"]) if collection == "Payments" else None
    if invoice is not None:
        invoices.reapply_payments(ledger, invoice)
    return xero_json(saved)


@router.put("/tenants/{tenant}/currencies/{code}", response_model=None)
def enable_currency(tenant: str, code: str, box: Annotated[Sandbox, Depends(sandbox)]) -> Response:
    """Enable a currency, as a bookkeeper does in Xero's UI (Settings -> Currencies); the API cannot."""
    try:
        return xero_json(currencies.enable(Books(box.store, box.clock, tenant), code))
    except Invalid as bad:
        return problem(400, "; ".join(bad.messages))


@router.put("/tenants/{tenant}/lock-dates", response_model=None)
def lock_dates(
    tenant: str, dates: Annotated[dict[str, date | None], Body()], box: Annotated[Sandbox, Depends(sandbox)]
) -> Response:
    """Set or clear the organisation's lock dates, as a bookkeeper does in Xero's financial settings:
    `{"PeriodLockDate": "2026-03-31", "EndOfYearLockDate": null}` (a lock left out is left as it is)."""
    if not box.tenants.exists(tenant):
        return problem(404, f"No tenant {tenant}")
    unknown = set(dates) - set(organisation.LOCKS)
    if unknown:
        return problem(400, f"Unknown lock dates: {', '.join(sorted(unknown))}")
    ledger = Books(box.store, box.clock, tenant)
    with box.store.transaction():
        organisation.set_lock_dates(ledger, dates)
    return xero_json(organisation.organisation(ledger, tenant))


@router.post("/clock/advance", response_model=None)
def advance_clock(box: Annotated[Sandbox, Depends(sandbox)], seconds: Annotated[float, Body(embed=True)]) -> Response:
    box.clock.advance(timedelta(seconds=seconds))
    return xero_json({"now": box.clock.now().isoformat()})
