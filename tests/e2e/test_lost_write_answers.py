"""A write whose answer is lost on the wire (the QBO sandbox commits, then drops the connection) is never
resent blind by the connector: the run leaves it pending, and the next run's intent lookup finds it. Small
pages, so a later page of the same run must not move the checkpoint past a record left pending."""

from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.models import Invoice, InvoiceStatus
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.flows.sync import sync_company
from ledger_sync.sandboxes.faults import FaultPlan
from ledger_sync.state.db import make_engine
from ledger_sync.status import company_status
from tests.stack import Stack, open_stack

DROPPING = FaultPlan(seed=5, drop_after_commit_rate=0.25, server_error_rate=0.05)
MAX_RUNS = 10
PAGE_SIZE = 10


def _populate(engine: Engine) -> None:
    seed(engine, invoices=40, seed=8)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, prefect_server: None) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("QBO_SANDBOX_FAULTS", DROPPING.model_dump_json())
        with open_stack(tmp_path_factory.mktemp("lost-answers"), _populate) as opened:
            yield opened


def _locked_numbers(stack: Stack) -> set[str]:
    engine = make_engine(stack.settings.resolved_source_url)
    with Session(engine) as session:
        return set(session.scalars(select(Invoice.number).where(Invoice.status == InvoiceStatus.LOCKED)))


def test_a_write_that_lost_its_answer_is_looked_up_not_resent(stack: Stack) -> None:
    summaries = []
    for _ in range(MAX_RUNS):
        summaries.append(sync_company(company_id=1, ledger="qbo", page_size=PAGE_SIZE))
        if summaries[-1]["outcome"] == "completed":
            break
    assert summaries[0]["outcome"] == "completed_with_pending"
    assert summaries[-1]["outcome"] == "completed", [s["outcome"] for s in summaries]

    faults = httpx.get(f"{stack.base_url}/_sandbox/faults", timeout=30).json()
    sent = Counter(parse_qs(str(entry["query"])).get("requestid", [""])[0] for entry in stack.writes_since(0))
    assert "" not in sent, "every write carries a requestid"
    # So a dropped request without one was a read: a batch of queries (the faults count any POST to /batch as a
    # write), which the connector reads again.
    lost = [e for e in faults["events"] if e["kind"] == "drop_after_commit"]
    assert all(str(e["path"]).endswith("/batch") for e in lost if not e["request_id"]), lost
    dropped = {e["request_id"] for e in lost} - {""}
    assert dropped, "the plan dropped some committed writes"
    assert {request_id: sent[request_id] for request_id in dropped} == dict.fromkeys(dropped, 1)

    recovered = sum(c["recovered"] for s in summaries for c in s["entities"].values())  # type: ignore[union-attr]
    assert recovered >= len(dropped) > 0
    status = company_status(stack.settings, stack.store, 1, "qbo")["entities"]
    assert all(c["pending"] == 0 for c in status.values()), status  # type: ignore[union-attr]
    assert {str(i["DocNumber"]) for i in stack.ledger_entities("Invoice")} == _locked_numbers(stack)
    for entity, key in (("Customer", "DisplayName"), ("Invoice", "DocNumber"), ("Payment", "PaymentRefNum")):
        counts = Counter(str(e[key]) for e in stack.ledger_entities(entity))
        assert [k for k, n in counts.items() if n > 1] == [], f"{entity} written twice"
