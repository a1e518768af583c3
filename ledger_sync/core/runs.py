"""What a sync run is and how it ended: the kinds, the outcomes and the summary every layer passes on.

Flows start runs of a kind, tasks decide the outcome and build the summary, the state store keeps both,
and the command line, `status` and Prefect artifacts show them.
"""

from enum import StrEnum
from typing import TypedDict

COMPANY_SYNC_DEPLOYMENT = "company-sync/company-sync"
"""flow name / deployment name of one company's sync, as prefect.yaml deploys it (hourly and Sync now start it)."""


class RunKind(StrEnum):
    """Which deployment started the run."""

    SYNC = "sync"
    """`ledger-sync sync`, the demo, or the sync-company flow."""
    HOURLY = "hourly"
    LIVE = "live"
    BACKFILL = "backfill"


class RunOutcome(StrEnum):
    RUNNING = "running"
    """Started, not finished yet (or its process died before recording an end)."""
    COMPLETED = "completed"
    COMPLETED_WITH_PENDING = "completed_with_pending"
    """Completed, but some writes have an unknown outcome: the next run settles them."""
    DRY_RUN = "dry_run"
    STOPPED_AT_GATE = "stopped_at_gate"
    """A run-level gate failed: nothing was written."""
    NEEDS_RECONNECT = "needs_reconnect"
    FAILED = "failed"
    OFF = "off"
    """No run: the connection's automatic sync toggles leave nothing of what was asked."""


class ScopeSummary(TypedDict):
    since: str | None
    """ISO date, for ranged runs."""
    until: str | None
    entity_types: list[str]
    dry_run: bool


class RunSummary(TypedDict):
    """A finished run, as the state store keeps it (JSON) and a flow returns it."""

    run_id: int
    company_id: int
    ledger: str
    outcome: RunOutcome
    scope: ScopeSummary
    entities: dict[str, dict[str, int]]
    """entity type -> counter ("created", "parked", ...) -> records."""
    api_calls: int
    gates: dict[str, bool]
    gate_failures: list[str]
    report: str | None
    """The Data Docs page of the run's gates."""


class FailedRunSummary(TypedDict):
    """A run that died: what the state store keeps so `status` never shows it running forever."""

    outcome: RunOutcome
    error: str


class SkippedSync(TypedDict):
    """An automatic sync that started no run (outcome `off`)."""

    company_id: int
    ledger: str
    outcome: RunOutcome
    entity_types: list[str]
