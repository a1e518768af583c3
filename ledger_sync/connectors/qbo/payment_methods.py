"""QBO's payment methods: a payment names the method it was paid by (`PaymentMethodRef`, a PaymentMethod list
entity), where QBO's reports and deposit screen show it.

Each Service Opus method is recorded as the QBO method of one fixed name. A company that lacks it gets it created
once: the list is read once per connector, and the create's `requestid` derives from the realm and the name, so a
create whose answer was lost is replayed by QBO, not duplicated; the list is read again before that create is sent
again (it is most likely made: found, nothing is sent). When the name is taken by an inactive method (a
bookkeeper retired it), nothing is created and the payment goes without one: its method is still in `PrivateNote`.
"""

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from ledger_sync.connectors.qbo.client import QboClient, batch_answers, batch_request
from ledger_sync.connectors.qbo.query import ALL_ACTIVE_STATES, Queryable, select_all
from ledger_sync.core.ledger import ErrorKind, LedgerError

NAMES = {"card": "Credit Card", "cash": "Cash", "check": "Check", "ach": "ACH"}
"""Service Opus method -> the QBO PaymentMethod it is recorded as (QBO names are at most 31 characters)."""


class PaymentMethods:
    """The company's payment methods by name (case-insensitive, as QBO compares names), read once."""

    def __init__(self, client: QboClient, realm_id: str, reads: Queryable | None = None) -> None:
        """`reads`: where the list is read (the client itself, or the queries it reads ahead)."""
        self._client = client
        self._reads = reads or client
        self._realm_id = realm_id
        self._by_name: dict[str, dict[str, Any]] | None = None

    def ensure(self, methods: Iterable[str]) -> None:
        """Create in one `/batch` call the methods of `methods` the company lacks, when they are several (a batch's
        payments name them through `ref_of`, which finds them then; a lone one it creates itself). An item QBO
        refuses is left to `ref_of`, which sends it alone and meets the refusal as before."""
        wanted = {NAMES[method] for method in methods}
        if len(wanted) < 2:
            return
        by_name = self._listed()
        missing = sorted(name for name in wanted if name.casefold() not in by_name)
        if len(missing) < 2:
            return
        request = batch_request([{"operation": "create", "PaymentMethod": _body(name)} for name in missing])
        answer = self._created(lambda: self._client.post("batch", request, request_id=_key(self._realm_id, *missing)))
        for item in batch_answers(answer, len(missing)):
            made = (item or {}).get("PaymentMethod")
            if isinstance(made, dict):
                by_name[str(made.get("Name", "")).casefold()] = made

    def ref_of(self, method: str) -> str | None:
        """The Id of the active PaymentMethod `method` is recorded as (created when missing); None when the name
        belongs to an inactive one."""
        by_name = self._listed()
        name = NAMES[method]
        found = by_name.get(name.casefold())
        if found is None:
            body = _body(name)
            found = self._created(
                lambda: self._client.post("paymentmethod", body, request_id=_key(self._realm_id, name))
            )["PaymentMethod"]
            by_name[name.casefold()] = found
        return str(found["Id"]) if found.get("Active", True) else None

    def _listed(self) -> dict[str, dict[str, Any]]:
        if self._by_name is None:
            listed = select_all(self._reads, "PaymentMethod", ALL_ACTIVE_STATES)
            self._by_name = {str(found.get("Name", "")).casefold(): found for found in listed}
        return self._by_name

    def _created(self, create: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """`create`'s answer; when its outcome is unknown, the list is read again before any resend."""
        try:
            return create()
        except LedgerError as error:
            if error.kind is ErrorKind.UNAVAILABLE:
                self._by_name = None
            raise


def _body(name: str) -> dict[str, str]:
    return {"Name": name, "Type": "CREDIT_CARD" if name == NAMES["card"] else "NON_CREDIT_CARD"}


def _key(realm_id: str, *names: str) -> str:
    """The create's `requestid`, from the realm and the names: a lost answer's resend is replayed, not duplicated."""
    return hashlib.sha256("\x1f".join(("payment-method", realm_id, *names)).encode()).hexdigest()[:36]
