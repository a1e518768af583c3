"""Everything a route needs, built once per app and reached through `request.app.state.sandbox`."""

from dataclasses import dataclass

from fastapi import Request

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig
from ledger_sync.sandboxes.xero.limits import Limits
from ledger_sync.sandboxes.xero.store import Store
from ledger_sync.sandboxes.xero.tenants import Tenants
from ledger_sync.sandboxes.xero.tokens import TokenService


@dataclass
class Sandbox:
    config: XeroSandboxConfig
    clock: ScaledClock
    store: Store
    tokens: TokenService
    tenants: Tenants
    limits: Limits


def sandbox(request: Request) -> Sandbox:
    return request.app.state.sandbox
