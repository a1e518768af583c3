"""QBO's voice for the shared fault injector (`sandboxes.faults`): its outage and throttle answers, what a write
is, how a grant dies, and how a record changes behind the client's back (its SyncToken moves on)."""

import random
from collections.abc import Mapping

from starlette.responses import Response

from ledger_sync.sandboxes.faults import VendorFaults
from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.context import Sandbox
from ledger_sync.sandboxes.qbo.requestlog import WRITE_PATH
from ledger_sync.sandboxes.qbo.wire import QboJSONResponse

API_PREFIX = "/v3/company/"
TOKEN_PATH = "/oauth2/v1/tokens/bearer"
GATEWAY_PAGE = "<html><head><title>503 Service Temporarily Unavailable</title></head><body>503</body></html>"
"""What Intuit's gateway answers when the service behind it is down: HTML, not a Fault."""
TOUCHED_ENTITIES = ("Customer", "Invoice")


def qbo_vendor_faults(sandbox: Sandbox) -> VendorFaults:
    def answer(fault: faults.QboFault) -> Response:
        return QboJSONResponse(faults.envelope(fault, sandbox.time()), status_code=fault.status, headers=fault.headers)

    def server_error(rng: random.Random) -> Response:
        if rng.random() < 0.5:
            return answer(faults.system_failure())
        return Response(GATEWAY_PAGE, status_code=503, media_type="text/html")

    def throttled(_: int) -> Response:
        """QBO sends no Retry-After: the client must back off on its own."""
        return answer(faults.throttled())

    def touch(path: str, _: Mapping[str, str], rng: random.Random) -> str | None:
        """A no-op edit, as a user saving the record unchanged in the QBO UI: only the SyncToken moves."""
        realm_id = path.removeprefix(API_PREFIX).split("/", 1)[0]
        company = sandbox.company(realm_id)
        candidates = [(name, body["Id"]) for name in TOUCHED_ENTITIES for body in company.all(name)]
        if not candidates:
            return None
        entity, entity_id = rng.choice(candidates)
        saved = company.patch(entity, entity_id, {})
        return f"{entity} {entity_id} SyncToken now {saved['SyncToken']}"

    return VendorFaults(
        api_prefixes=(API_PREFIX,),
        token_path=TOKEN_PATH,
        is_write=lambda method, path: method == "POST" and WRITE_PATH.match(path) is not None,
        server_error=server_error,
        throttled=throttled,
        revoke=sandbox.tokens.revoke,
        touch=touch,
    )
