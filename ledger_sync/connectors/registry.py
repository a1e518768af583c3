"""Ledgers as plug-ins: each ledger package declares what it can do and how to build its clients, and
registers itself here; everything that used to branch on a ledger's name asks this registry instead.

A plug-in registers itself when its package is imported. The built-in ones are the packages in
`BUILTIN_PLUGINS`; an installed distribution adds one through the `ledger_sync.ledgers` entry point
group (the entry point names the module that calls `register`).
"""

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.records import EntityType
from ledger_sync.core.tokens import TokenProvider, TokenSet
from ledger_sync.settings import Settings

BUILTIN_PLUGINS = ("ledger_sync.connectors.qbo", "ledger_sync.connectors.xero")
ENTRY_POINT_GROUP = "ledger_sync.ledgers"


class LedgerOAuth(Protocol):
    """One ledger's OAuth 2 client as onboarding and the token store use it; close it after use."""

    def authorization_url(self, state: str, code_verifier: str | None) -> str:
        """The consent URL; `code_verifier` is set exactly when the plug-in declares `pkce`."""
        ...

    def exchange_code(self, code: str, code_verifier: str | None) -> TokenSet: ...

    def tenants(self, tokens: TokenSet, realm_id: str | None) -> list[tuple[str, str]]:
        """(tenant id, name) of what a fresh grant reaches; `realm_id` is what the redirect carried, if any."""
        ...

    def refresh(self, refresh_token: str) -> TokenSet: ...

    def revoke(self, refresh_token: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LedgerPlugin:
    """A ledger's capabilities and factories. Settings come from `Settings` (LEDGER_SYNC_<LEDGER>_*)."""

    name: str
    """The key stored with each connection and passed as `--ledger`, e.g. "qbo"."""
    label: str
    """The name a bookkeeper knows, e.g. "QuickBooks Online"."""
    badge: str
    """The short mark on the settings page's logo, e.g. "qb"."""
    tenant_noun: str
    """What the ledger calls one set of books: "Company" (a QBO realm), "Organisation" (a Xero tenant)."""
    max_batch_size: int
    limits: LedgerLimits
    record_kinds: frozenset[EntityType]
    pkce: bool
    """The authorization code can only be exchanged with the PKCE code verifier of its consent URL."""
    multiple_tenants: bool
    """One grant can reach several organisations, so the admin picks one."""
    open_oauth: Callable[[Settings], LedgerOAuth]
    open_connector: Callable[[Settings, str, TokenProvider], LedgerConnector]
    """(settings, tenant id, token provider) -> the connector a sync writes through."""
    sandbox: str | None = None
    """Module path of the ledger's local sandbox plug-in (`ledger_sync.sandboxes.plugin.SandboxPlugin`),
    named as a string so connectors never import sandboxes."""
    unused_expiry_days: int | None = None
    """The refresh token dies after this many days without a refresh (None: it has a fixed expiry)."""


class UnknownLedger(ValueError):
    def __init__(self, ledger: str) -> None:
        super().__init__(f"unknown ledger {ledger!r}; expected one of {', '.join(names())}")


_plugins: dict[str, LedgerPlugin] = {}
_discovered = False


def register(plugin: LedgerPlugin) -> LedgerPlugin:
    """Make `plugin` known under its name; registering the same plug-in again changes nothing."""
    if (plugin.limits.ledger, plugin.limits.label) != (plugin.name, plugin.label):
        raise ValueError(f"ledger {plugin.name!r} declares limits for {plugin.limits.ledger!r}")
    known = _plugins.get(plugin.name)
    if known is not None and known != plugin:
        raise ValueError(f"ledger {plugin.name!r} is already registered by another plug-in")
    _plugins[plugin.name] = plugin
    return plugin


@contextmanager
def registered(plugin: LedgerPlugin) -> Iterator[LedgerPlugin]:
    """`plugin` registered for the block only: a throwaway ledger (a test's) leaves no trace."""
    _discover()
    if plugin.name in _plugins:
        raise ValueError(f"ledger {plugin.name!r} is already registered")
    register(plugin)
    try:
        yield plugin
    finally:
        del _plugins[plugin.name]


def _discover() -> None:
    """Import the built-in plug-in packages and the entry points once; each registers itself."""
    global _discovered
    if _discovered:
        return
    _discovered = True  # first, so a plug-in asking the registry while it is imported does not recurse
    try:
        for module in BUILTIN_PLUGINS:
            importlib.import_module(module)
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            entry_point.load()
    except BaseException:
        _discovered = False  # a broken plug-in fails every lookup, not just the first
        raise


def get(name: str) -> LedgerPlugin:
    _discover()
    try:
        return _plugins[name]
    except KeyError:
        raise UnknownLedger(name) from None


def names() -> tuple[str, ...]:
    """Every registered ledger, in registration order (the built-ins first)."""
    _discover()
    return tuple(_plugins)


def ledger_label(ledger: str) -> str:
    """The ledger's name as a bookkeeper knows it ("qbo" -> "QuickBooks Online"); unknown ones as given."""
    _discover()
    plugin = _plugins.get(ledger)
    return plugin.label if plugin else ledger


def known_ledger(ledger: str) -> str:
    """`ledger` itself when a plug-in serves it, else `UnknownLedger` (a ValueError, for validators)."""
    return get(ledger).name


class _LedgerChoices:
    """Lists the registered ledgers as the JSON schema's `enum`, so the Prefect UI offers a dropdown."""

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema: dict[str, Any] = handler(schema)
        json_schema["enum"] = list(names())
        return json_schema


LedgerName = Annotated[str, AfterValidator(known_ledger), _LedgerChoices()]
"""A flow parameter naming a registered ledger: validated against the registry, a dropdown in the UI."""
