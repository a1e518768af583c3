"""Acceptance of the walking skeleton, for every ledger: locked invoices and collected payments land in
the ledger exactly once, equal to the cent; drafts and voids never do; what cannot go is parked with a
reason; a re-run writes nothing; an unmapped tax rate or bank account stops the run at the gate, naming it; each
payment lands in the mapped account of the bank account its method routes to."""

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus, Payment, PaymentStatus
from ledger_sync.core.mapping import AccountRole
from ledger_sync.core.money import line_amounts
from ledger_sync.core.records import EntityType
from ledger_sync.core.scope import SyncScope
from ledger_sync.core.transform import discount_rows, total_due
from ledger_sync.demo import CREDIT_NUMBER, FIXED_NAME_CUSTOMER, PROBLEM_CUSTOMER
from ledger_sync.expectations.last_checks import docs_root, last_validation
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from ledger_sync.status import company_status
from tests.e2e.conftest import DISCOUNTED
from tests.ledgers import facts
from tests.stack import Stack
from tests.status_invariant import accounting_errors


@pytest.fixture(scope="module")
def first_run(stack: Stack) -> dict[str, object]:
    return sync_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]


def _source(stack: Stack) -> tuple[list[Invoice], list[Payment], ServiceOpusSource]:
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session:
        invoices = list(session.scalars(select(Invoice).where(Invoice.company_id == stack.company_id)))
        payments = list(session.scalars(select(Payment).where(Payment.company_id == stack.company_id)))
        for invoice in invoices:
            _ = invoice.lines
    return invoices, payments, ServiceOpusSource(engine)


ZERO = Decimal("0.00")


def _parked(stack: Stack, kind: str) -> set[int]:
    return {source_id for entity, source_id in stack.parked() if entity == kind}


def test_every_locked_invoice_is_in_the_ledger_once_with_equal_tax_and_totals(stack: Stack, first_run: dict) -> None:
    shape = facts(stack.ledger).shape
    assert first_run["outcome"] == "completed"
    invoices, _, source = _source(stack)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    ledger = stack.ledger_entities(shape.invoices)
    numbers = Counter(i[shape.number] for i in ledger)
    assert all(count == 1 for count in numbers.values()), "an invoice was written twice"
    by_number = {i[shape.number]: i for i in ledger}
    parked = _parked(stack, "invoice")
    locked = [i for i in invoices if i.status == InvoiceStatus.LOCKED and i.id not in parked]
    snapshots = {
        s.id: s for s in source.invoices(stack.company_id, after=None, limit=0, ids=[i.id for i in locked]).records
    }
    # An invoice below zero is in the ledger as a credit note (see the conformance suite), not as an invoice.
    expected = [i for i in locked if total_due(snapshots[i.id], rates) >= 0]
    assert {i.number for i in expected} == set(by_number)
    for invoice in expected:
        pushed = by_number[invoice.number]
        total = total_due(snapshots[invoice.id], rates)
        assert Decimal(str(pushed[shape.total])) == total, invoice.number
        tax = sum(
            (
                line_amounts(line.quantity, line.unit_price, rates[line.tax_rate_id].rate, line.tax_inclusive).tax
                for line in snapshots[invoice.id].lines
                if line.tax_rate_id is not None
            ),
            Decimal("0.00"),
        ) + sum((row.tax for row in discount_rows(snapshots[invoice.id], rates).values()), Decimal("0.00"))
        assert Decimal(str(shape.total_tax(pushed))) == tax, invoice.number
        assert len(shape.item_lines(pushed)) == len(invoice.lines)
    not_pushed = {i.number for i in invoices if i.status in (InvoiceStatus.DRAFT, InvoiceStatus.VOID)}
    assert not not_pushed & set(by_number), "a draft or void reached the ledger"


