"""QBO's payment methods: a payment names the method it was paid by (`PaymentMethodRef`, a PaymentMethod list
entity), where QBO's reports and deposit screen show it.

Each Service Opus method is recorded as the QBO method of one fixed name. A company that lacks it gets it created
once: the list is read once per connector, and the create's `requestid` derives from the realm and the name, so a
create whose answer was lost is replayed by QBO, not duplicated; the list is read again before that create is sent
again (it is most likely made: found, nothing is sent). When the name is taken by an inactive method (a
bookkeeper retired it), nothing is created and the payment goes without one: its method is still in `PrivateNote`.
"""

import hashlib
from typing import Any

from ledger_sync.connectors.qbo.client import QboClient
from ledger_sync.connectors.qbo.query import ALL_ACTIVE_STATES, select_all
from ledger_sync.core.ledger import ErrorKind, LedgerError

NAMES = {"card": "Credit Card", "cash": "Cash", "check": "Check", "ach": "ACH"}
"""Service Opus method -> the QBO PaymentMethod it is recorded as (QBO names are at most 31 characters)."""


class PaymentMethods:
    """The company's payment methods by name (case-insensitive, as QBO compares names), read once."""

    def __init__(self, client: QboClient, realm_id: str) -> None:
        self._client = client
        self._realm_id = realm_id
        self._by_name: dict[str, dict[str, Any]] | None = None

    def ref_of(self, method: str) -> str | None:
        """The Id of the active PaymentMethod `method` is recorded as (created when missing); None when the name
        belongs to an inactive one."""
        if self._by_name is None:
            listed = select_all(self._client, "PaymentMethod", ALL_ACTIVE_STATES)
            self._by_name = {str(found.get("Name", "")).casefold(): found for found in listed}
        name = NAMES[method]
        found = self._by_name.get(name.casefold())
        if found is None:
            body = {"Name": name, "Type": "CREDIT_CARD" if method == "card" else "NON_CREDIT_CARD"}
            key = hashlib.sha256(f"payment-method\x1f{self._realm_id}\x1f{name}".encode()).hexdigest()[:36]
            try:
                found = self._client.post("paymentmethod", body, request_id=key)["PaymentMethod"]
            except LedgerError as error:
                if error.kind is ErrorKind.UNAVAILABLE:
                    self._by_name = None  # the outcome is unknown: look it up before any resend
                raise
            self._by_name[name.casefold()] = found
        return str(found["Id"]) if found.get("Active", True) else None
