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


def _post(client: TestClient, session: Session, collection: str, element: dict) -> dict:
    answer = client.post(f"{API}/{collection}", headers=session.headers(), params=PARAMS, json={collection: [element]})
    (found,) = answer.json()[collection]
    return found


def test_a_contacts_default_currency_is_kept_once_it_has_transactions(xero: tuple[TestClient, Session]) -> None:
    """Stricter than Xero documents (see `contacts._check_currency_kept`): set freely before the first transaction,
    refused after it, either way."""
    client, session = xero
    client.put(f"/_sandbox/tenants/{session.tenant_id}/currencies/USD")
    maple = create_contact(client, session, "Maple Co")
    moved = _post(client, session, "Contacts", {"ContactID": maple["ContactID"], "DefaultCurrency": "USD"})
    assert not _messages(moved) and moved["DefaultCurrency"] == "USD"
    usd = invoice(maple["ContactID"], [line("100", "NONE")], CurrencyCode="USD", CurrencyRate="0.740083")
    assert not _messages(_put(client, session, "Invoices", usd))
    back = _post(client, session, "Contacts", {"ContactID": maple["ContactID"], "DefaultCurrency": "CAD"})
    assert _messages(back) == [
        "The default currency of contact 'Maple Co' cannot be changed from USD to CAD: it has transactions."
    ]
    renamed = _post(client, session, "Contacts", {"ContactID": maple["ContactID"], "Name": "Maple & Co"})
    assert not _messages(renamed) and renamed["DefaultCurrency"] == "USD"


def test_a_foreign_credit_note_needs_a_rate_is_allocated_in_its_currency_and_refunded_at_its_own_rate(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    client.put(f"/_sandbox/tenants/{session.tenant_id}/currencies/USD")
    yankee = create_contact(client, session, "Yankee Co", DefaultCurrency="USD")
    note = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": yankee["ContactID"]},
        "Date": "2026-01-20",
        "Status": "AUTHORISED",
        "CurrencyCode": "USD",
        "LineItems": [line("50", "NONE")],
    }
    assert _messages(_put(client, session, "CreditNotes", note)) == [
        "A currency rate must be given for a document in USD."
    ]
    usd = _put(
        client,
        session,
        "Invoices",
        invoice(
            yankee["ContactID"], [line("100", "NONE")], Status="AUTHORISED", CurrencyCode="USD", CurrencyRate="0.740083"
        ),
    )
    made = _put(client, session, "CreditNotes", note | {"CurrencyRate": "0.740083"})
    assert (made["CurrencyCode"], made["CurrencyRate"], made["Total"]) == ("USD", 0.740083, 50.0)
    allocated = client.put(
        f"{API}/CreditNotes/{made['CreditNoteID']}/Allocations",
        headers=session.headers(),
        json={"Allocations": [{"Amount": 20, "Invoice": {"InvoiceID": usd["InvoiceID"]}, "Date": "2026-01-21"}]},
    )
    assert allocated.status_code == 200, allocated.text
    refunding = {
        "CreditNote": {"CreditNoteID": made["CreditNoteID"]},
        "Account": {"Code": "090"},
        "Amount": 30,
        "Date": "2026-01-25",
    }
    assert _messages(_put(client, session, "Payments", refunding)) == [
        "A currency rate must be given for a document in USD."
    ]
    refunded = _put(client, session, "Payments", refunding | {"CurrencyRate": "0.733676"})
    assert (refunded["Amount"], refunded["BankAmount"], refunded["CurrencyRate"]) == (30.0, 40.89, 0.733676)
