"""The bad-input corpus: every hostile record ends synced correctly or parked with a clear reason,
and none of them stops the run."""

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.records import EntityType
from ledger_sync.core.transform import total_due
from ledger_sync.flows.sync import sync_company
from ledger_sync.state.db import make_engine
from tests.corpus.hostile import Expected, add_hostile_records
from tests.ledgers import facts, sandbox_ledgers
from tests.stack import Stack, open_stack


@pytest.fixture(scope="module", params=sandbox_ledgers())
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, prefect_server: None
) -> Iterator[tuple[Stack, list[Expected], dict[str, object]]]:
    expected: list[Expected] = []

    def populate(engine: Engine) -> None:
        seed(engine, invoices=20, seed=5)
        with Session(engine) as session, session.begin():
            expected.extend(add_hostile_records(session, 1))

    with open_stack(tmp_path_factory.mktemp("corpus"), populate, request.param) as stack:
        summary = sync_company(company_id=1, ledger=stack.ledger)  # type: ignore[arg-type]
        yield stack, expected, summary


def test_the_corpus_is_big_enough_and_does_not_stop_the_run(corpus: tuple[Stack, list[Expected], dict]) -> None:
    _, expected, summary = corpus
    assert len(expected) >= 40
    assert summary["outcome"] == "completed"


def test_each_hostile_record_ends_synced_or_parked_with_its_reason(corpus: tuple[Stack, list[Expected], dict]) -> None:
    stack, expected, _ = corpus
    connection = stack.store.connection(1, stack.ledger)
    assert connection is not None
    parked = stack.parked()
    mismatches = []
    for item in expected:
        want = item.outcome(facts(stack.ledger).corpus)
        entity = EntityType(item.entity)
        synced = item.source_id in stack.store.mapped(connection.id, entity, [item.source_id])
        reason = parked.get((item.entity, item.source_id))
        if want == "synced" and not synced:
            mismatches.append(f"{item.label}: expected synced, got {'parked: ' + reason if reason else 'pending'}")
        elif want == "skipped" and (synced or reason):
            mismatches.append(f"{item.label}: expected skipped, got {'synced' if synced else 'parked: ' + reason}")
        elif want.startswith("parked:"):
            text = want.removeprefix("parked:")
            if reason is None or text.lower() not in reason.lower():
                got = "synced" if synced else f"parked: {reason}" if reason else "pending"
                mismatches.append(f"{item.label}: expected parked with '{text}', got {got}")
    assert not mismatches, "\n".join(mismatches)


def test_synced_hostile_invoices_match_service_opus_to_the_cent(corpus: tuple[Stack, list[Expected], dict]) -> None:
    stack, expected, _ = corpus
    source = ServiceOpusSource(make_engine(stack.settings.resolved_source_url))
    rates = {r.id: r for r in source.tax_rates(1)}
    cases = facts(stack.ledger).corpus
    synced_ids = [e.source_id for e in expected if e.entity == "invoice" and e.outcome(cases) == "synced"]
    shape = facts(stack.ledger).shape
    by_number = {i[shape.number]: i for i in stack.ledger_entities(shape.invoices)}
    for invoice in source.invoices(1, after=None, limit=0, ids=synced_ids).records:
        if total_due(invoice, rates) < 0:
            continue  # in the ledger as a credit note (see the conformance suite), not among its invoices
        assert Decimal(str(by_number[invoice.number][shape.total])) == total_due(invoice, rates), invoice.number
