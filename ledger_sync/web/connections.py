"""A connection as the admin sees it: connected, needs reconnecting or not connected, and when it will die.

QBO refresh tokens have a hard expiry (stored as `refresh_expires_at`); Xero's die after 60 days
unused (the plug-in's `unused_expiry_days`), and every refresh restarts that period, so the stored
expiry moves on with each sync. Either way the admin is warned two weeks ahead.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ledger_sync.connectors.registry import get, ledger_label
from ledger_sync.state.models import ConnectionStatus
from ledger_sync.state.store import ConnectionInfo

EXPIRY_WARNING = timedelta(days=14)
STATUS_LABELS = {
    ConnectionStatus.CONNECTED: "Connected",
    ConnectionStatus.NEEDS_RECONNECT: "Needs reconnect",
    ConnectionStatus.DISCONNECTED: "Not connected",
}


@dataclass(frozen=True)
class ConnectionView:
    ledger: str
    label: str
    badge: str
    tenant_noun: str
    status: str
    """connected | needs_reconnect | disconnected"""
    status_label: str
    info: ConnectionInfo | None
    warning: str | None

    @property
    def connected(self) -> bool:
        return self.status == ConnectionStatus.CONNECTED


def _expiry_warning(ledger: str, expires: datetime | None, now: datetime) -> str | None:
    if expires is None or expires - now > EXPIRY_WARNING:
        return None
    name = ledger_label(ledger)
    if expires <= now:
        return f"The {name} authorisation expired on {expires:%d %b %Y}. Reconnect {name} to keep syncing."
    days = (expires - now).days
    when = f"on {expires:%d %b %Y} ({'today' if days == 0 else f'in {days} day' + ('s' if days > 1 else '')})"
    unused_days = get(ledger).unused_expiry_days
    if unused_days is not None:
        return (
            f"{name} disconnects apps that go unused for {unused_days} days: this authorisation expires {when} "
            "unless a sync runs before then."
        )
    return f"The {name} authorisation expires {when}. Reconnect {name} before then to keep syncing."


def connection_view(ledger: str, info: ConnectionInfo | None, now: datetime) -> ConnectionView:
    status = ConnectionStatus(info.status) if info else ConnectionStatus.DISCONNECTED
    connected = info is not None and status == ConnectionStatus.CONNECTED
    warning = _expiry_warning(ledger, info.refresh_expires_at, now) if info and connected else None
    if status == ConnectionStatus.NEEDS_RECONNECT:
        cause = (info.status_reason if info else None) or f"{ledger_label(ledger)} refused the stored authorisation."
        warning = f"{cause} Reconnect to resume syncing."
    plugin = get(ledger)
    return ConnectionView(
        ledger, plugin.label, plugin.badge, plugin.tenant_noun, status, STATUS_LABELS[status], info, warning
    )
