"""The Xero sandbox as the `xero` ledger plug-in's sandbox."""

from starlette.types import ASGIApp

from ledger_sync.sandboxes.endpoints import xero_sandbox_env
from ledger_sync.sandboxes.plugin import SandboxOptions, SandboxPlugin
from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig


def _app(options: SandboxOptions) -> ASGIApp:
    return create_app(XeroSandboxConfig(**options.overrides()))  # type: ignore[arg-type]


SANDBOX = SandboxPlugin(
    description="Serve the local Xero sandbox (identity with PKCE, /connections and the accounting API).",
    default_port=8766,
    api_prefix="/api.xro/",
    create_app=_app,
    connector_env=xero_sandbox_env,
)
