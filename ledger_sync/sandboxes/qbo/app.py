"""The QBO sandbox app: OAuth, the Accounting API and the sandbox controls on one server."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from starlette.responses import Response

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.faults import install_faults
from ledger_sync.sandboxes.qbo import faults
from ledger_sync.sandboxes.qbo.admin import admin_router
from ledger_sync.sandboxes.qbo.api import accounting_router
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.qbo.context import Sandbox
from ledger_sync.sandboxes.qbo.fault_hooks import qbo_vendor_faults
from ledger_sync.sandboxes.qbo.oauth import oauth_router
from ledger_sync.sandboxes.qbo.requestlog import RequestLogMiddleware
from ledger_sync.sandboxes.qbo.store import Store
from ledger_sync.sandboxes.qbo.throttle import Throttle
from ledger_sync.sandboxes.qbo.tokens import TokenService
from ledger_sync.sandboxes.qbo.wire import QboJSONResponse


def create_app(config: QboSandboxConfig) -> FastAPI:
    clock = ScaledClock(scale=config.time_scale)
    store = Store(config.db_path)
    sandbox = Sandbox(config, clock, store, TokenService(config, store, clock), Throttle(config, clock))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(title="QuickBooks Online sandbox", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.clock = clock
    app.state.sandbox = sandbox
    app.include_router(oauth_router(sandbox))
    app.include_router(accounting_router(sandbox))
    app.include_router(admin_router(sandbox))

    async def fault_response(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, faults.QboFault)
        return QboJSONResponse(faults.envelope(exc, sandbox.time()), status_code=exc.status, headers=exc.headers)

    app.add_exception_handler(faults.QboFault, fault_response)
    app.add_middleware(RequestLogMiddleware, store=store, clock=clock)
    install_faults(app, config.faults, qbo_vendor_faults(sandbox))
    return app
