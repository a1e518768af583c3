"""A whole local stack for end-to-end tests: Service Opus data, a ledger sandbox, a connection, a mapping."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.demo import connect_with_auto_consent, ledger_api_paths, sandbox_for
from ledger_sync.onboarding import apply_suggested_mapping
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore
from tests.ledgers import SandboxCompany, facts, sandbox_ledgers

TIME_SCALE = 10.0
"""Sandbox seconds per real second in tests whose subject is not the vendors' clock: a rate-limit minute (and
QBO's wait after a 429) passes in 6 s, and the connector is told so (`connector_env`), so a test that makes
more than 40 QBO batch calls waits seconds, not a minute, on the same limits. Token lifetimes shrink alike."""


@dataclass(frozen=True)
class LedgerSetup:
    """A ledger and the kind of company its sandbox creates: the matrix the end-to-end suites run."""

    ledger: str
    company: SandboxCompany

    @property
    def id(self) -> str:
        return self.company.id


LEDGER_SETUPS = tuple(
    LedgerSetup(ledger, company)
    for ledger in sandbox_ledgers()
    for company in facts(ledger).companies or (SandboxCompany(ledger),)
)


def ledger_setup_params() -> list[object]:
    """LEDGER_SETUPS as pytest params: each ledger's first company runs in every tier; its further companies
    (the rest of its tax-model matrix) carry the `matrix` mark, which `make check` leaves to `make test`."""
    seen: set[str] = set()
    params: list[object] = []
    for setup in LEDGER_SETUPS:
        marks = [pytest.mark.matrix] if setup.ledger in seen else []
        seen.add(setup.ledger)
        params.append(pytest.param(setup, id=setup.id, marks=marks))
    return params


@dataclass
class Stack:
    home: Path
    ledger: str
    base_url: str
    settings: Settings
    store: StateStore
    company_id: int
    tenant_id: str

    def ledger_entities(self, entity: str) -> list[dict[str, object]]:
        """Everything of one entity ("Invoice" in QBO, "Invoices" in Xero) in the sandbox, via its admin API."""
        owner = facts(self.ledger).shape.owner
        body = httpx.get(f"{self.base_url}/_sandbox/{owner}/{self.tenant_id}/{entity}", timeout=30).json()
        return body[entity] if isinstance(body, dict) else body

    def payouts_held(self) -> list[tuple[str, Decimal]]:
        """(our stamp, net) of each card payout in the ledger: QBO a Deposit, Xero a transfer's receiving side."""
        if self.ledger == "qbo":
            return [
                (str(d["PrivateNote"]).split()[0], Decimal(str(d["TotalAmt"])))
                for d in self.ledger_entities("Deposit")
                if str(d.get("PrivateNote") or "").startswith("SO-O")
            ]
        return [
            (str(t["Reference"]), Decimal(str(t["Total"])))
            for t in self.ledger_entities("BankTransactions")
            if t.get("Type") == "RECEIVE-TRANSFER"
        ]

    def _requests(self, since: int = 0) -> list[dict[str, object]]:
        body = httpx.get(f"{self.base_url}/_sandbox/requests", params={"since": since}, timeout=30).json()
        return body["requests"] if isinstance(body, dict) else body

    def writes_since(self, request_id: int) -> list[dict[str, object]]:
        """Ledger writes (a token refresh is an HTTP write, not a ledger one)."""
        return [e for e in self._requests(request_id) if e["write"] and str(e["path"]).startswith(ledger_api_paths())]

    def last_request_id(self) -> int:
        return max((int(e["id"]) for e in self._requests()), default=0)  # type: ignore[call-overload]

    def parked(self) -> dict[tuple[str, int], str]:
        connection = self.store.connection(self.company_id, self.ledger)
        assert connection is not None
        return {(kind, source_id): reason for kind, source_id, reason in self.store.parked_list(connection.id)}


@contextmanager
def open_stack(
    home: Path, populate: Callable[[Engine], None], ledger: str = "qbo", company: SandboxCompany | None = None
) -> Iterator[Stack]:
    """Populate the source, start the ledger sandbox, connect through its OAuth flow, apply the suggested mapping."""
    engine = make_engine(f"sqlite:///{home / 'service_opus.db'}")
    populate(engine)
    engine.dispose()
    with (
        sandbox_for(ledger, home, TIME_SCALE, company.settings if company else None) as (base_url, endpoints, _),
        pytest.MonkeyPatch.context() as env,
    ):
        for key, value in {
            "LEDGER_SYNC_HOME": str(home),
            "LEDGER_SYNC_DEMO_MODE": "true",
            **endpoints,
        }.items():
            env.setenv(key, value)
        settings = Settings()
        store = StateStore.open(settings)
        try:
            connect_with_auto_consent(settings, store, 1, ledger)
            apply_suggested_mapping(settings, store, 1, ledger)
            connection = store.connection(1, ledger)
            assert connection is not None
            yield Stack(home, ledger, base_url, settings, store, 1, connection.tenant_id)
        finally:
            store.close()


@contextmanager
def small_company_stack(setup: LedgerSetup, home: Path) -> Iterator[Stack]:
    """`open_stack` on the setup's ledger and company with 12 seeded invoices (seed 5): the small e2e modules'
    books."""

    def seeded(engine: Engine) -> None:
        seed(engine, invoices=12, seed=5, country=setup.company.country)

    with open_stack(home, seeded, setup.ledger, setup.company) as opened:
        yield opened


def unpaid_locked_invoices(session: Session, count: int) -> list[Invoice]:
    """The first `count` locked invoices no payment names, in id order."""
    paid = select(Payment.invoice_id).where(Payment.invoice_id.is_not(None))
    query = select(Invoice).where(Invoice.status == InvoiceStatus.LOCKED, Invoice.id.not_in(paid))
    return list(session.scalars(query.order_by(Invoice.id).limit(count)))
