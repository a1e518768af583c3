"""The accounting API subset under `/api.xro/2.0`: reads with Xero's filters and paging, batched writes.

Authentication, the tenant header and the call limits are enforced by `guard.py` before any of
these run.
"""

import math
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ledger_sync.sandboxes.xero import (
    balances,
    banktransfers,
    creditnotes,
    currencies,
    organisation,
    payments,
    prepayments,
    query,
    tracking,
    wire,
)
from ledger_sync.sandboxes.xero.books import ID_FIELDS, Books, Invalid
from ledger_sync.sandboxes.xero.context import Sandbox, sandbox
from ledger_sync.sandboxes.xero.idempotency import MAX_KEY_LENGTH, IdempotencyKeys, KeyReused, Recorded, fingerprint
from ledger_sync.sandboxes.xero.responses import JSON, api_error, envelope, problem, xero_json
from ledger_sync.sandboxes.xero.writes import RESOURCES, Resource, apply, elements, parse_body, validation_exception

router = APIRouter(prefix="/api.xro/2.0")
PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_READABLE = (
    "Accounts",
    "TaxRates",
    "Contacts",
    "Items",
    "Invoices",
    "Payments",
    "CreditNotes",
    "BankTransactions",
    "BankTransfers",
    "Prepayments",
    "Overpayments",
    "TrackingCategories",
)
_LIST_FILTERS = {
    "IDs": None,
    "InvoiceNumbers": "InvoiceNumber",
    "ContactIDs": "Contact.ContactID",
    "Statuses": "Status",
}


def books(request: Request, box: Annotated[Sandbox, Depends(sandbox)]) -> Books:
    return Books(box.store, box.clock, request.state.tenant)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() == "true"


def _unitdp(request: Request) -> int:
    return 4 if request.query_params.get("unitdp") == "4" else 2


def _render(collection: str, doc: dict[str, Any], unitdp: int, with_lines: bool = True) -> dict[str, Any]:
    """Invoices show UnitAmount at 2 dp unless `unitdp=4`; unpaged lists leave the lines out, as Xero's do.
    A refused element is echoed as it was sent (its amounts may be JSON integers, or missing)."""
    if collection not in ("Invoices", "CreditNotes") or doc.get("StatusAttributeString") == "ERROR":
        return doc
    if not with_lines:
        return {key: value for key, value in doc.items() if key != "LineItems"}
    places = Decimal("0.0001") if unitdp == 4 else Decimal("0.01")
    lines = [{**line, "UnitAmount": line["UnitAmount"].quantize(places, ROUND_HALF_UP)} for line in doc["LineItems"]]
    return {**doc, "LineItems": lines}


