"""The notification automation on a real Prefect server: `setup-limits` creates it from the webhook setting, and
it calls a local receiver when a run parks new records and when a connection's authorization is refused."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ledger_sync.core.ledger import LedgerError
from ledger_sync.core.records import EntityType
from ledger_sync.core.runs import RunKind
from ledger_sync.core.sync_state import Parking, ParkingCause
from ledger_sync.core.tokens import AuthRejected, TokenSet
from ledger_sync.settings import Settings
from ledger_sync.stack import prepare_prefect
from ledger_sync.state.activity import newly_parked
from ledger_sync.state.store import StateStore
from ledger_sync.state.sync_events import NEEDS_RECONNECT_EVENT, PARKED_EVENT, emit_parked
from ledger_sync.state.tokens import StoredTokenProvider, TokenCipher
from tests.prefect_e2e.conftest import PrefectStack
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A webhook receiver on 127.0.0.1 keeping every JSON body posted to it."""
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/ledger-sync", received
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _events_to(api_url: str) -> Iterator[None]:
    """This test's events go to its own Prefect server: an events worker an earlier test left in this process (on
    the session's ephemeral server, or on a server stopped since) is keyed by its client type alone and would carry
    them there, so a worker bound to `api_url` is used while the block lasts."""
    from prefect.events.clients import PrefectEventsClient
    from prefect.events.worker import EventsWorker

    EventsWorker.set_client_override(PrefectEventsClient, api_url=api_url)
    try:
        yield
    finally:
        EventsWorker.set_client_override(None)


def _refused(_refresh_token: str) -> TokenSet:
    raise AuthRejected("invalid_grant")


def test_the_automation_calls_the_webhook_on_new_parked_records_and_on_needs_reconnect(
    prefect_stack: PrefectStack,
    receiver: tuple[str, list[dict[str, str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from prefect.client.orchestration import get_client

    url, received = receiver
    monkeypatch.setenv("LEDGER_SYNC_HOME", str(tmp_path))
    monkeypatch.setenv("LEDGER_SYNC_NOTIFY_WEBHOOK_URL", url)
    settings = Settings()
    store = StateStore.open(settings)
    try:
        cipher = TokenCipher(Fernet.generate_key())
        expired = TokenSet("access", "refresh", datetime.now(UTC) - timedelta(minutes=1))
        connection_id = store.connect(7, "qbo", "realm-7", expired, cipher)
        assert "automation ledger-sync-notifications (webhook block ledger-sync-notify)" in prepare_prefect(settings)
        with get_client(sync_client=True) as client:
            assert [a.name for a in client.read_automations_by_name("ledger-sync-notifications")] == [
                "ledger-sync-notifications"
            ]

        with _events_to(prefect_stack.api_url):
            run_id = store.start_run(connection_id, RunKind.SYNC)
            reason = "QuickBooks Online refused this customer: Duplicate Name Exists Error"
            store.record_batch(connection_id, EntityType.CUSTOMER, parked=[Parking(42, ParkingCause.LEDGER, reason)])
            # as report_run does
            emit_parked(connection_id, 7, "qbo", run_id, newly_parked(store, connection_id, run_id))
            with pytest.raises(LedgerError, match="reconnect the ledger"):
                StoredTokenProvider(store.sessions, connection_id, cipher, _refused).access_token()

            def both() -> dict[str, dict[str, str]] | None:
                by_event = {body["event"]: body for body in received}
                return by_event if {PARKED_EVENT, NEEDS_RECONNECT_EVENT} <= set(by_event) else None

            bodies = wait_for(both, "the webhook to receive both notifications")
    finally:
        store.close()
    parked = bodies[PARKED_EVENT]
    assert (parked["company_id"], parked["ledger"]) == ("7", "qbo")
    assert parked["text"] == f"1 new parked: customer 42: {reason}"
    reconnect = bodies[NEEDS_RECONNECT_EVENT]
    assert reconnect["text"].startswith("qbo of company 7 needs reconnecting: the qbo authorization was refused")
