"""Reconciliation results as JSON files under the settings home, one per run, newest read back for the page.

`<home>/reconciliations/company-<id>-<ledger>-<UTC timestamp>.json`: plain files, so finance can keep them
and the settings page can show the last result without running anything.
"""

import json
from pathlib import Path
from typing import Any

from ledger_sync.core.reconciliation import Reconciliation
from ledger_sync.settings import Settings

RECONCILE_DEPLOYMENT = "reconcile-company/reconcile"
"""prefect.yaml's deployment of one company's reconciliation (started daily, and by the settings page)."""


def _folder(settings: Settings) -> Path:
    return settings.home / "reconciliations"


def save_reconciliation(settings: Settings, result: Reconciliation) -> Path:
    folder = _folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = result.checked_at.strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"company-{result.company_id}-{result.ledger}-{stamp}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result.as_json(), indent=2))
    temporary.replace(path)  # never a half-written file for the page to read
    return path


def last_reconciliation(settings: Settings, company_id: int, ledger: str) -> dict[str, Any] | None:
    """The newest stored result for this company and ledger (the names sort by time), or None."""
    files = sorted(_folder(settings).glob(f"company-{company_id}-{ledger}-*.json"))
    return json.loads(files[-1].read_text()) if files else None
