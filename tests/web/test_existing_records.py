"""The Existing records review page over a live QBO sandbox that already holds some of the customers: matching by
its button, proposals listed with their score and reason (escaped), accept all exact, link to another record,
create new; CSRF on every form; nothing linked before an accept."""

import html

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import Customer
from ledger_sync.core.records import EntityType
from ledger_sync.ledger_access import open_ledger
from ledger_sync.state.db import make_engine
from tests.ledgers.by_hand import enter
from tests.matching_set import LedgerEntry
from tests.web.stack import WebStack, connect, csrf_of

PAGE = "/settings/integrations/accounting/qbo/existing-records?company=1"
ACTIONS = "/integrations/accounting/qbo/existing-records"
HOSTILE = "<b>Bold</b> & Sons"


def _prefill(stack: WebStack) -> dict[str, str]:
    """Rename one Service Opus customer to a name holding markup; enter that name, another customer's exact name,
    a third's in capitals and a stranger in the ledger by hand. Their ledger ids by key."""
    engine = make_engine(stack.settings.resolved_source_url)
    customers = ServiceOpusSource(engine).customers_changed(1, after=None, limit=4).records
    with Session(engine) as session, session.begin():
        session.execute(update(Customer).where(Customer.id == customers[0].id).values(display_name=HOSTILE))
    engine.dispose()
    store = stack.store()
    connector = open_ledger(stack.settings, store, stack.connection())
    try:
        entries = [
            LedgerEntry("hostile", HOSTILE),
            LedgerEntry("exact", customers[1].display_name),
            LedgerEntry("variant", customers[2].display_name.upper()),
            LedgerEntry("variant2", f"  {customers[3].display_name.lower()} "),
            LedgerEntry("other", "Someone Else Entirely"),
        ]
        return enter(connector, EntityType.CUSTOMER, entries)
    finally:
        connector.close()
        store.close()


def _linked(stack: WebStack) -> set[int]:
    store = stack.store()
    try:
        return store.synced_ids(stack.connection().id, EntityType.CUSTOMER)
    finally:
        store.close()


def test_review_find_accept_pick_and_create_new(stack: WebStack, client: TestClient) -> None:
    assert connect(client).status_code == 200
    ids = _prefill(stack)
    page = client.get(PAGE)
    assert "Nothing to review" in page.text
    token = csrf_of(page.text)
    assert client.post(f"{ACTIONS}/match", data={"company": "1"}).status_code == 403, "a form without its CSRF token"

    found = client.post(f"{ACTIONS}/match", data={"company": "1", "csrf_token": token})
    assert "may already hold 4 of your customers" in found.text
    assert HOSTILE not in found.text and html.escape(HOSTILE, quote=False) in found.text, "names are escaped"
    assert found.text.count('data-testid="proposal"') == 4
    assert "Accept all exact matches (2)" in found.text and "Same name apart from case" in found.text
    assert _linked(stack) == set(), "nothing is linked before an accept"

    accepted = client.post(f"{ACTIONS}/accept-exact", data={"company": "1", "csrf_token": token})
    assert "Every exact match is linked." in accepted.text
    assert accepted.text.count('data-testid="proposal"') == 2 and len(_linked(stack)) == 2
    proposal, other_proposal = [
        line.split(f"{ACTIONS}/")[1].split("/")[0] for line in accepted.text.splitlines() if "/pick" in line
    ]

    wrong = client.post(
        f"{ACTIONS}/{proposal}/pick", data={"company": "1", "csrf_token": token, "ledger_record": "Nobody"}
    )
    assert "QuickBooks Online has no customer named 'Nobody' free to link" in html.unescape(wrong.text)
    picked = client.post(
        f"{ACTIONS}/{proposal}/pick",
        data={"company": "1", "csrf_token": token, "ledger_record": "someone else entirely"},
    )
    assert "Linked to 'someone else entirely'." in html.unescape(picked.text)
    created = client.post(f"{ACTIONS}/{other_proposal}/create-new", data={"company": "1", "csrf_token": token})
    assert "created as a new record by the next sync" in created.text and "Nothing to review" in created.text
    store = stack.store()
    try:
        mapped = store.mapped(stack.connection().id, EntityType.CUSTOMER, _linked(stack))
        assert ids["other"] in {m.ledger_id for m in mapped.values()}
        assert ids["variant"] not in {m.ledger_id for m in mapped.values()}
    finally:
        store.close()

    again = client.post(f"{ACTIONS}/match", data={"company": "1", "csrf_token": token})
    assert "No customer or item of yours found" in again.text, "a decided record is not proposed again"
    assert len(_linked(stack)) == 3