def test_xero_holds_service_opus_tax_and_net_to_the_cent(stack: Stack, first_run: dict) -> None:
    """Each line carries Service Opus's TaxAmount, so tax-inclusive lines no longer land a cent off in tax
    (a ROUNDING line, where one is left, is part of the net: SubTotal is Service Opus's net)."""
    if stack.ledger != "xero":
        pytest.skip("QBO's tax detail is checked by its own suite")
    invoices, _, source = _source(stack)
    rate_of = {r.id: r for r in source.tax_rates(stack.company_id)}
    rates = {rate_id: rate.rate for rate_id, rate in rate_of.items()}
    by_number = {i["InvoiceNumber"]: i for i in stack.ledger_entities("Invoices")}
    pushed = [i for i in invoices if i.number in by_number]
    read = source.invoices(stack.company_id, after=None, limit=0, ids=[i.id for i in pushed])
    snapshots = {s.id: s for s in read.records}
    assert any(line.tax_inclusive for snapshot in snapshots.values() for line in snapshot.lines)
    for invoice in pushed:
        lines = snapshots[invoice.id].lines
        amounts = [
            line_amounts(ln.quantity, ln.unit_price, rates.get(ln.tax_rate_id or 0, ZERO), ln.tax_inclusive)
            for ln in lines
        ] + list(discount_rows(snapshots[invoice.id], rate_of).values())
        ledger = by_number[invoice.number]
        assert Decimal(str(ledger["TotalTax"])) == sum((a.tax for a in amounts), ZERO), invoice.number
        assert Decimal(str(ledger["SubTotal"])) == sum((a.net for a in amounts), ZERO), invoice.number


def _received(stack: Stack) -> list[dict[str, object]]:
    """The ledger's payments, in its payments' shape. Xero holds a deposit or an overpayment as a RECEIVE-PREPAYMENT /
    RECEIVE-OVERPAYMENT bank transaction of the whole amount, stamped like a payment, not as a payment."""
    shape = facts(stack.ledger).shape
    payments = stack.ledger_entities(shape.payments)
    if stack.ledger != "xero":
        return payments
    credits = [
        t
        for t in stack.ledger_entities("BankTransactions")
        if t.get("Type") in ("RECEIVE-PREPAYMENT", "RECEIVE-OVERPAYMENT")
    ]
    as_payments = [
        {shape.reference: t["Reference"], shape.amount: t["Total"], "Account": t["BankAccount"]} for t in credits
    ]
    return payments + as_payments


def test_every_collected_payment_is_in_the_ledger_once(stack: Stack, first_run: dict) -> None:
    shape = facts(stack.ledger).shape
    _, payments, _ = _source(stack)
    collected = [p for p in payments if p.status == PaymentStatus.COLLECTED]
    # QBO applies a credit memo with a payment of 0 (stamped SO-A<credit note id>), Xero pays a refund's credit note
    # out with a payment (SO-R<refund id>): not collected payments. A Xero payment's stamp is its Reference's first
    # word (the method and reference follow it).
    ledger = [p for p in _received(stack) if str(p[shape.reference]).startswith("SO-P")]
    refs = Counter(str(p[shape.reference]).split()[0] for p in ledger)
    assert all(count == 1 for count in refs.values()), "a payment was written twice"
    amounts = {str(p[shape.reference]).split()[0]: Decimal(str(p[shape.amount])) for p in ledger}
    parked = _parked(stack, "payment")
    expected = {f"SO-P{p.id}": Decimal(p.amount).quantize(Decimal("0.01")) for p in collected if p.id not in parked}
    assert amounts == expected


def test_each_payment_lands_in_the_mapped_account_of_its_bank_account(stack: Stack, first_run: dict) -> None:
    """Card, cash, check and ACH payments each land where their method routes (card clearing, cash drawer,
    Undeposited Funds, operating): per ledger account, the payments deposited there sum to Service Opus's
    payments routed there. A tipped payment syncs, and its tip is synced on its own (`core.tips`)."""
    shape = facts(stack.ledger).shape
    connection = stack.store.connection(stack.company_id, stack.ledger)
    assert connection is not None
    mapping = stack.store.load_mapping(connection.id)
    _, _, source = _source(stack)
    read = source.payments(stack.company_id, after=None, limit=1_000_000).records
    collected = [p for p in read if p.status == "collected"]  # the reversed ones never synced: nothing was sent
    parked = stack.parked()
    expected: Counter[str] = Counter()
    methods: dict[str, set[str]] = {}
    tipped = {p.id for p in collected if p.tip and ("payment", p.id) not in parked}
    assert tipped, "the seed tips some card payments"
    assert tipped <= stack.store.synced_ids(connection.id, EntityType.TIP)
    assert not [source_id for kind, source_id in parked if kind == "tip"]
    for payment in collected:
        if ("payment", payment.id) in parked:
            continue
        if payment.bank_account_id is None:
            account = mapping.accounts[AccountRole.UNDEPOSITED_FUNDS]
        else:
            account = mapping.bank_accounts[payment.bank_account_id]
        expected[account] += payment.amount
        methods.setdefault(account, set()).add(payment.method)
    landed: Counter[str] = Counter()
    for payment in _received(stack):
        if str(payment[shape.reference]).startswith("SO-P"):  # not a Xero refund's payment out (SO-R)
            landed[shape.payment_account(payment)] += Decimal(str(payment[shape.amount]))
    assert landed == expected
    assert sorted(sorted(m) for m in methods.values()) == [["ach"], ["card"], ["cash"], ["check"]]


