"""Xero's voice for the shared fault injector (`sandboxes.faults`): its outage and throttle answers, what a write
is, how a grant dies, and how a contact changes behind the client's back (Xero has no SyncToken)."""

import random
import uuid
from collections.abc import Mapping

from fastapi.responses import Response

from ledger_sync.sandboxes.faults import VendorFaults
from ledger_sync.sandboxes.xero.books import Books
from ledger_sync.sandboxes.xero.context import Sandbox
from ledger_sync.sandboxes.xero.guard import API_PREFIX
from ledger_sync.sandboxes.xero.responses import problem, xero_json

TOKEN_PATH = "/connect/token"
WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})
OUTAGE_DETAIL = (
    "An error occurred in Xero. Check the API Status page http://status.developer.xero.com for current service status."
)
EDITED_WEBSITE = "https://edited-in-xero.example"


def xero_vendor_faults(box: Sandbox) -> VendorFaults:
    def server_error(rng: random.Random) -> Response:
        if rng.random() < 0.5:
            body = {"Title": "An error occurred", "Status": 500, "Detail": OUTAGE_DETAIL, "Instance": str(uuid.uuid4())}
            return xero_json(body, 500)
        return Response("Service Unavailable", status_code=503, media_type="text/plain")

    def throttled(retry_after: int) -> Response:
        headers = {"Retry-After": str(retry_after), "X-Rate-Limit-Problem": "minute", "X-MinLimit-Remaining": "0"}
        return problem(429, "Rate limit exceeded", headers)

    def touch(_: str, headers: Mapping[str, str], rng: random.Random) -> str | None:
        """A user edits a contact in Xero's UI (its website), which the sync never sent."""
        books = Books(box.store, box.clock, headers.get("xero-tenant-id", ""))
        contacts = books.all("Contacts")
        if not contacts:
            return None
        contact = rng.choice(contacts)
        books.save("Contacts", {**contact, "Website": EDITED_WEBSITE})
        return f"Contact {contact['ContactID']} website edited"

    return VendorFaults(
        api_prefixes=(API_PREFIX,),
        token_path=TOKEN_PATH,
        is_write=lambda method, _: method in WRITES,
        server_error=server_error,
        throttled=throttled,
        revoke=box.tokens.revoke,
        touch=touch,
    )