def _filtered(collection: str, docs: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    params = request.query_params
    for name, path in _LIST_FILTERS.items():
        if params.get(name):
            wanted = {value.strip().casefold() for value in params[name].split(",") if value.strip()}
            field = (path or ID_FIELDS[collection]).split(".")
            docs = [doc for doc in docs if str(query.lookup(doc, field)).casefold() in wanted]
    if collection == "Contacts" and not _flag(request, "includeArchived") and not params.get("IDs"):
        docs = [doc for doc in docs if doc.get("ContactStatus") != "ARCHIVED"]
    if collection == tracking.COLLECTION:
        docs = tracking.listed(docs, _flag(request, "includeArchived"))
    if params.get("searchTerm"):
        term = params["searchTerm"].casefold()
        fields = ("Name", "FirstName", "LastName", "ContactNumber", "EmailAddress", "InvoiceNumber", "Reference")
        docs = [doc for doc in docs if any(term in str(doc.get(field, "")).casefold() for field in fields)]
    if params.get("where"):
        predicate = query.where(params["where"])
        docs = [doc for doc in docs if predicate(doc)]
    if params.get("order"):
        docs = query.order(docs, params["order"])
    return docs


@router.get("/Organisation", response_model=None)
def read_organisation(
    request: Request, ledger: Annotated[Books, Depends(books)], box: Annotated[Sandbox, Depends(sandbox)]
) -> Response:
    """The connected organisation, with its lock dates when set (`organisation`)."""
    names = {row["id"]: row["name"] for row in box.tenants.organisations()}
    found = organisation.organisation(ledger, names.get(ledger.tenant, ""))
    return xero_json(envelope("Organisations", [found], ledger.instant()))


@router.get("/Currencies", response_model=None)
def read_currencies(ledger: Annotated[Books, Depends(books)]) -> Response:
    """The base currency and the ones a bookkeeper enabled (`currencies`)."""
    return xero_json(envelope("Currencies", currencies.listed(ledger), ledger.instant()))


@router.get("/Reports/BankSummary", response_model=None)
def bank_summary(ledger: Annotated[Books, Depends(books)]) -> Response:
    """Each active BANK account's money in and out and its closing balance (`balances`; dates not modelled)."""
    banks = [a for a in ledger.all("Accounts") if a.get("Type") == "BANK" and a.get("Status") == "ACTIVE"]
    rows = [balances.summary_row(bank, ledger.get(balances.COLLECTION, bank["AccountID"])) for bank in banks]
    headings = ("Bank Accounts", "Opening Balance", "Cash Received", "Cash Spent", "Closing Balance")
    report = {
        "ReportName": "Bank Summary",
        "ReportType": "BankSummary",
        "ReportTitles": ["Bank Summary"],
        "ReportDate": ledger.today().strftime("%d %B %Y").lstrip("0"),
        "UpdatedDateUTC": ledger.stamp(),
        "Fields": [],
        "Rows": [
            {"RowType": "Header", "Cells": [{"Value": heading} for heading in headings]},
            {"RowType": "Section", "Title": "", "Rows": rows},
        ],
    }
    return xero_json(envelope("Reports", [report], ledger.instant()))


@router.get("/{collection}", response_model=None)
def read_many(collection: str, request: Request, ledger: Annotated[Books, Depends(books)]) -> Response:
    if collection not in _READABLE:
        return problem(404, "The resource you're looking for cannot be found")
    try:
        docs = _filtered(collection, ledger.all(collection), request)
    except query.QueryError as bad:
        return api_error(16, "QueryParseException", str(bad))
    extra: dict[str, Any] = {}
    page_param = request.query_params.get("page", "")
    paged = "page" in request.query_params and collection in (
        "Contacts",
        "Invoices",
        "Payments",
        "CreditNotes",
        "BankTransactions",
    )
    if paged:
        page = max(1, int(page_param)) if page_param.isdigit() else 1
        size_param = request.query_params.get("pageSize", "")
        size = min(MAX_PAGE_SIZE, max(1, int(size_param))) if size_param.isdigit() else PAGE_SIZE
        count = len(docs)
        extra["pagination"] = {"page": page, "pageSize": size, "pageCount": math.ceil(count / size), "itemCount": count}
        docs = docs[(page - 1) * size : page * size]
    rendered = [_render(collection, doc, _unitdp(request), with_lines=paged) for doc in docs]
    return xero_json(envelope(collection, rendered, ledger.instant(), **extra))


@router.get("/{collection}/{key}", response_model=None)
def read_one(collection: str, key: str, request: Request, ledger: Annotated[Books, Depends(books)]) -> Response:
    doc = ledger.find(collection, key) if collection in _READABLE else None
    if doc is None:
        return problem(404, "The resource you're looking for cannot be found")
    return xero_json(envelope(collection, [_render(collection, doc, _unitdp(request))], ledger.instant()))


async def _write(
    collection: str,
    request: Request,
    ledger: Books,
    keys: IdempotencyKeys,
    create_only: bool,
    resource: Resource | None = None,
) -> Response:
    """`resource`: how the elements are saved, when not the collection's own (a deletion by id)."""
    resource = resource or RESOURCES.get(collection)
    if resource is None:
        return problem(404, "The resource you're looking for cannot be found")

    def produce(raw: bytes) -> tuple[int, dict[str, Any]]:
        given = elements(resource, parse_body(raw))
        if collection == banktransfers.COLLECTION:
            banktransfers.one_per_request(given)
        summarize = request.query_params.get("summarizeErrors", "true").lower() != "false"
        outcome = apply(ledger, resource, given, create_only, summarize, _unitdp(request))
        if outcome.status != 200:
            return outcome.status, outcome.body
        docs = [_render(collection, doc, _unitdp(request)) for doc in outcome.body[collection]]
        return 200, envelope(collection, docs, ledger.instant())

    return await _once(request, ledger, keys, produce)


async def _once(
    request: Request, ledger: Books, keys: IdempotencyKeys, produce: Callable[[bytes], tuple[int, dict[str, Any]]]
) -> Response:
    """Run a write once per Idempotency-Key (a replay answers the first answer; another body is refused)."""
    raw = await request.body()
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        return problem(400, f"The Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters long.")
    print_ = fingerprint(request.method, str(request.url.path) + "?" + str(request.url.query), raw)
    with ledger.store.transaction():
        if key is not None:
            try:
                recorded = keys.recall(ledger.tenant, key, print_)
            except KeyReused:
                return problem(400, "The Idempotency-Key has already been used for a different request.")
            if recorded is not None:
                return Response(recorded.body, status_code=recorded.status, media_type=JSON)
        try:
            status, body = produce(raw)
        except Invalid as bad:
            return api_error(14, "PostDataInvalidException", "; ".join(bad.messages))
        text = wire.dumps(body)
        if key is not None:
            keys.remember(ledger.tenant, key, print_, Recorded(status, text))
    return Response(text, status_code=status, media_type=JSON)


def _keys(box: Annotated[Sandbox, Depends(sandbox)]) -> IdempotencyKeys:
    return IdempotencyKeys(box.store, box.clock)


@router.put("/{collection}", response_model=None)
async def create(
    collection: str,
    request: Request,
    ledger: Annotated[Books, Depends(books)],
    keys: Annotated[IdempotencyKeys, Depends(_keys)],
) -> Response:
    return await _write(collection, request, ledger, keys, create_only=True)


@router.post("/{collection}", response_model=None)
async def create_or_update(
    collection: str,
    request: Request,
    ledger: Annotated[Books, Depends(books)],
    keys: Annotated[IdempotencyKeys, Depends(_keys)],
) -> Response:
    return await _write(collection, request, ledger, keys, create_only=collection in ("Payments", "BankTransfers"))


@router.post("/Payments/{payment_id}", response_model=None)
async def delete_payment(
    payment_id: str,
    request: Request,
    ledger: Annotated[Books, Depends(books)],
    keys: Annotated[IdempotencyKeys, Depends(_keys)],
) -> Response:
    """`{"Status": "DELETED"}`: the only change Xero makes to a payment (see `payments`)."""
    deletion = Resource("Payments", "HasValidationErrors", payments.deletion(payment_id), payments.delete)
    return await _write("Payments", request, ledger, keys, create_only=False, resource=deletion)


@router.put("/{collection}/{key}/Allocations", response_model=None)
async def allocate(
    collection: str,
    key: str,
    request: Request,
    ledger: Annotated[Books, Depends(books)],
    keys: Annotated[IdempotencyKeys, Depends(_keys)],
) -> Response:
    """Allocate a credit note, prepayment or overpayment to invoices: all of the body's allocations or none (a
    refusal is a 400)."""
    if collection not in ("CreditNotes", *prepayments.ID_FIELDS) or ledger.find(collection, key) is None:
        return problem(404, "The resource you're looking for cannot be found")

    def produce(raw: bytes) -> tuple[int, dict[str, Any]]:
        note = ledger.find(collection, key)
        assert note is not None  # found above, and credits are never deleted
        given = parse_body(raw)
        listed = given.get("Allocations") if isinstance(given, dict) and "Allocations" in given else [given]
        if not isinstance(listed, list):
            raise Invalid("Allocations must be a list.")
        made: list[dict[str, Any]] = []
        for element in listed:
            try:
                with ledger.store.savepoint():
                    if collection == "CreditNotes":
                        made.append(creditnotes.allocate(ledger, note, element))
                    else:
                        made.append(prepayments.allocate(ledger, collection, note, element))
            except Invalid as bad:
                echoed = {**(element if isinstance(element, dict) else {}), "StatusAttributeString": "ERROR"}
                echoed["ValidationErrors"] = [{"Message": message} for message in bad.messages]
                return 400, validation_exception([echoed])
        return 200, envelope("Allocations", made, ledger.instant())

    return await _once(request, ledger, keys, produce)


@router.delete("/{collection}/{key}/Allocations/{allocation_id}", response_model=None)
async def deallocate(
    collection: str,
    key: str,
    allocation_id: str,
    request: Request,
    ledger: Annotated[Books, Depends(books)],
    keys: Annotated[IdempotencyKeys, Depends(_keys)],
) -> Response:
    """Delete an allocation of a credit note, prepayment or overpayment: Xero answers the Allocation with
    `IsDeleted: true`."""
    if collection not in ("CreditNotes", *prepayments.ID_FIELDS) or ledger.find(collection, key) is None:
        return problem(404, "The resource you're looking for cannot be found")

    def produce(raw: bytes) -> tuple[int, dict[str, Any]]:
        credit = ledger.find(collection, key)
        assert credit is not None  # found above, and credits are never deleted
        try:
            with ledger.store.savepoint():
                return 200, creditnotes.deallocate(ledger, collection, credit, allocation_id)
        except Invalid as bad:
            return 400, validation_exception([{"AllocationID": allocation_id, **_errors(bad)}])

    return await _once(request, ledger, keys, produce)


def _errors(bad: Invalid) -> dict[str, Any]:
    return {"StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": m} for m in bad.messages]}
