"""The connector end to end against the local QBO sandbox (real uvicorn on 127.0.0.1), OAuth flow included.

The sandbox stands in for Intuit; these tests check the connector against it, and read the synced
records back with Intuit's community SDK (python-quickbooks) as an independent client.
"""

import dataclasses
import itertools
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from ledger_sync.connectors.qbo import QboConfig, QboConnector, QboOAuth
from ledger_sync.core.ledger import ErrorKind, LedgerAccount, LedgerRef, LedgerTaxRate, WriteOp
from ledger_sync.core.linking import create_new
from ledger_sync.core.money import line_amounts
from ledger_sync.core.records import (
    CustomerRecord,
    EntityType,
    InvoiceLineRecord,
    InvoiceRecord,
    ItemRecord,
    PaymentRecord,
    TaxLineRecord,
)
from ledger_sync.core.sync_state import ParkingCause
from ledger_sync.core.tokens import TokenSet
from ledger_sync.engine.candidates import Push
from ledger_sync.engine.push import LEDGER_RETRY, Tenant, WriteEngine
from ledger_sync.sandboxes.serve import serving
from tests.connector_support import discounted_record
from tests.engine.fakes import Clock, MemoryState
from tests.stack import TIME_SCALE
from tests.waiting import CEILING, wait_for

sandbox_app = pytest.importorskip("ledger_sync.sandboxes.qbo.app", reason="the QBO sandbox app is not built yet")
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig  # noqa: E402

pytestmark = pytest.mark.slow
VERSIONS = itertools.count()
"""Distinct idempotency keys for each write of a record version in these tests."""
REDIRECT_URI = "http://127.0.0.1:8000/integrations/accounting/qbo/callback"


class RefreshingTokens:
    """A minimal TokenProvider over QboOAuth: refresh once per rejected token, keep the latest set."""

    def __init__(self, oauth: QboOAuth, tokens: TokenSet) -> None:
        self._oauth = oauth
        self._lock = threading.Lock()
        self.tokens = tokens
        self.refreshes = 0

    def access_token(self) -> str:
        return self.tokens.access_token

    def refreshed_access_token(self, rejected: str) -> str:
        with self._lock:
            if self.tokens.access_token == rejected:
                self.tokens = self._oauth.refresh(self.tokens.refresh_token)
                self.refreshes += 1
            return self.tokens.access_token


@dataclass
class Connected:
    base_url: str
    realm_id: str
    config: QboConfig
    tokens: RefreshingTokens
    connector: QboConnector
    income: LedgerAccount
    deposit: LedgerAccount
    gst: LedgerTaxRate
    hst: LedgerTaxRate


def qbo_config(base_url: str) -> QboConfig:
    return QboConfig(
        api_base=base_url,
        authorize_url=f"{base_url}/connect/oauth2",
        token_url=f"{base_url}/oauth2/v1/tokens/bearer",
        revoke_url=f"{base_url}/v2/oauth2/tokens/revoke",
        client_id="sandbox-client",
        client_secret=SecretStr("sandbox-secret"),
        redirect_uri=REDIRECT_URI,
        scope="com.intuit.quickbooks.accounting",
        timeout_seconds=CEILING,
        minute_seconds=60 / TIME_SCALE,
        throttle_wait_seconds=60 / TIME_SCALE,
        backoff_base_seconds=0.25,
        backoff_max_seconds=2,
    )


def consent(oauth: QboOAuth) -> tuple[str, str]:
    """Follow the authorize URL to the redirect (auto-consent) without following it: (code, realmId)."""
    response = httpx.get(oauth.authorization_url("state-xyz"), follow_redirects=False, timeout=CEILING)
    assert response.status_code in (302, 303, 307), response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "state-xyz"
    return params["code"], params["realmId"]


