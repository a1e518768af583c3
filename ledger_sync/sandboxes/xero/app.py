"""The Xero sandbox app: identity and accounting on one server, state in SQLite, a scalable clock."""

from fastapi import FastAPI

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.faults import install_faults
from ledger_sync.sandboxes.xero import accounting, admin, identity
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.sandboxes.xero.context import Sandbox
from ledger_sync.sandboxes.xero.fault_hooks import xero_vendor_faults
from ledger_sync.sandboxes.xero.guard import guard_accounting, log_requests
from ledger_sync.sandboxes.xero.limits import Limits
from ledger_sync.sandboxes.xero.store import Store
from ledger_sync.sandboxes.xero.tenants import Tenants
from ledger_sync.sandboxes.xero.tokens import TokenService


def create_app(config: XeroSandboxConfig) -> FastAPI:
    clock = ScaledClock(scale=config.time_scale)
    store = Store(config.db_path)
    tenants = Tenants(store, clock)
    tenants.ensure(config.tenants)
    app = FastAPI(title="Xero sandbox", docs_url=None, redoc_url=None)
    app.state.clock = clock
    app.state.sandbox = sandbox = Sandbox(
        config=config,
        clock=clock,
        store=store,
        tokens=TokenService(store, clock, config),
        tenants=tenants,
        limits=Limits(clock, config),
    )
    app.middleware("http")(guard_accounting)
    app.middleware("http")(log_requests)
    app.include_router(identity.router)
    app.include_router(accounting.router)
    app.include_router(admin.router)
    install_faults(app, config.faults, xero_vendor_faults(sandbox))
    return app
