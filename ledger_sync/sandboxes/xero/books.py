"""One organisation's records as the accounting rules see them: look-ups, saving, the sandbox date."""

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.xero import balances, wire
from ledger_sync.sandboxes.xero.store import Store

ID_FIELDS = {
    "Accounts": "AccountID",
    "TaxRates": "TaxType",
    "Contacts": "ContactID",
    "Items": "ItemID",
    "Invoices": "InvoiceID",
    "Payments": "PaymentID",
    "CreditNotes": "CreditNoteID",
    "BankTransactions": "BankTransactionID",
    "BankTransfers": "BankTransferID",
    "Prepayments": "PrepaymentID",
    "Overpayments": "OverpaymentID",
    "Organisation": "OrganisationID",
    "TrackingCategories": "TrackingCategoryID",
    "Currencies": "Code",
}
"""The key each collection's documents are stored under (the organisation's settings: one, by its tenant)."""

ALT_KEYS = {
    "Accounts": "Code",
    "Contacts": "ContactNumber",
    "Items": "Code",
    "Invoices": "InvoiceNumber",
    "CreditNotes": "CreditNoteNumber",
}
"""The human key Xero also accepts in place of the id (e.g. `GET /Invoices/INV-0001`)."""


class Invalid(Exception):
    """An element breaks Xero's rules; `messages` become its ValidationErrors."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


class Books:
    def __init__(self, store: Store, clock: ScaledClock, tenant: str) -> None:
        self.store = store
        self.clock = clock
        self.tenant = tenant

    def all(self, collection: str) -> list[dict[str, Any]]:
        return self.store.all(self.tenant, collection)

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        return self.store.get(self.tenant, collection, doc_id)

    def find(self, collection: str, key: object) -> dict[str, Any] | None:
        """By id, else by the collection's human key (case-insensitive, as Xero matches them)."""
        if not isinstance(key, str) or not key:
            return None
        found = self.get(collection, key) or self.get(collection, key.lower())
        if found is not None or collection not in ALT_KEYS:
            return found
        return next(iter(self.store.matching(self.tenant, collection, ALT_KEYS[collection], key)), None)

    def next_number(self, collection: str, prefix: str) -> str:
        """The number Xero gives a document sent without one: `INV-0042` after 41 documents, skipping used ones."""
        field = ALT_KEYS[collection]
        number_ = self.store.count(self.tenant, collection) + 1
        while self.store.matching(self.tenant, collection, field, f"{prefix}-{number_:04d}"):
            number_ += 1
        return f"{prefix}-{number_:04d}"

    def save(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        doc["UpdatedDateUTC"] = self.stamp()
        doc_id = doc[ID_FIELDS[collection]]
        if collection in ("Payments", "BankTransactions"):
            self._post(balances.change(collection, doc, self.get(collection, doc_id)))
        self.store.put(self.tenant, collection, doc_id, doc)
        return doc

    def _post(self, moves: dict[balances.Move, Decimal]) -> None:
        """Add each move to its account's running received or spent money (`balances`)."""
        for (account_id, way), amount in moves.items():
            held = self.get(balances.COLLECTION, account_id) or {
                "AccountID": account_id,
                balances.RECEIVED: Decimal("0.00"),
                balances.SPENT: Decimal("0.00"),
            }
            held[way] = Decimal(held[way]) + amount
            self.store.put(self.tenant, balances.COLLECTION, account_id, held)

    def stamp(self) -> str:
        return wire.ms_date(self.clock.now())

    def instant(self) -> str:
        return wire.ms_instant(self.clock.now())

    def today(self) -> date:
        return self.clock.now().date()

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())