def test_each_card_payout_is_in_the_ledger_once_for_its_net(stack: Stack, first_run: dict) -> None:
    """A payout (`core.payouts`) is written once its payments and their tips are: once, its net into the operating
    account (QBO: a Deposit; Xero: the transfer's side into the operating account). One behind a parked payment is
    parked, saying so."""
    _, _, source = _source(stack)
    payouts = source.payouts(stack.company_id).records
    assert payouts, "the seed pays out card payments"
    parked = stack.parked()
    held = stack.payouts_held()
    assert held, "no payout reached the ledger"
    assert all(count == 1 for count in Counter(stamp for stamp, _ in held).values()), "a payout was written twice"
    assert dict(held) == {f"SO-O{p.id}": p.net for p in payouts if ("payout", p.id) not in parked}
    for payout in payouts:
        if ("payout", payout.id) in parked:
            assert parked[("payout", payout.id)].startswith("Waiting for payment"), parked[("payout", payout.id)]


def test_every_parked_record_has_a_reason(stack: Stack, first_run: dict) -> None:
    """The demo's problem records: a name taken (the second of two customers of one name) parks that customer,
    and its invoice waits behind it; an invoice totalling below zero syncs, as a credit note."""
    shape = facts(stack.ledger).shape
    parked = stack.parked()
    [(parked_customer, refusal)] = [(source_id, r) for (kind, source_id), r in parked.items() if kind == "customer"]
    assert shape.duplicate_name_reason in refusal
    invoices, _, source = _source(stack)
    by_number = {i.number: i for i in invoices}
    assert parked_customer == by_number["PRB-0002"].customer_id
    assert ("invoice", by_number["PRB-0001"].id) not in parked
    waiting = f"Waiting for customer '{PROBLEM_CUSTOMER}', which cannot sync: {refusal}"
    assert parked[("invoice", by_number["PRB-0002"].id)] == waiting
    names = [c[shape.customer_name] for c in stack.ledger_entities(shape.customers)]
    assert names.count(PROBLEM_CUSTOMER) == 1
    credit = by_number[CREDIT_NUMBER]
    (snapshot,) = source.invoices(stack.company_id, after=None, limit=1, ids=[credit.id]).records
    total = total_due(snapshot, {r.id: r for r in source.tax_rates(stack.company_id)})
    assert total < 0 and ("invoice", credit.id) not in parked
    assert all(reason.strip() for reason in parked.values())
    status = company_status(stack.settings, stack.store, 1, stack.ledger)
    assert accounting_errors(status) == []
    for counts in status["entities"].values():  # type: ignore[union-attr]
        assert counts["pending"] == 0


def test_a_name_the_ledger_refuses_as_it_is_syncs_fixed_with_its_invoice(stack: Stack, first_run: dict) -> None:
    """The demo's FIXED_NAME_CUSTOMER (a colon) is not parked: it is in the ledger under the name the ledger takes,
    once, and its invoice PRB-0004 with it."""
    shape = facts(stack.ledger).shape
    fixed = facts(stack.ledger).fixed_name
    assert not any(FIXED_NAME_CUSTOMER in reason or fixed in reason for reason in stack.parked().values())
    [customer] = [c for c in stack.ledger_entities(shape.customers) if c[shape.customer_name] == fixed]
    [invoice] = [i for i in stack.ledger_entities(shape.invoices) if i[shape.number] == "PRB-0004"]
    assert shape.invoice_customer(invoice) == customer[shape.customer_id]


