"""OAuth tokens as the layers share them: connectors obtain and use them, the state store keeps them.

A provider hands connectors a valid access token and refreshes on demand; the provider (in
`ledger_sync.state.tokens`) owns persistence, encryption and the one-refresh-at-a-time lock, connectors
only ask. `TokenSet.__repr__` hides the secrets so they never reach a log.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    access_expires_at: datetime
    refresh_expires_at: datetime | None = None
    """When the refresh token dies (QBO: rolling 100 days, capped by the 5-year hard expiry)."""


class AuthRejected(Exception):
    """The authorization server refused the grant (`invalid_grant` and kin): the user must reconnect."""


class TokenProvider(Protocol):
    def access_token(self) -> str:
        """A currently valid access token, refreshed first if it is about to expire."""
        ...

    def refreshed_access_token(self, rejected: str) -> str:
        """Called after the API answered 401 to `rejected`: refresh (unless another worker did) and return."""
        ...
