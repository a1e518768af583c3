"""Organisations and the app's connections to them (what `GET /connections` lists)."""

import uuid
from datetime import UTC, datetime
from typing import Any

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.xero import wire
from ledger_sync.sandboxes.xero.seed import seed_organisation
from ledger_sync.sandboxes.xero.store import Store

_ORG_NAMES = ["Maple Field Services", "Prairie Repairs", "Harbour Home Care", "Northern Installs"]


def _utc(seconds: float) -> str:
    """Connections use ISO timestamps with 7 fractional digits and no zone, like `2020-03-18T21:20:07.7179250`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


class Tenants:
    def __init__(self, store: Store, clock: ScaledClock) -> None:
        self._store = store
        self._clock = clock

    def ensure(self, count: int) -> None:
        """Create organisations until there are `count` of them, each with a new org's chart and tax rates."""
        with self._store.transaction():
            existing = len(self._store.execute("SELECT id FROM tenants"))
            for index in range(existing, count):
                tenant = str(uuid.uuid4())
                name = f"{_ORG_NAMES[index % len(_ORG_NAMES)]} ({index + 1})"
                self._store.execute(
                    "INSERT INTO tenants (id, name, created) VALUES (?, ?, ?)", (tenant, name, self._clock.seconds())
                )
                seed_organisation(self._store, tenant, wire.ms_date(self._clock.now()))

    def organisations(self) -> list[dict[str, str]]:
        return [dict(row) for row in self._store.execute("SELECT id, name FROM tenants ORDER BY created, name")]

    def exists(self, tenant: str) -> bool:
        return self._store.one("SELECT 1 FROM tenants WHERE id = ?", (tenant,)) is not None

    def connect(self, tenant_ids: list[str], auth_event_id: str) -> None:
        """Connect (or re-connect, keeping the connection id) the chosen organisations."""
        now = self._clock.seconds()
        with self._store.transaction():
            for tenant in tenant_ids:
                self._store.execute(
                    "INSERT INTO connections (id, tenant_id, auth_event_id, created, updated) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (tenant_id) DO UPDATE SET "
                    "auth_event_id = excluded.auth_event_id, updated = excluded.updated",
                    (str(uuid.uuid4()), tenant, auth_event_id, now, now),
                )

    def connections(self, auth_event_id: str | None = None) -> list[dict[str, Any]]:
        rows = self._store.execute(
            "SELECT c.*, t.name FROM connections c JOIN tenants t ON t.id = c.tenant_id ORDER BY c.created, t.name"
        )
        return [
            {
                "id": row["id"],
                "authEventId": row["auth_event_id"],
                "tenantId": row["tenant_id"],
                "tenantType": "ORGANISATION",
                "tenantName": row["name"],
                "createdDateUtc": _utc(row["created"]),
                "updatedDateUtc": _utc(row["updated"]),
            }
            for row in rows
            if auth_event_id is None or row["auth_event_id"] == auth_event_id
        ]

    def is_connected(self, tenant: str) -> bool:
        return self._store.one("SELECT 1 FROM connections WHERE tenant_id = ?", (tenant,)) is not None

    def disconnect(self, connection_id: str) -> bool:
        with self._store.transaction():
            found = self._store.one("SELECT 1 FROM connections WHERE id = ?", (connection_id,)) is not None
            self._store.execute("DELETE FROM connections WHERE id = ?", (connection_id,))
            return found
