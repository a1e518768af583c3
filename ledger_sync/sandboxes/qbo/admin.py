"""Sandbox-only controls under `/_sandbox/` (no auth; loopback use by tests and the demo).

Read the request log, list a company's entities, create one (as a bookkeeper adds a currency), change or delete an
entity "behind the client's back" (as a user
in the QBO UI would, e.g. archive a TaxCode), and move the sandbox clock forward.
"""

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException

from ledger_sync.sandboxes.qbo.company import entity_name
from ledger_sync.sandboxes.qbo.context import Sandbox
from ledger_sync.sandboxes.qbo.wire import QboJSONResponse, qbo_time


def admin_router(sandbox: Sandbox) -> APIRouter:
    router = APIRouter(prefix="/_sandbox")

    def known(entity: str) -> str:
        name = entity_name(entity)
        if name is None:
            raise HTTPException(404, f"unknown entity {entity}")
        return name

    @router.get("/requests")
    def requests(since: int = 0) -> list[dict[str, Any]]:
        return sandbox.store.requests_since(since)

    @router.get("/realms/{realm_id}/{entity}")
    def entities(realm_id: str, entity: str) -> QboJSONResponse:
        return QboJSONResponse(sandbox.company(realm_id).all(known(entity)))

    @router.post("/realms/{realm_id}/{entity}")
    def create(realm_id: str, entity: str, body: Annotated[dict[str, Any], Body()]) -> QboJSONResponse:
        """Create an entity as a user in the QBO UI would (add a currency to the list), QBO's rules applying."""
        name = known(entity)
        return QboJSONResponse({name: sandbox.company(realm_id).write(name, body)})

    @router.patch("/realms/{realm_id}/{entity}/{entity_id}")
    def patch(realm_id: str, entity: str, entity_id: str, fields: Annotated[dict[str, Any], Body()]) -> QboJSONResponse:
        name = known(entity)
        return QboJSONResponse({name: sandbox.company(realm_id).patch(name, entity_id, fields)})

    @router.delete("/realms/{realm_id}/{entity}/{entity_id}")
    def delete(realm_id: str, entity: str, entity_id: str) -> dict[str, str]:
        sandbox.company(realm_id).delete(known(entity), entity_id)
        return {"deleted": entity_id}

    @router.post("/clock/advance")
    def advance(seconds: Annotated[float, Body(embed=True)]) -> dict[str, str]:
        sandbox.clock.advance(timedelta(seconds=seconds))
        return {"now": qbo_time(sandbox.clock.now())}

    return router
