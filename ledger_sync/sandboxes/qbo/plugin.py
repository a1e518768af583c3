"""The QBO sandbox as the `qbo` ledger plug-in's sandbox."""

from starlette.types import ASGIApp

from ledger_sync.sandboxes.endpoints import qbo_sandbox_env
from ledger_sync.sandboxes.plugin import SandboxOptions, SandboxPlugin
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig


def _app(options: SandboxOptions) -> ASGIApp:
    return create_app(QboSandboxConfig(**options.overrides()))  # type: ignore[arg-type]


SANDBOX = SandboxPlugin(
    description="Serve the local QuickBooks Online sandbox (OAuth 2 and the v3 accounting API).",
    default_port=8765,
    api_prefix="/v3/",
    create_app=_app,
    connector_env=qbo_sandbox_env,
)