@pytest.fixture(scope="module")
def connected(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Connected]:
    db_path: Path = tmp_path_factory.mktemp("qbo-sandbox") / "qbo.db"
    app = sandbox_app.create_app(QboSandboxConfig(db_path=db_path, auto_consent=True, time_scale=TIME_SCALE))
    with serving(app) as base_url:
        config = qbo_config(base_url)
        oauth = QboOAuth(config)
        code, realm_id = consent(oauth)
        tokens = RefreshingTokens(oauth, oauth.exchange_code(code))
        connector = QboConnector(config, realm_id, tokens)
        accounts = connector.list_accounts()
        rates = {rate.name: rate for rate in connector.list_tax_rates()}
        try:
            yield Connected(
                base_url=base_url,
                realm_id=realm_id,
                config=config,
                tokens=tokens,
                connector=connector,
                income=next(a for a in accounts if a.type == "income" and a.active),
                deposit=next(a for a in accounts if a.type == "bank" and a.active),
                gst=rates["GST"],
                hst=rates["HST ON"],
            )
        finally:
            connector.close()
            oauth.close()


def make_invoice(env: Connected, source_id: int, customer_ref: str, item_ref: str) -> InvoiceRecord:
    """Two lines at GST and HST, taxed the Service Opus way (per line, half-up) so totals must match exactly."""
    specs = [
        ("Gutters", Decimal("3"), Decimal("33.33"), env.gst),
        ("Windows", Decimal("1.5"), Decimal("40.10"), env.hst),
    ]
    lines, tax_lines = [], []
    for description, qty, price, rate in specs:
        amounts = line_amounts(qty, price, rate.rate_percent, inclusive=False)
        lines.append(InvoiceLineRecord(item_ref, description, qty, price, amounts.net, rate.id, amounts.tax))
        tax_lines.append(TaxLineRecord(rate.id, rate.rate_ref, rate.rate_percent, amounts.net, amounts.tax))
    subtotal = sum((line.amount for line in lines), Decimal(0))
    total_tax = sum((line.tax_amount for line in lines), Decimal(0))
    return InvoiceRecord(
        source_id=source_id,
        number=f"SO-{source_id}",
        customer_ref=customer_ref,
        issue_date=date(2026, 4, 1),
        due_date=date(2026, 5, 1),
        currency="CAD",
        lines=tuple(lines),
        tax_lines=tuple(tax_lines),
        subtotal=subtotal,
        total_tax=total_tax,
        total=subtotal + total_tax,
    )


def write_ok(env: Connected, entity_type: EntityType, records: list, existing: dict | None = None) -> list[LedgerRef]:
    existing = existing or {}
    ops = [WriteOp(r, f"it-{r.external_id}-{next(VERSIONS)}", existing.get(r.source_id)) for r in records]
    outcomes = env.connector.write(entity_type, ops)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return [o.ref for o in outcomes]  # type: ignore[misc]


@dataclass
class Synced:
    customer: LedgerRef
    invoice: LedgerRef
    invoice_record: InvoiceRecord
    payment: LedgerRef
    payment_record: PaymentRecord


@pytest.fixture(scope="module")
def synced(connected: Connected) -> Synced:
    env = connected
    customers = [
        CustomerRecord(source_id=101, display_name="O'Brien & Søn “Plumbing”", email="ap@obrien.test"),
        CustomerRecord(source_id=102, display_name="Beta Builders"),
    ]
    customer_refs = write_ok(env, EntityType.CUSTOMER, customers)
    items = [ItemRecord(201, "Gutter cleaning", "Two storeys", Decimal("33.33"), env.income.id)]
    [item_ref] = write_ok(env, EntityType.ITEM, items)
    invoices = [
        make_invoice(env, 301, customer_refs[0].id, item_ref.id),
        make_invoice(env, 302, customer_refs[1].id, item_ref.id),
    ]
    invoice_refs = write_ok(env, EntityType.INVOICE, invoices)
    payment = PaymentRecord(
        401, invoice_refs[0].id, customer_refs[0].id, invoices[0].total, invoices[0].issue_date, "card", env.deposit.id
    )
    [payment_ref] = write_ok(env, EntityType.PAYMENT, [payment])
    return Synced(customer_refs[0], invoice_refs[0], invoices[0], payment_ref, payment)


