"""A ledger's local sandbox as a plug-in: the ledger's plug-in names this module's `SANDBOX` by path
(`LedgerPlugin.sandbox`), and the command line, the demo and `ledger-sync up` start it from here."""

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp


@dataclass(frozen=True)
class SandboxOptions:
    """What the caller chose; None leaves the sandbox's own setting (its <LEDGER>_SANDBOX_* environment)."""

    db_path: Path | None = None
    time_scale: float | None = None
    auto_consent: bool = False
    company: Mapping[str, object] = field(default_factory=dict)
    """The kind of company the sandbox creates on first consent, in its settings' own names (QBO: `country`,
    `automated_sales_tax`, `keeps_total_tax_override`); empty: the sandbox's default company."""

    def overrides(self) -> dict[str, object]:
        """Keyword arguments for the sandbox's settings class."""
        chosen = {"db_path": self.db_path, "time_scale": self.time_scale}
        return {"auto_consent": self.auto_consent, **self.company} | {k: v for k, v in chosen.items() if v is not None}


@dataclass(frozen=True)
class SandboxPlugin:
    description: str
    """One line for `ledger-sync sandbox <ledger> --help`."""
    default_port: int
    api_prefix: str
    """Where it serves the ledger's API: requests there are ledger calls (a token refresh is not)."""
    create_app: Callable[[SandboxOptions], ASGIApp]
    connector_env: Callable[[str, float], dict[str, str]]
    """(base URL, time scale) -> the LEDGER_SYNC_* settings that point the connector at this sandbox."""


def load_sandbox(module: str) -> SandboxPlugin:
    """The `SANDBOX` a ledger plug-in's `sandbox` module path names."""
    sandbox = getattr(importlib.import_module(module), "SANDBOX", None)
    if not isinstance(sandbox, SandboxPlugin):
        raise TypeError(f"{module} defines no SANDBOX = SandboxPlugin(...)")
    return sandbox
