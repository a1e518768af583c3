"""The one-call-per-record peer: the same Service Opus data written to the QBO sandbox the way a hand-written
integration on the official python-quickbooks SDK does it, one `create_object` call per record, against ours.

For a like-for-like comparison the peer reuses everything of ours but the writing: the same records, bodies,
order and checks; only the writes go one record per call through the SDK (`QuickBooks.create_object`, with a
`requestid`), as a ledger plug-in of its own (`qbo-peer`) registered for this process only. A 401 refreshes the
token and retries; a 429 waits QBO's minute, as Intuit asks. Prints its API calls and sandbox minutes.

    .venv/bin/python bench/peer.py --invoices 2000 --time-scale 4
"""

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the SDK's session refuses plain HTTP, which the local sandbox speaks

from quickbooks import QuickBooks  # type: ignore[import-untyped]
from quickbooks.exceptions import AuthorizationException, QuickbooksException  # type: ignore[import-untyped]

from bench.harness import (
    CallFigures,
    connect,
    emit,
    minimum_calls,
    request_log,
    sandbox_process,
    seed_source,
    warm_prefect,
)
from ledger_sync.connectors.jsonnum import dumps
from ledger_sync.connectors.qbo.config import QboConfig
from ledger_sync.connectors.qbo.connector import QboConnector, _batch_outcome, _element_failure
from ledger_sync.connectors.qbo.wire import QBO_ENTITY
from ledger_sync.connectors.registry import get, registered
from ledger_sync.core.ledger import ErrorKind, LedgerConnector, LedgerError, LedgerRef, WriteOp, WriteOutcome
from ledger_sync.core.records import EntityType
from ledger_sync.core.tokens import TokenProvider
from ledger_sync.settings import Settings

PEER = "qbo-peer"
THROTTLED = 3001
"""QBO's ThrottleExceeded fault code (HTTP 429)."""


class LocalQuickBooks(QuickBooks):  # type: ignore[misc]
    """The SDK pointed at the local sandbox (it knows only Intuit's two hosts)."""

    local_api: str = ""

    @property
    def api_url(self) -> str:
        return self.local_api


class SdkPerRecord(QboConnector):
    """Our QBO connector with every write sent alone through python-quickbooks."""

    max_batch_size = 1

    def __init__(self, config: QboConfig, realm_id: str, tokens: TokenProvider) -> None:
        super().__init__(config, realm_id, tokens)
        self._tokens = tokens
        self._minute = config.minute_seconds
        self._sdk = self._session(tokens.access_token())

    def _session(self, access_token: str) -> QuickBooks:
        """The SDK's session on `access_token`. Its OAuth client (intuitlib's `AuthClient`) reads Intuit's discovery
        document when built, so the SDK gets a stand-in with what it reads of one: the tokens come from ours."""
        config = QboConfig.from_settings(Settings())
        auth = SimpleNamespace(
            client_id=config.client_id, access_token=access_token, refresh_token="unused", environment="sandbox"
        )
        LocalQuickBooks.local_api = f"{config.api_base}/v3"
        return LocalQuickBooks(auth_client=auth, refresh_token="unused", company_id=self.realm_id, minorversion=75)

    def _write_one(
        self, entity_type: EntityType, op: WriteOp, existing: LedgerRef | None, request_id: str
    ) -> WriteOutcome:
        name = QBO_ENTITY[entity_type]
        body = dumps(self._body(op, existing))
        send: Callable[[QuickBooks], dict[str, Any]] = (
            (lambda qb: qb.update_object(name, body, request_id=request_id))
            if existing
            else (lambda qb: qb.create_object(name, body, request_id=request_id))
        )
        try:
            answer = self._patient(send)
        except QuickbooksException as refused:
            return _element_failure(op, LedgerError(ErrorKind.VALIDATION, f"{refused.message}: {refused.detail}"))
        return _batch_outcome(op, name, answer)

    def _patient(self, send: Callable[[QuickBooks], dict[str, Any]]) -> dict[str, Any]:
        """A 401 refreshes the token once; a throttle (Fault 3001) waits QBO's minute, as Intuit asks."""
        refreshed = False
        while True:
            try:
                return send(self._sdk)
            except AuthorizationException as refused:
                if refused.error_code != 401 or refreshed:
                    raise
                self._sdk = self._session(self._tokens.refreshed_access_token(self._sdk.session.access_token))
                refreshed = True
            except QuickbooksException as refused:
                if refused.error_code != THROTTLED:
                    raise
                time.sleep(self._minute)


def _open_peer(settings: Settings, realm_id: str, tokens: TokenProvider) -> LedgerConnector:
    return SdkPerRecord(QboConfig.from_settings(settings), realm_id, tokens)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000)
    parser.add_argument("--time-scale", type=float, default=4.0, help="Sandbox seconds per real second.")
    parser.add_argument("--json", action="store_true", help="Print the figures as one JSON object.")
    args = parser.parse_args()
    qbo = get("qbo")
    peer = dataclasses.replace(
        qbo,
        name=PEER,
        label=f"{qbo.label} (SDK, one call per record)",
        max_batch_size=1,
        limits=dataclasses.replace(qbo.limits, ledger=PEER, label=f"{qbo.label} (SDK, one call per record)"),
        open_connector=_open_peer,
    )
    with registered(peer), tempfile.TemporaryDirectory(prefix="peer-bench-") as folder:
        from ledger_sync.flows.sync import sync_company

        home = Path(folder)
        seed_source(home, args.invoices)
        with sandbox_process("qbo", home, args.time_scale) as sandbox:
            connect(home, PEER)
            warm_prefect()
            since = len(request_log(sandbox.base_url))
            started = time.perf_counter()
            summary = sync_company(company_id=1, ledger=PEER)
            seconds = time.perf_counter() - started
            log = request_log(sandbox.base_url)[since:]
    entities: dict[str, dict[str, int]] = summary["entities"]  # type: ignore[assignment]
    written = {name: counts["created"] + counts["updated"] for name, counts in entities.items()}
    calls = CallFigures.of("qbo", log, written, minimum_calls(written, 1))
    emit(
        {
            "invoices": args.invoices,
            "outcome": summary["outcome"],
            "records": sum(written.values()),
            "api_calls": calls.calls,
            "answered_401": calls.unauthorized,
            "answered_429": calls.throttled,
            "sandbox_minutes": calls.sandbox_minutes,
            "wall_seconds": seconds,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
