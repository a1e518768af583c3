"""A small in-memory stand-in for Xero's accounting API, for connector tests over MockTransport.

It answers writes element by element (`summarizeErrors=false` shape) and computes an invoice's totals
Xero's way: each LineAmount is Quantity x UnitAmount to the cent, each line's tax the TaxAmount given or
else its own rounded half-up to the cent. `total_skew` makes it round otherwise.
"""

import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

from .conftest import ACCOUNTS, body_of, xero_answer

RATES = {"OUTPUT": Decimal("5"), "TAX001": Decimal("13"), "NONE": Decimal("0")}
CENT = Decimal("0.01")


class FakeXero:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {
            "SO-I11": {"Code": "SO-I11", "SalesDetails": {"AccountCode": "200"}},
            "SO-I12": {"Code": "SO-I12", "SalesDetails": {"AccountCode": "260"}},
        }
        self.refuse: dict[int, str] = {}
        """Element position -> validation message for the next write."""
        self.total_skew = Decimal(0)
        """Added to every answered invoice total, as if Xero rounded otherwise (it does so consistently)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        collection = request.url.path.rsplit("/", 1)[-1]
        if request.method == "GET":
            docs = {"Accounts": ACCOUNTS, "Items": list(self.items.values())}.get(collection, [])
            return xero_answer(collection, docs)
        elements = body_of(request)[collection]
        return xero_answer(collection, [self._save(collection, i, e) for i, e in enumerate(elements)])

    def _save(self, collection: str, position: int, element: dict[str, Any]) -> dict[str, Any]:
        if position in self.refuse:
            message = self.refuse[position]
            return {**element, "HasErrors": True, "ValidationErrors": [{"Message": message}]}
        saved = dict(element)
        if collection == "Invoices":
            amounts = [
                (Decimal(str(line["Quantity"])) * Decimal(str(line["UnitAmount"]))).quantize(CENT, ROUND_HALF_UP)
                for line in element["LineItems"]
            ]
            taxes = [
                Decimal(str(line["TaxAmount"]))
                if "TaxAmount" in line
                else (amount * RATES[line["TaxType"]] / 100).quantize(CENT, ROUND_HALF_UP)
                for line, amount in zip(element["LineItems"], amounts, strict=True)
            ]
            total_tax = sum(taxes, Decimal("0.00"))
            total = sum(amounts, Decimal("0.00")) + total_tax
            invoice_id = element.get("InvoiceID") or str(uuid.uuid4())
            total += self.total_skew
            saved |= {"InvoiceID": invoice_id, "Total": total, "TotalTax": total_tax}
        id_field = {"Contacts": "ContactID", "Payments": "PaymentID", "Items": "ItemID"}.get(collection)
        if id_field:
            saved[id_field] = element.get(id_field) or str(uuid.uuid4())
        if collection == "Items":
            self.items[element["Code"]] = saved
        return saved