def test_discount_lines_and_invoice_discounts_reach_the_ledger_equal_to_the_cent(stack: Stack, first_run: dict) -> None:
    """Negative quantities, negative unit prices and invoice discounts sync (the totals are checked above for
    every invoice); an invoice totalling below zero goes as a credit note."""
    shape = facts(stack.ledger).shape
    invoices, _, source = _source(stack)
    rates = {r.id: r for r in source.tax_rates(stack.company_id)}
    locked = [i for i in invoices if i.status == InvoiceStatus.LOCKED]
    snapshots = source.invoices(stack.company_id, after=None, limit=0, ids=[i.id for i in locked]).records
    with_lines = [s for s in snapshots if any(ln.quantity < 0 or ln.unit_price < 0 for ln in s.lines)]
    with_discount = [s for s in snapshots if s.discount_percent]
    assert {DISCOUNTED} <= {s.number for s in with_lines} & {s.number for s in with_discount}
    credits = {s.id for s in snapshots if total_due(s, rates) < 0}
    assert {s.number for s in snapshots if s.id in credits} == {CREDIT_NUMBER}
    parked = _parked(stack, "invoice")
    assert credits and not parked & {s.id for s in with_lines + with_discount}
    by_number = {i[shape.number]: i for i in stack.ledger_entities(shape.invoices)}
    (discounted,) = [s for s in snapshots if s.number == DISCOUNTED]
    assert Decimal(str(by_number[DISCOUNTED][shape.total])) == total_due(discounted, rates)
    assert len(shape.item_lines(by_number[DISCOUNTED])) == 3


