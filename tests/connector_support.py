"""What the QBO and Xero connector suites share: a token provider that records refreshes, a harness that
runs a connector over MockTransport with every request and every sleep recorded, a full customer and a
discounted invoice."""

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

import httpx

from ledger_sync.core.ledger import LedgerConnector, LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.records import Address, CustomerRecord, InvoiceRecord
from ledger_sync.core.snapshots import SourceInvoice, SourceLine
from ledger_sync.core.transform import invoice_record

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
    """An httpx client over `handler` recording every request, and a fake clock recording every sleep;
    a subclass builds `connector` on `http`, `sleep` and `monotonic`."""

    connector: LedgerConnector

    def __init__(self, handler: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self.now = 1000.0
        self.tokens = FakeTokens()

        def recording(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return handler(request)

        self.http = httpx.Client(transport=httpx.MockTransport(recording))

    def sleep(self, seconds: float) -> None:
        """Time passes only when the connector sleeps."""
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now

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


def discounted_record(
    taxed: LedgerTaxRate,
    other: LedgerTaxRate,
    source_id: int,
    *,
    customer_ref: str,
    item_ref: str,
    discount_account: str,
    currency: str = "CAD",
) -> InvoiceRecord:
    """Built by the sync's own transform: at `taxed` 2 x 95.00 and a returned one at 20.00 (quantity -1); at
    `other` a 15.00 trade-in (unit price -15.00) and 1.5 x 33.33; then 10 % off each rate's subtotal."""
    rates = {n: SourceTaxRate(n, rate.name, rate.rate_percent, True) for n, rate in ((1, taxed), (2, other))}
    specs = (("2", "95.00", 1), ("-1", "20.00", 1), ("1", "-15.00", 2), ("1.5", "33.33", 2))
    lines = tuple(SourceLine(7, 1, f"line {n}", Decimal(q), Decimal(p), r, False) for n, (q, p, r) in enumerate(specs))
    snapshot = SourceInvoice(
        source_id, f"DSC-{source_id}", 4, date(2026, 3, 1), date(2026, 3, 31), currency, "locked",
        datetime(2026, 3, 1, tzinfo=UTC), lines, discount_percent=Decimal("10"),
    )  # fmt: skip
    return invoice_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={7: item_ref},
        tax_rates=rates,
        mapping=LedgerMapping(
            accounts={AccountRole.SALES_INCOME: discount_account}, tax_rates={1: taxed.id, 2: other.id}
        ),
        ledger_tax_rates={taxed.id: taxed, other.id: other},
    )
