"""What the QBO and Xero connector suites share: a token provider that records refreshes, a harness that
runs a connector over MockTransport with every request and every sleep recorded, and a full customer."""

from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx

from ledger_sync.core.ledger import LedgerConnector
from ledger_sync.core.records import Address, CustomerRecord

ACCESS_TOKEN = "access-SECRET-1111"
REFRESHED_TOKEN = "access-SECRET-2222"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeTokens:
    """A TokenProvider that hands out ACCESS_TOKEN, then REFRESHED_TOKEN after a refresh."""

    def __init__(self) -> None:
        self.current = ACCESS_TOKEN
        self.rejected: list[str] = []

    def access_token(self) -> str:
        return self.current

    def refreshed_access_token(self, rejected: str) -> str:
        self.rejected.append(rejected)
        self.current = REFRESHED_TOKEN
        return self.current


class RecordingHarness:
    """An httpx client over `handler` recording every request; a subclass builds `connector` on `http`."""

    connector: LedgerConnector

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.tokens = FakeTokens()

        def recording(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        self.http = httpx.Client(transport=httpx.MockTransport(recording))

    def close(self) -> None:
        self.connector.close()
        self.http.close()


HarnessT = TypeVar("HarnessT", bound=RecordingHarness)


def closing_harnesses(make: Callable[..., HarnessT]) -> Iterator[Callable[..., HarnessT]]:
    """The body of a `harness_for` fixture: builds harnesses on demand and closes them all afterwards."""
    made: list[HarnessT] = []

    def build(handler: Handler, **config: object) -> HarnessT:
        harness = make(handler, **config)
        made.append(harness)
        return harness

    yield build
    for harness in made:
        harness.close()


def full_customer(source_id: int, name: str, *, address: Address) -> CustomerRecord:
    """A customer with every optional field set; `address` is local to the ledger's sandbox region."""
    return CustomerRecord(
        source_id=source_id, display_name=name, email="ap@acme.test", phone="+1 555 0100", address=address
    )
