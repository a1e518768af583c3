"""Xero's lock dates in the sandbox: shown by `GET /Organisation` only when set, and binding every invoice,
credit note and payment dated on or before the later one, with Xero's own wording (which the connector types
`LOCKED`)."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_sync.connectors.xero.wire import element_error
from ledger_sync.core.ledger import ErrorKind

from .helpers import API, Session, create_contact, invoice, line, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _lock(client: TestClient, session: Session, **dates: str | None) -> None:
    answer = client.put(f"/_sandbox/tenants/{session.tenant_id}/lock-dates", json=dates)
    assert answer.status_code == 200, answer.text


def test_the_organisation_shows_its_lock_dates_only_when_set(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    (org,) = client.get(f"{API}/Organisation", headers=session.headers()).json()["Organisations"]
    assert org["OrganisationID"] == session.tenant_id and org["BaseCurrency"] == "CAD"
    assert "PeriodLockDate" not in org and "EndOfYearLockDate" not in org
    _lock(client, session, PeriodLockDate="2026-01-31", EndOfYearLockDate="2025-12-31")
    (org,) = client.get(f"{API}/Organisation", headers=session.headers()).json()["Organisations"]
    assert (org["PeriodLockDate"], org["EndOfYearLockDate"]) == (
        "/Date(1769817600000+0000)/",
        "/Date(1767139200000+0000)/",
    )
    assert client.put("/_sandbox/tenants/nobody/lock-dates", json={}).status_code == 404


def test_documents_dated_on_or_before_the_lock_date_are_neither_written_nor_edited(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact = create_contact(client, session, "Locked Co")
    january = client.put(
        f"{API}/Invoices", headers=session.headers(), json={"Invoices": [invoice(contact["ContactID"], [line("10")])]}
    ).json()["Invoices"][0]
    _lock(client, session, PeriodLockDate="2026-01-31")
    params = {"summarizeErrors": "false"}
    on_the_date = invoice(contact["ContactID"], [line("10")], Date="2026-01-31")
    edit = {"InvoiceID": january["InvoiceID"], "LineItems": [line("12")]}
    moved_out = {"InvoiceID": january["InvoiceID"], "Date": "2026-02-02"}
    for method, element in (("PUT", on_the_date), ("POST", edit), ("POST", moved_out)):
        answer = client.request(
            method, f"{API}/Invoices", headers=session.headers(), params=params, json={"Invoices": [element]}
        )
        (refused,) = answer.json()["Invoices"]
        message = refused["ValidationErrors"][0]["Message"]
        assert message == "The document date cannot be before the period lock date, currently set at 31-Jan-2026"
        error = element_error(refused)
        assert error is not None and error.kind is ErrorKind.LOCKED
    february = invoice(contact["ContactID"], [line("10")], Date="2026-02-01")
    taken = client.put(f"{API}/Invoices", headers=session.headers(), params=params, json={"Invoices": [february]})
    assert taken.json()["Invoices"][0]["StatusAttributeString"] == "OK"
    _lock(client, session, PeriodLockDate=None)
    reopened = client.post(f"{API}/Invoices", headers=session.headers(), params=params, json={"Invoices": [edit]})
    assert reopened.json()["Invoices"][0]["StatusAttributeString"] == "OK"
