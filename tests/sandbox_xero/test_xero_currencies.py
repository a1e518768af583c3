"""Currencies in the sandbox Xero organisation: CAD only until a bookkeeper enables another (`GET /Currencies`
lists them); a contact, invoice or payment in a currency not enabled is refused, a foreign one needs a
`CurrencyRate` of at most 6 places (foreign units per base unit), a base one takes none but 1, and a foreign
payment lands in the CAD bank account at its own rate (`BankAmount`)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session

PARAMS = {"summarizeErrors": "false"}


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _put(client: TestClient, session: Session, collection: str, element: dict) -> dict:
    answer = client.put(f"{API}/{collection}", headers=session.headers(), params=PARAMS, json={collection: [element]})
    (found,) = answer.json()[collection]
    return found


def _messages(element: dict) -> list[str]:
    return [error["Message"] for error in element.get("ValidationErrors") or []]


def test_a_currency_is_taken_once_enabled_and_listed(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    listed = client.get(f"{API}/Currencies", headers=session.headers()).json()["Currencies"]
    assert [c["Code"] for c in listed] == ["CAD"]
    early = _put(client, session, "Contacts", {"Name": "Yankee Co", "DefaultCurrency": "USD"})
    assert _messages(early) == ["Organisation is not subscribed to currency USD"]
    assert client.put(f"/_sandbox/tenants/{session.tenant_id}/currencies/USD").status_code == 200
    listed = client.get(f"{API}/Currencies", headers=session.headers()).json()["Currencies"]
    assert [c["Code"] for c in listed] == ["CAD", "USD"]
    assert create_contact(client, session, "Yankee Co", DefaultCurrency="USD")["DefaultCurrency"] == "USD"


def test_a_foreign_invoice_and_payment_need_a_rate_of_six_places_and_the_payment_lands_at_home(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    client.put(f"/_sandbox/tenants/{session.tenant_id}/currencies/USD")
    yankee = create_contact(client, session, "Yankee Co", DefaultCurrency="USD")
    home = create_contact(client, session, "Maple Co")
    usd = invoice(yankee["ContactID"], [line("100", "NONE")], Status="AUTHORISED", CurrencyCode="USD")
    assert _messages(_put(client, session, "Invoices", usd)) == ["A currency rate must be given for a document in USD."]
    fine = _put(client, session, "Invoices", usd | {"CurrencyRate": "0.7400831"})
    assert _messages(fine) == ["CurrencyRate must be a number above zero with at most 6 decimal places."]
    stray = invoice(home["ContactID"], [line("100", "NONE")], CurrencyCode="USD", CurrencyRate="0.740083")
    assert "is billed in CAD, not USD" in _messages(_put(client, session, "Invoices", stray))[0]
    cad = invoice(home["ContactID"], [line("100", "NONE")], CurrencyRate="0.9")
    assert _messages(_put(client, session, "Invoices", cad)) == ["The currency rate of a CAD document must be 1."]
    made = _put(client, session, "Invoices", usd | {"CurrencyRate": "0.740083"})
    assert (made["CurrencyCode"], made["CurrencyRate"], made["Total"]) == ("USD", 0.740083, 100.0)
    paying = {
        "Invoice": {"InvoiceID": made["InvoiceID"]},
        "Account": {"Code": "090"},
        "Amount": 100,
        "Date": "2026-02-01",
    }
    assert _messages(_put(client, session, "Payments", paying)) == [
        "A currency rate must be given for a document in USD."
    ]
    paid = _put(client, session, "Payments", paying | {"CurrencyRate": "0.733676"})
    assert (paid["Amount"], paid["BankAmount"], paid["CurrencyRate"]) == (100.0, 136.30, 0.733676)