def test_ledger_totals_equal_service_opus_totals(connected: Connected, synced: Synced) -> None:
    stored = connected.connector.read("Invoice", synced.invoice.id)
    record = synced.invoice_record
    assert Decimal(str(stored["TotalAmt"])) == record.total
    assert Decimal(str(stored["TxnTaxDetail"]["TotalTax"])) == record.total_tax
    assert stored["PrivateNote"] == record.external_id and stored["DocNumber"] == record.number
    assert len(stored["TxnTaxDetail"]["TaxLine"]) == 2


def test_a_discounted_invoice_lands_equal_to_service_opus_and_is_paid_in_full(
    connected: Connected, synced: Synced
) -> None:
    """Credit lines and a 10 % invoice discount: QBO's total, tax and balance are Service Opus's to the cent."""
    [item_ref] = write_ok(connected, EntityType.ITEM, [ItemRecord(202, "Furnace", "Installed", Decimal("95"), "1")])
    refs = {"customer_ref": synced.customer.id, "item_ref": item_ref.id, "discount_account": connected.income.id}
    record = discounted_record(connected.hst, connected.gst, 303, **refs)
    [ref] = write_ok(connected, EntityType.INVOICE, [record])
    stored = connected.connector.read("Invoice", ref.id)
    assert Decimal(str(stored["TotalAmt"])) == Decimal(str(stored["Balance"])) == record.total == Decimal("205.96")
    assert Decimal(str(stored["TxnTaxDetail"]["TotalTax"])) == record.total_tax
    [discount] = [line for line in stored["Line"] if line["DetailType"] == "DiscountLineDetail"]
    assert Decimal(str(discount["Amount"])) == -sum(d.amount for d in record.discounts) == Decimal("20.50")
    paid = PaymentRecord(402, ref.id, synced.customer.id, record.total, record.issue_date, "card", connected.deposit.id)
    write_ok(connected, EntityType.PAYMENT, [paid])
    assert Decimal(str(connected.connector.read("Invoice", ref.id)["Balance"])) == 0


def test_find_by_external_id_finds_what_we_wrote(connected: Connected, synced: Synced) -> None:
    connector = connected.connector
    found = connector.find_by_external_id(EntityType.INVOICE, [synced.invoice_record])
    assert found[synced.invoice_record.source_id].id == synced.invoice.id
    found = connector.find_by_external_id(EntityType.PAYMENT, [synced.payment_record])
    assert found == {synced.payment_record.source_id: synced.payment}
    customer = CustomerRecord(source_id=101, display_name="O'Brien & Søn “Plumbing”")
    assert connector.find_by_external_id(EntityType.CUSTOMER, [customer])[101].id == synced.customer.id
    unknown = CustomerRecord(source_id=999, display_name="Nobody Here")
    assert connector.find_by_external_id(EntityType.CUSTOMER, [unknown]) == {}


