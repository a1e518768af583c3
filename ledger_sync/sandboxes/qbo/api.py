"""The Accounting API routes: `/v3/company/{realmId}/...` entity reads and writes, query and batch.

Every call needs a bearer token for that realm (401 AuthenticationFault 3200 otherwise) and passes the
per-realm throttle. Writes honour `requestid` (replayed verbatim), `include=allowduplicatedocnum` and voids (`voiding`);
`minorversion` is accepted and ignored, as real QBO ignores values under its floor.
"""

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from ledger_sync.sandboxes.qbo import faults, replay, wire
from ledger_sync.sandboxes.qbo.company import Company, entity_name
from ledger_sync.sandboxes.qbo.context import Sandbox
from ledger_sync.sandboxes.qbo.wire import QboJSONResponse

BATCH_MAX = 30
ALLOW_DUPLICATE_DOC_NUMBER = "allowduplicatedocnum"
VOID = "void"


async def raw_body(request: Request) -> bytes:
    return await request.body()


def _bearer(request: Request) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise faults.authentication_failed("Authorization header missing or not a bearer token")
    return token.strip()


def _json(status: int, content: bytes) -> Response:
    return Response(content, status_code=status, media_type="application/json")


def accounting_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/v3/company/{realm_id}")

    def company(realm_id: str, request: Request) -> Iterator[Company]:
        sandbox.tokens.authenticate(_bearer(request), realm_id)
        with sandbox.throttle.admit(realm_id, batch=request.url.path.rstrip("/").endswith("/batch")):
            yield sandbox.company(realm_id)

    Ledger = Annotated[Company, Depends(company)]
    RawBody = Annotated[bytes, Depends(raw_body)]

    def answer(
        realm_id: str,
        request_id: str | None,
        work: Any,
        replayed: Callable[[replay.Answer], replay.Answer] | None = None,
    ) -> Response:
        """Run a write once per request id; a validation Fault is an answer too (and is replayed)."""

        def produce() -> replay.Answer:
            try:
                return 200, wire.dumps({**work(), "time": sandbox.time()})
            except faults.QboFault as fault:
                return fault.status, wire.dumps(faults.envelope(fault, sandbox.time()))

        return _json(*replay.once(sandbox.store, realm_id, request_id, produce, replayed))

    def items_unknown(recorded: replay.Answer) -> replay.Answer:
        """A replayed batch answered item by item with 6000 "unexpected error" (quickbooks-ruby#344)."""
        status, body = recorded
        items = wire.loads(body).get("BatchItemResponse") if status == 200 else None
        if not isinstance(items, list):
            return recorded
        unknown = faults.unexpected_error().fault()
        answers = [{"bId": item.get("bId"), "Fault": unknown} for item in items]
        return 200, wire.dumps({"BatchItemResponse": answers, "time": sandbox.time()})

    def parse(body: bytes) -> Any:
        try:
            return wire.loads(body)
        except ValueError as exc:
            raise faults.invalid_json() from exc

    @router.get("/query")
    def query_get(books: Ledger, query: str = "") -> QboJSONResponse:
        return QboJSONResponse({"QueryResponse": books.query(query), "time": sandbox.time()})

    @router.post("/query")
    def query_post(books: Ledger, body: RawBody, query: str = "") -> QboJSONResponse:
        text = query or body.decode("utf-8", errors="replace")
        return QboJSONResponse({"QueryResponse": books.query(text), "time": sandbox.time()})

    @router.post("/batch")
    def batch(
        realm_id: str,
        books: Ledger,
        body: RawBody,
        requestid: str | None = None,
        include: str = "",
    ) -> Response:
        def work() -> dict[str, Any]:
            payload = parse(body)
            items = payload.get("BatchItemRequest") if isinstance(payload, dict) else None
            if not isinstance(items, list):
                raise faults.required("BatchItemRequest")
            if len(items) > BATCH_MAX:
                raise faults.batch_too_large(len(items), BATCH_MAX)
            return {"BatchItemResponse": [_batch_item(books, item, include) for item in items]}

        return answer(realm_id, requestid, work, items_unknown if sandbox.config.replayed_batch_items_unknown else None)

    @router.get("/{segment}/{entity_id}")
    def read(segment: str, entity_id: str, books: Ledger) -> QboJSONResponse:
        entity = entity_name(segment)
        if entity is None:
            raise faults.unsupported_operation(f"Read {segment}")
        return QboJSONResponse({entity: books.read(entity, entity_id), "time": sandbox.time()})

    @router.post("/{segment}")
    def write(
        realm_id: str,
        segment: str,
        books: Ledger,
        body: RawBody,
        requestid: str | None = None,
        include: str = "",
        operation: str = "",
    ) -> Response:
        entity = entity_name(segment)
        if entity is None:
            raise faults.unsupported_operation(f"Create {segment}")
        if operation not in ("", "create", "update", "void", "delete"):
            raise faults.unsupported_operation(f"{operation} {entity}")
        includes = include.lower()
        # An invoice is voided with operation=void, a payment with operation=update&include=void.
        voids_payment = (operation, entity) == ("update", "Payment") and VOID in includes.split(",")
        voids = voids_payment or (operation, entity) == ("void", "Invoice")
        if operation == "void" and not voids:
            raise faults.unsupported_operation(f"{operation} {entity}")

        def work() -> dict[str, Any]:
            if voids:
                return {entity: books.void(entity, parse(body))}
            if operation == "delete":
                return {entity: books.remove(entity, parse(body))}
            saved = books.write(
                entity,
                parse(body),
                update=operation == "update",
                allow_duplicate_doc_number=ALLOW_DUPLICATE_DOC_NUMBER in includes,
            )
            return {entity: saved}

        return answer(realm_id, requestid, work)

    return router


def _batch_item(books: Company, item: object, include: str) -> dict[str, Any]:
    """One BatchItemResponse: the entity, a QueryResponse, or this item's own Fault."""
    bid = item.get("bId") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict):
            raise faults.invalid_json()
        if "Query" in item:
            return {"bId": bid, "QueryResponse": books.query(str(item["Query"]))}
        names = [(key, entity_name(key)) for key in item if key not in ("bId", "operation", "optionsData")]
        key, entity = next(((k, e) for k, e in names if e is not None), ("", None))
        if entity is None:
            raise faults.required("BatchItemRequest entity")
        operation = item.get("operation")
        if operation not in ("create", "update"):
            raise faults.unsupported_operation(f"{operation} {entity}")
        options = f"{include} {item.get('optionsData') or ''}".lower()
        saved = books.write(
            entity,
            item[key],
            update=operation == "update",
            allow_duplicate_doc_number=ALLOW_DUPLICATE_DOC_NUMBER in options,
        )
        return {"bId": bid, entity: saved}
    except faults.QboFault as fault:
        return {"bId": bid, "Fault": fault.fault()}
