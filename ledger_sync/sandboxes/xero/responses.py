"""Response bodies in Xero's shapes: JSON written with exact decimals, and the RFC 7807-ish auth errors."""

import uuid
from typing import Any

from fastapi.responses import Response

from ledger_sync.sandboxes.xero import wire

JSON = "application/json; charset=utf-8"


def xero_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wire.dumps(body), status_code=status, media_type=JSON, headers=headers)


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    """What Xero answers for a missing/expired token (401) or an unconnected tenant (403)."""
    title = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}[
        status
    ]
    body = {"Title": title, "Status": status, "Detail": detail, "Instance": str(uuid.uuid4())}
    return xero_json({**body, "Extensions": {}}, status, headers)


def oauth_error(error: str, status: int = 400) -> Response:
    return xero_json({"error": error}, status, {"Cache-Control": "no-store"})


def envelope(collection: str, docs: list[Any], moment_ms: str, **extra: Any) -> dict[str, Any]:
    """The wrapper around every accounting answer, as in the recorded `GET /Invoices`."""
    head = {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "Xero Sandbox", "DateTimeUTC": moment_ms}
    return {**head, **extra, collection: docs}


def api_error(number: int, kind: str, message: str, status: int = 400, **extra: Any) -> Response:
    """Xero's API exception body (`ErrorNumber`, `Type`, `Message`), e.g. 10 ValidationException."""
    return xero_json({"ErrorNumber": number, "Type": kind, "Message": message, **extra}, status)
