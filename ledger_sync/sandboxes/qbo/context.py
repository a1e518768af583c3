"""The parts of one running sandbox, shared by its routers."""

from dataclasses import dataclass

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo.company import Company
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.qbo.store import Store
from ledger_sync.sandboxes.qbo.throttle import Throttle
from ledger_sync.sandboxes.qbo.tokens import TokenService
from ledger_sync.sandboxes.qbo.wire import qbo_time


@dataclass(frozen=True)
class Sandbox:
    config: QboSandboxConfig
    clock: ScaledClock
    store: Store
    tokens: TokenService
    throttle: Throttle

    def company(self, realm_id: str) -> Company:
        return Company(self.store, realm_id, self.clock, keeps_total_tax_override=self.config.keeps_total_tax_override)

    def time(self) -> str:
        """The `time` every QBO response carries."""
        return qbo_time(self.clock.now())