def test_display_name_clash_with_an_employee_is_a_duplicate_outcome(connected: Connected) -> None:
    clash = CustomerRecord(source_id=150, display_name="Jordan Lee")
    [outcome] = connected.connector.write(EntityType.CUSTOMER, [WriteOp(clash, "it-clash")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.DUPLICATE
    assert connected.connector.find_by_external_id(EntityType.CUSTOMER, [clash]) == {}


def test_name_match_without_our_stamp_is_not_ours(connected: Connected) -> None:
    theirs = CustomerRecord(source_id=160, display_name="Gamma Glass")
    write_ok(connected, EntityType.CUSTOMER, [theirs])
    ours = CustomerRecord(source_id=161, display_name="Gamma Glass")
    assert connected.connector.find_by_external_id(EntityType.CUSTOMER, [ours]) == {}
    [outcome] = connected.connector.write(EntityType.CUSTOMER, [WriteOp(ours, "it-gamma-161")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.DUPLICATE


def test_stale_sync_token_is_recovered(connected: Connected) -> None:
    record = CustomerRecord(source_id=170, display_name="Delta Doors")
    [created] = write_ok(connected, EntityType.CUSTOMER, [record])
    renamed = CustomerRecord(source_id=170, display_name="Delta Doors Inc")
    [updated] = write_ok(connected, EntityType.CUSTOMER, [renamed], {170: created})
    assert updated.sync_token != created.sync_token
    again = CustomerRecord(source_id=170, display_name="Delta Doors Incorporated", email="d@delta.test")
    [latest] = write_ok(connected, EntityType.CUSTOMER, [again], {170: created})  # created's token is stale now
    stored = connected.connector.read("Customer", created.id)
    assert (stored["DisplayName"], stored["SyncToken"]) == ("Delta Doors Incorporated", latest.sync_token)


def test_batch_of_updates_and_creates(connected: Connected) -> None:
    records = [CustomerRecord(source_id=180 + i, display_name=f"Batch Customer {i}") for i in range(5)]
    refs = write_ok(connected, EntityType.CUSTOMER, records)
    renamed = [CustomerRecord(source_id=r.source_id, display_name=r.display_name + " Ltd") for r in records]
    updated = write_ok(
        connected, EntityType.CUSTOMER, renamed, {r.source_id: ref for r, ref in zip(records, refs, strict=True)}
    )
    assert [u.id for u in updated] == [r.id for r in refs]
    assert connected.connector.calls > 0


@pytest.fixture
def bookkeeper(connected: Connected, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Intuit's community SDK (python-quickbooks) on the sandbox: an independent client, as a bookkeeper's app."""
    pytest.importorskip("quickbooks")
    import intuitlib.client
    from quickbooks import QuickBooks

    base = connected.base_url
    discovery = {
        "authorization_endpoint": connected.config.authorize_url,
        "token_endpoint": connected.config.token_url,
        "revocation_endpoint": connected.config.revoke_url,
        "issuer": base,
        "jwks_uri": f"{base}/jwks",
        "userinfo_endpoint": f"{base}/userinfo",
    }
    monkeypatch.setattr(intuitlib.client, "get_discovery_doc", lambda environment, session=None: discovery)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback
    auth_client = intuitlib.client.AuthClient(
        client_id="sandbox-client",
        client_secret="sandbox-secret",
        redirect_uri=REDIRECT_URI,
        environment="sandbox",
        access_token=connected.tokens.access_token(),
        refresh_token=connected.tokens.tokens.refresh_token,
    )
    qb = QuickBooks(auth_client=auth_client, company_id=connected.realm_id, minorversion=75, use_decimal=True)
    qb.sandbox_api_url_v3 = f"{base}/v3"
    return qb


def test_python_quickbooks_reads_the_synced_invoice_and_payment(synced: Synced, bookkeeper: Any) -> None:
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.payment import Payment

    qb = bookkeeper
    invoice = Invoice.get(int(synced.invoice.id), qb=qb)
    assert Decimal(str(invoice.TotalAmt)) == synced.invoice_record.total
    assert invoice.DocNumber == synced.invoice_record.number
    assert invoice.CustomerRef.value == synced.customer.id
    assert [Decimal(str(line.Amount)) for line in invoice.Line if line.DetailType == "SalesItemLineDetail"] == [
        line.amount for line in synced.invoice_record.lines
    ]
    payment = Payment.get(int(synced.payment.id), qb=qb)
    assert Decimal(str(payment.TotalAmt)) == synced.payment_record.amount
    assert payment.PaymentRefNum == synced.payment_record.external_id
    [linked] = payment.Line[0].LinkedTxn
    assert (linked.TxnId, linked.TxnType) == (synced.invoice.id, "Invoice")
    assert Decimal(str(Invoice.get(int(synced.invoice.id), qb=qb).Balance)) == 0


def test_repeated_writes_with_the_same_keys_are_answered_from_the_idempotency_cache(connected: Connected) -> None:
    single = [WriteOp(CustomerRecord(source_id=190, display_name="Echo Electric"), "it-replay-190")]
    pair = [
        WriteOp(CustomerRecord(source_id=190 + i, display_name=f"Echo {i}"), f"it-replay-{190 + i}") for i in (1, 2)
    ]
    for ops in (single, pair):
        first = connected.connector.write(EntityType.CUSTOMER, ops)
        second = connected.connector.write(EntityType.CUSTOMER, ops)
        assert all(o.ok for o in first) and [o.ref for o in second] == [o.ref for o in first]


def test_a_rejected_access_token_is_refreshed_once(connected: Connected) -> None:
    tokens = connected.tokens
    tokens.tokens = dataclasses.replace(tokens.tokens, access_token="not-a-valid-token")
    before = tokens.refreshes
    [ref] = write_ok(connected, EntityType.CUSTOMER, [CustomerRecord(source_id=195, display_name="Foxtrot")])
    assert connected.connector.read("Customer", ref.id)["DisplayName"] == "Foxtrot"
    assert tokens.refreshes == before + 1


def test_a_refusal_fixed_in_quickbooks_is_resent_with_a_fresh_requestid(connected: Connected, bookkeeper: Any) -> None:
    """QBO replays the original Fault for a reused `requestid`: the engine's deliberate resend (the record's name
    taken, so it waited for review; the bookkeeper renamed the other record and the admin chose Create new) must
    reach QBO as a new request, and succeed."""
    from quickbooks.objects.employee import Employee

    employee = Employee()
    employee.GivenName, employee.FamilyName, employee.DisplayName = "Morgan", "Reyes", "Morgan Reyes"
    employee.save(qb=bookkeeper)
    state, clock = MemoryState(), Clock()
    tenant = Tenant(QboConnector.ledger, connected.realm_id, "QuickBooks Online")
    customer = CustomerRecord(source_id=195, display_name="Morgan Reyes")

    def push() -> None:
        engine = WriteEngine(state=state, ledger=connected.connector, tenant=tenant, clock=clock)
        engine.push(EntityType.CUSTOMER, [Push(customer)])

    push()
    parking = state.parkings[EntityType.CUSTOMER][195]
    assert (parking.cause, parking.detail) == (ParkingCause.REVIEW, "duplicate 6240")
    employee.DisplayName = "Morgan Reyes (staff)"
    employee.save(qb=bookkeeper)
    clock.advance(LEDGER_RETRY + timedelta(minutes=1))
    push()
    assert 195 in state.parkings[EntityType.CUSTOMER], "it waits for the admin's decision, however long"
    state.parkings[EntityType.CUSTOMER][195] = create_new(parking, clock.now)
    push()
    assert 195 not in state.parkings[EntityType.CUSTOMER]
    created = connected.connector.read("Customer", state.entity_map[EntityType.CUSTOMER][195].ledger_id)
    assert created["DisplayName"] == "Morgan Reyes"


def test_fixed_names_and_fitted_text_are_taken_by_the_sandbox_and_found_again(connected: Connected) -> None:
    """What QBO refuses as it is (a colon, a name over 500, a NUL, a description over 4000) goes in fixed; an
    invoice number over 21 is refused before any call, naming it."""
    env = connected
    customers = [
        CustomerRecord(source_id=601, display_name="Harbour Dental: Head Office"),
        CustomerRecord(source_id=602, display_name="Long\tName\x00 " + "L" * 600),
    ]
    refs = write_ok(env, EntityType.CUSTOMER, customers)
    stored = [env.connector.read("Customer", ref.id) for ref in refs]
    assert stored[0]["DisplayName"] == "Harbour Dental - Head Office"
    assert stored[0]["Notes"] == "SO-C601 Service Opus name: Harbour Dental: Head Office"
    assert len(stored[1]["DisplayName"]) == 500 and stored[1]["DisplayName"].endswith("… (SO-C602)")
    assert {k: v.id for k, v in env.connector.find_by_external_id(EntityType.CUSTOMER, customers).items()} == {
        601: refs[0].id,
        602: refs[1].id,
    }
    [item_ref] = write_ok(
        env, EntityType.ITEM, [ItemRecord(611, "Filters: " + "f" * 120, "", Decimal(5), env.income.id)]
    )
    assert len(env.connector.read("Item", item_ref.id)["Name"]) == 100
    record = make_invoice(env, 621, refs[0].id, item_ref.id)
    long_line = dataclasses.replace(record.lines[0], description="Gutters\x0b " + "g" * 5000)
    record = dataclasses.replace(record, lines=(long_line, record.lines[1]))
    too_long = dataclasses.replace(make_invoice(env, 622, refs[0].id, item_ref.id), number="SO-622-" + "9" * 15)
    calls = env.connector.calls
    [alone] = env.connector.write(EntityType.INVOICE, [WriteOp(too_long, "it-622")])
    assert alone.error is not None and "allows at most 21" in alone.error.message
    assert env.connector.calls == calls  # refused before any call (counting calls beside a write would also
    # count a token refresh: the 10x sandbox clock ends an access token after 6 real minutes)
    refused, saved = env.connector.write(EntityType.INVOICE, [WriteOp(too_long, "it-622"), WriteOp(record, "it-621")])
    assert refused.error is not None and "allows at most 21" in refused.error.message
    assert saved.ok, saved.error
    assert env.connector.find_by_external_id(EntityType.INVOICE, [too_long]) == {}
    lines = env.connector.read("Invoice", saved.ref.id)["Line"]  # type: ignore[union-attr]
    assert len(lines[0]["Description"]) == 4000 and lines[0]["Description"].startswith("Gutters gg")


def test_a_void_does_only_what_an_earlier_attempt_left_and_needs_no_fresh_sync_token(connected: Connected) -> None:
    """An earlier attempt voided one of the two payments before it died: the void re-reads the invoice (the
    SyncToken it was given is stale, payments changed it), voids the other payment, then the invoice."""
    env = connected
    [customer] = write_ok(env, EntityType.CUSTOMER, [CustomerRecord(source_id=360, display_name="Void Vans")])
    [item] = write_ok(env, EntityType.ITEM, [ItemRecord(361, "Van wash", "Inside out", Decimal("10"), env.income.id)])
    record = make_invoice(env, 362, customer.id, item.id)
    [created] = write_ok(env, EntityType.INVOICE, [record])
    payments = [
        PaymentRecord(363 + i, created.id, customer.id, Decimal("20.00"), record.issue_date, "card", env.deposit.id)
        for i in range(2)
    ]
    first, second = write_ok(env, EntityType.PAYMENT, payments)
    base = f"{env.base_url}/v3/company/{env.realm_id}"
    headers = {"Authorization": f"Bearer {env.tokens.access_token()}", "Accept": "application/json"}

    def void_first() -> httpx.Response | None:
        """The earlier attempt's void, sent again while the sandbox throttles (the writes above may fill its second)."""
        answer = httpx.post(
            f"{base}/payment",
            params={"operation": "update", "include": "void"},
            json={"Id": first.id, "SyncToken": first.sync_token, "sparse": True},
            headers=headers,
            timeout=CEILING,
        )
        return None if answer.status_code == 429 else answer

    voided_first = wait_for(void_first, "the first payment's void past the throttle")
    assert voided_first.status_code == 200, voided_first.text
    since = httpx.get(f"{env.base_url}/_sandbox/requests", timeout=CEILING).json()[-1]["id"]
    [ref] = write_ok(env, EntityType.INVOICE, [dataclasses.replace(record, voided=True)], {362: created})
    assert ref.id == created.id and ref.sync_token != created.sync_token
    writes = [
        (e["path"].rsplit("/", 1)[-1], e["query"])
        for e in httpx.get(f"{env.base_url}/_sandbox/requests", params={"since": since}, timeout=CEILING).json()
        if e["write"] and "/v3/company/" in e["path"]
    ]
    assert [(path, "include=void" in query or "operation=void" in query) for path, query in writes] == [
        ("payment", True),
        ("invoice", True),
    ]
    invoice = env.connector.read("Invoice", created.id)
    assert (invoice["PrivateNote"], invoice["Balance"], invoice["TotalAmt"]) == ("Voided", 0, 0)
    assert all(env.connector.read("Payment", p.id)["TotalAmt"] == 0 for p in (first, second))
    assert env.connector.find_by_external_id(EntityType.PAYMENT, payments) == {}
    [again] = write_ok(env, EntityType.INVOICE, [dataclasses.replace(record, voided=True)], {362: created})
    assert again == ref, "a void found done is the outcome; nothing is sent"


def test_a_correction_whose_answer_was_lost_lands_once_when_resent(connected: Connected, synced: Synced) -> None:
    """An invoice update sent again on the next run (same key, the SyncToken from before it landed) is answered
    without a second change; sent under another key (QBO forgot the request), it meets 5010, is re-read and
    sent once more with the same content. Either way one invoice, equal to the corrected version."""
    [item] = write_ok(connected, EntityType.ITEM, [ItemRecord(203, "Boiler service", "Annual", Decimal("95"), "1")])
    first = make_invoice(connected, 305, synced.customer.id, item.id)
    [before] = write_ok(connected, EntityType.INVOICE, [first])
    refs = {"customer_ref": synced.customer.id, "item_ref": item.id, "discount_account": connected.income.id}
    corrected = dataclasses.replace(discounted_record(connected.hst, connected.gst, 305, **refs), number=first.number)
    assert corrected.total != first.total
    sent = WriteOp(corrected, "it-correction-305", before)
    for op in (sent, sent, dataclasses.replace(sent, idempotency_key="it-correction-305-later")):
        [outcome] = connected.connector.write(EntityType.INVOICE, [op])
        assert outcome.ref is not None and outcome.ref.id == before.id, outcome.error
        stored = connected.connector.read("Invoice", before.id)
        assert Decimal(str(stored["TotalAmt"])) == Decimal(str(stored["Balance"])) == corrected.total
        assert Decimal(str(stored["TxnTaxDetail"]["TotalTax"])) == corrected.total_tax
    [held] = connected.connector.read_back(EntityType.INVOICE, [corrected])[305]
    assert (held.ledger_id, held.amount) == (before.id, corrected.total)


def test_a_correction_into_a_closed_period_is_made_by_a_credit_memo_and_a_new_invoice(
    connected: Connected, synced: Synced
) -> None:
    """The bookkeeper closed the books after the invoice synced: QBO refuses its correction (5010 "Account Period
    Closed", not a stale token), so the engine reissues it: a CreditMemo with the held invoice's lines, applied to
    it, and a new invoice "<number>-R1" dated in the open period; the invoice QBO holds keeps its content."""
    [item] = write_ok(connected, EntityType.ITEM, [ItemRecord(204, "Chimney sweep", "Annual", Decimal("80"), "1")])
    first = make_invoice(connected, 306, synced.customer.id, item.id)
    state, tenant = MemoryState(), Tenant("qbo", connected.realm_id, "QuickBooks Online")
    WriteEngine(state=state, ledger=connected.connector, tenant=tenant).push(EntityType.INVOICE, [Push(first, 1)])
    ledger_id = state.entity_map[EntityType.INVOICE][306].ledger_id
    preferences = f"{connected.base_url}/_sandbox/realms/{connected.realm_id}/Preferences/1"

    def close_books(day: str | None) -> None:
        closing = httpx.patch(preferences, json={"AccountingInfoPrefs": {"BookCloseDate": day}}, timeout=CEILING)
        assert closing.status_code == 200, closing.text

    close_books(first.issue_date.isoformat())
    try:
        corrected = dataclasses.replace(first, due_date=first.due_date + timedelta(days=30))
        WriteEngine(state=state, ledger=connected.connector, tenant=tenant).push(
            EntityType.INVOICE, [Push(corrected, 2)]
        )
    finally:
        close_books(None)
    assert not state.parkings[EntityType.INVOICE] and state.checkpoints[EntityType.INVOICE] == 2
    new_id = state.entity_map[EntityType.INVOICE][306].ledger_id
    reissued = connected.connector.read("Invoice", new_id)
    assert new_id != ledger_id and reissued["DocNumber"] == f"{first.number}-R1"
    assert Decimal(str(reissued["TotalAmt"])) == Decimal(str(reissued["Balance"])) == corrected.total
    held = connected.connector.read("Invoice", ledger_id)
    assert (held["DocNumber"], Decimal(str(held["Balance"]))) == (first.number, Decimal("0"))
    assert connected.connector.read("Invoice", ledger_id)["DueDate"] == first.due_date.isoformat()