def test_status_lists_each_parked_and_pending_record_with_why(stack: Stack, first_run: dict) -> None:
    import json

    from typer.testing import CliRunner

    from ledger_sync.cli import app

    runner = CliRunner()
    command = ["status", "--company", "1", "--ledger", stack.ledger]
    listed = runner.invoke(app, [*command, "--list", "parked", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {(row["entity"], row["id"]): row["why"] for row in json.loads(listed.output)}
    waiting = {(kind, i) for (kind, i), why in stack.parked().items() if why.endswith("to be locked")}
    assert rows == {key: why for key, why in stack.parked().items() if key not in waiting}
    pending = runner.invoke(app, [*command, "--list", "pending"])
    assert pending.exit_code == 0 and pending.output == ""
    counts = json.loads(runner.invoke(app, [*command, "--json"]).output)
    assert accounting_errors(counts) == []
    assert counts["entities"]["invoice"]["parked"] == sum(1 for kind, _ in rows if kind == "invoice")


def test_the_runs_data_docs_show_its_gates_and_the_checks_that_parked_records(stack: Stack, first_run: dict) -> None:
    index = Path(str(first_run["report"])).read_text()
    gates = ("chart_mapping", "required_accounts", "active_connection")
    for suite in (*gates, f"customers_{stack.ledger}", f"invoices_{stack.ledger}", "payments"):
        assert suite in index


def test_a_second_run_writes_nothing(stack: Stack, first_run: dict) -> None:
    before = company_status(stack.settings, stack.store, 1, stack.ledger)
    mark = stack.last_request_id()
    second = sync_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert stack.writes_since(mark) == []
    assert company_status(stack.settings, stack.store, 1, stack.ledger) == before
    entities = second["entities"]
    assert all(c["created"] == 0 and c["updated"] == 0 for c in entities.values())  # type: ignore[attr-defined]


def test_unmapping_a_tax_rate_stops_the_run_at_the_gate_naming_it(stack: Stack, first_run: dict) -> None:
    from ledger_sync.onboarding import apply_suggested_mapping

    connection = stack.store.connection(1, stack.ledger)
    assert connection is not None
    _, _, source = _source(stack)
    hst = max(source.tax_rates(1), key=lambda rate: rate.rate)
    stack.store.unmap_tax_rate(connection.id, hst.id)
    mark = stack.last_request_id()
    try:
        summary = sync_company(company_id=1, ledger=stack.ledger)  # type: ignore[arg-type]
    finally:
        apply_suggested_mapping(stack.settings, stack.store, 1, stack.ledger)
    assert summary["outcome"] == "stopped_at_gate"
    assert any(hst.name in failure for failure in summary["gate_failures"])  # type: ignore[attr-defined]
    assert stack.writes_since(mark) == []
    assert summary["report"] and summary["report"].endswith(".html")  # type: ignore[union-attr]
    assert "chart_mapping" in Path(str(summary["report"])).read_text(), "the run published its Data Docs"
    panel = last_validation(stack.settings.home, connection.id)  # what the settings page shows, without a Run checks
    chart_check = next(check for check in panel.checks if check.title == "Chart mapping")
    assert chart_check.passed is False and any(hst.name in failure for failure in chart_check.failures)
    assert panel.report_url is not None
    assert (docs_root(stack.settings.home) / panel.report_url.removeprefix("/reports/")).is_file()


def test_unmapping_a_bank_account_stops_the_run_at_the_gate_naming_it(stack: Stack, first_run: dict) -> None:
    from ledger_sync.onboarding import apply_suggested_mapping

    connection = stack.store.connection(1, stack.ledger)
    assert connection is not None
    _, _, source = _source(stack)
    clearing = next(b for b in source.bank_accounts(1) if b.kind == "card_clearing")
    mapping = stack.store.load_mapping(connection.id)
    del mapping.bank_accounts[clearing.id]
    stack.store.save_mapping(connection.id, mapping, {})
    mark = stack.last_request_id()
    try:
        summary = sync_company(company_id=1, ledger=stack.ledger)  # type: ignore[arg-type]
    finally:
        apply_suggested_mapping(stack.settings, stack.store, 1, stack.ledger)
    assert summary["outcome"] == "stopped_at_gate"
    assert f"Bank account '{clearing.name}' is not mapped to a" in " ".join(summary["gate_failures"])  # type: ignore[arg-type]
    assert stack.writes_since(mark) == []


def test_a_backfill_counts_exactly_the_records_its_range_reads(stack: Stack) -> None:
    """The backfill's progress total (`records_in_range`) is what the ranged run will extract."""
    invoices, _, source = _source(stack)
    dates = sorted(i.issue_date for i in invoices)
    since, until = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    invoices_read = source.invoices(stack.company_id, after=None, limit=100_000, since=since, until=until)
    payments_read = source.payments(stack.company_id, after=None, limit=100_000, since=since, until=until)
    notes_read = source.credit_notes(stack.company_id, after=None, limit=100_000, since=since, until=until)
    read = {
        "invoice": len(invoices_read.records) + len(invoices_read.unreadable)
        + len(notes_read.records) + len(notes_read.unreadable),  # credit notes are read with the invoices
        "payment": len(payments_read.records) + len(payments_read.unreadable),
    }  # fmt: skip
    assert read["invoice"] > 0 and read["payment"] > 0
    assert source.records_in_range(stack.company_id, SyncScope(since, until)) == read["invoice"] + read["payment"]
    for entity in read:
        only = SyncScope(since, until, frozenset({EntityType(entity)}))
        assert source.records_in_range(stack.company_id, only) == read[entity]


def test_the_synced_books_reconcile_to_zero_differences(stack: Stack, first_run: dict) -> None:
    from ledger_sync.flows.reconcile import reconcile_company

    result = reconcile_company(company_id=stack.company_id, ledger=stack.ledger)  # type: ignore[arg-type]
    assert result["differences"] == [], result["differences"]
    connection = stack.store.connection(stack.company_id, stack.ledger)
    assert connection is not None
    assert result["invoices"] == len(stack.store.synced_ids(connection.id, EntityType.INVOICE))
    assert result["payments"] == len(stack.store.synced_ids(connection.id, EntityType.PAYMENT))


def test_unmapping_a_technician_stops_the_run_at_the_gate_naming_them(stack: Stack, first_run: dict) -> None:
    """Issue 17: with business units and technicians mapped to the same-named ledger options, a technician left
    unmapped stops the run before any write, and the gate names them."""
    from ledger_sync.core.tracking import TrackedBy
    from ledger_sync.onboarding import apply_suggested_mapping, ledger_chart

    connection = stack.store.connection(1, stack.ledger)
    assert connection is not None
    _, _, source = _source(stack)
    _, _, options = ledger_chart(stack.settings, stack.store, connection, tracking=True)
    by_name = {option.name: option.id for option in options if option.active}
    values = source.tracking_values(1)
    mapping = stack.store.load_mapping(connection.id)
    for value in values:
        mapping.tracking.setdefault(value.tracked_by, {})[value.id] = by_name[value.name]
    left_out = next(value for value in values if value.tracked_by is TrackedBy.TECHNICIAN)
    del mapping.tracking[TrackedBy.TECHNICIAN][left_out.id]
    stack.store.save_mapping(connection.id, mapping, {})
    mark = stack.last_request_id()
    try:
        summary = sync_company(company_id=1, ledger=stack.ledger)  # type: ignore[arg-type]
    finally:
        apply_suggested_mapping(stack.settings, stack.store, 1, stack.ledger)
    assert summary["outcome"] == "stopped_at_gate"
    failures = " ".join(summary["gate_failures"])  # type: ignore[arg-type]
    assert f"Technician '{left_out.name}' is not mapped to a" in failures, failures
    assert stack.writes_since(mark) == []
