"""Sales credit notes in the Xero sandbox: created like invoices, allocated to invoices within both balances."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import API, Session, create_contact, invoice, line, xero_session


@pytest.fixture
def xero(tmp_path: Path) -> tuple[TestClient, Session]:
    return xero_session(tmp_path)


def _credit_note(contact_id: str, lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": contact_id},
        "LineItems": lines,
        "Date": "2026-01-20",
        **fields,
    }


def _create(client: TestClient, session: Session, collection: str, element: dict[str, Any]) -> dict[str, Any]:
    answer = client.put(f"{API}/{collection}", headers=session.headers(), json={collection: [element]})
    assert answer.status_code == 200, answer.text
    return answer.json()[collection][0]


def _allocate(client: TestClient, session: Session, note_id: str, invoice_id: str, amount: str, **headers: str):
    body = {"Allocations": [{"Amount": float(amount), "Invoice": {"InvoiceID": invoice_id}, "Date": "2026-01-21"}]}
    return client.put(f"{API}/CreditNotes/{note_id}/Allocations", headers=session.headers(**headers), json=body)


def test_a_credit_note_is_priced_like_an_invoice_and_holds_its_remaining_credit(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    assert note["Type"] == "ACCRECCREDIT" and note["Status"] == "AUTHORISED"
    assert (note["SubTotal"], note["TotalTax"], note["Total"], note["RemainingCredit"]) == (40, 2, 42, 42)
    assert note["CreditNoteNumber"] == "CN-0001"
    found = client.get(f"{API}/CreditNotes", headers=session.headers(), params={"where": 'Reference=="SO-N1"'})
    assert found.json()["CreditNotes"] == []
    fetched = client.get(f"{API}/CreditNotes/{note['CreditNoteID']}", headers=session.headers()).json()
    assert fetched["CreditNotes"][0]["Total"] == 42


def test_credit_note_refusals_type_negative_total_and_duplicate_number(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    bad = [
        {**_credit_note(contact["ContactID"], [line("10.00")]), "Type": "ACCPAYCREDIT"},
        _credit_note(contact["ContactID"], [line("-10.00")], Status="AUTHORISED"),
    ]
    answer = client.put(
        f"{API}/CreditNotes", headers=session.headers(), params={"summarizeErrors": "false"}, json={"CreditNotes": bad}
    )
    assert answer.status_code == 200
    wrong_type, negative = answer.json()["CreditNotes"]
    assert wrong_type["HasErrors"] is True and "ACCRECCREDIT" in wrong_type["ValidationErrors"][0]["Message"]
    assert "below zero" in negative["ValidationErrors"][0]["Message"]
    _create(client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("10.00")], CreditNoteNumber="C1"))
    again = client.put(
        f"{API}/CreditNotes",
        headers=session.headers(),
        json={"CreditNotes": [_credit_note(contact["ContactID"], [line("5.00")], CreditNoteNumber="C1")]},
    )
    assert again.status_code == 400 and "must be unique" in again.text


def test_allocations_reduce_amount_due_and_remaining_credit_and_refuse_too_much(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    bill = _create(client, session, "Invoices", invoice(contact["ContactID"], [line("100.00")], Status="AUTHORISED"))
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    too_much = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "42.01")
    assert too_much.status_code == 400 and too_much.json()["Type"] == "ValidationException"
    assert "credit remaining" in too_much.text
    made = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "30.00")
    assert made.status_code == 200, made.text
    assert made.json()["Allocations"][0]["Amount"] == 30
    after = client.get(f"{API}/Invoices/{bill['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (after["AmountCredited"], after["AmountDue"], after["Status"]) == (30, 75, "AUTHORISED")
    credit = client.get(f"{API}/CreditNotes/{note['CreditNoteID']}", headers=session.headers()).json()
    held = credit["CreditNotes"][0]
    assert (held["RemainingCredit"], held["AppliedAmount"], len(held["Allocations"])) == (12, 30, 1)
    other = create_contact(client, session, "Someone Else")
    theirs = _create(client, session, "Invoices", invoice(other["ContactID"], [line("5.00")], Status="AUTHORISED"))
    wrong_contact = _allocate(client, session, note["CreditNoteID"], theirs["InvoiceID"], "1.00")
    assert wrong_contact.status_code == 400 and "same contact" in wrong_contact.text


def test_an_allocation_over_the_amount_due_is_refused_and_one_to_zero_pays_the_invoice(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    bill = _create(client, session, "Invoices", invoice(contact["ContactID"], [line("20.00")], Status="AUTHORISED"))
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    over = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "21.01")
    assert over.status_code == 400 and "amount due" in over.text
    assert _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "21.00").status_code == 200
    after = client.get(f"{API}/Invoices/{bill['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (after["AmountDue"], after["Status"]) == (0, "PAID")
    draft = _create(client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("1.00")]))
    bill2 = _create(client, session, "Invoices", invoice(contact["ContactID"], [line("20.00")], Status="AUTHORISED"))
    unapproved = _allocate(client, session, draft["CreditNoteID"], bill2["InvoiceID"], "1.00")
    assert unapproved.status_code == 400 and "must be AUTHORISED" in unapproved.text


def test_an_allocation_is_made_once_per_idempotency_key(xero: tuple[TestClient, Session]) -> None:
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    bill = _create(client, session, "Invoices", invoice(contact["ContactID"], [line("100.00")], Status="AUTHORISED"))
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    first = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "10.00", **{"Idempotency-Key": "k1"})
    replay = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "10.00", **{"Idempotency-Key": "k1"})
    assert first.status_code == replay.status_code == 200 and first.text == replay.text
    held = client.get(f"{API}/CreditNotes/{note['CreditNoteID']}", headers=session.headers()).json()["CreditNotes"][0]
    assert (held["AppliedAmount"], len(held["Allocations"])) == (10, 1)


def _refund(client: TestClient, session: Session, note_id: str, amount: str):
    """A refund of (part of) a credit note: a payment naming the note, paid out of bank account 090."""
    payment = {"CreditNote": {"CreditNoteID": note_id}, "Account": {"Code": "090"}, "Amount": float(amount)}
    return client.put(
        f"{API}/Payments",
        headers=session.headers(),
        params={"summarizeErrors": "false"},
        json={"Payments": [{**payment, "Date": "2026-01-22", "Reference": "SO-R1"}]},
    )


def test_a_credit_note_is_refunded_within_its_remaining_credit_and_a_deleted_refund_gives_it_back(
    xero: tuple[TestClient, Session],
) -> None:
    client, session = xero
    contact = create_contact(client, session, "Refund Co")
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    note_id = note["CreditNoteID"]
    (too_much,) = _refund(client, session, note_id, "50.00").json()["Payments"]
    assert "exceeds the amount outstanding" in too_much["ValidationErrors"][0]["Message"]
    (part,) = _refund(client, session, note_id, "30.00").json()["Payments"]
    assert part["PaymentType"] == "ARCREDITPAYMENT" and part["CreditNote"]["CreditNoteID"] == note_id
    (rest,) = _refund(client, session, note_id, "12.00").json()["Payments"]
    paid_out = client.get(f"{API}/CreditNotes/{note_id}", headers=session.headers()).json()["CreditNotes"][0]
    assert (paid_out["Status"], paid_out["RemainingCredit"]) == ("PAID", 0)
    (after,) = _refund(client, session, note_id, "1.00").json()["Payments"]
    assert "must be an AUTHORISED sales credit note" in after["ValidationErrors"][0]["Message"]
    deleted = client.post(f"{API}/Payments/{rest['PaymentID']}", headers=session.headers(), json={"Status": "DELETED"})
    assert deleted.status_code == 200, deleted.text
    reopened = client.get(f"{API}/CreditNotes/{note_id}", headers=session.headers()).json()["CreditNotes"][0]
    assert (reopened["Status"], reopened["RemainingCredit"]) == ("AUTHORISED", 12)


def test_an_allocated_credit_note_is_voided_only_after_its_allocation_is_deleted(
    xero: tuple[TestClient, Session],
) -> None:
    """Deleting an allocation gives the credit back to the note and the amount due back to the invoice (both
    AUTHORISED again); `Status: VOIDED` is refused while an allocation stands, then taken (and taken again)."""
    client, session = xero
    contact = create_contact(client, session, "Credit Co")
    bill = _create(client, session, "Invoices", invoice(contact["ContactID"], [line("40.00")], Status="AUTHORISED"))
    note = _create(
        client, session, "CreditNotes", _credit_note(contact["ContactID"], [line("40.00")], Status="AUTHORISED")
    )
    made = _allocate(client, session, note["CreditNoteID"], bill["InvoiceID"], "42.00").json()["Allocations"][0]
    void = {"CreditNotes": [{"CreditNoteID": note["CreditNoteID"], "Status": "VOIDED"}]}
    refused = client.post(f"{API}/CreditNotes", headers=session.headers(), json=void)
    assert refused.status_code == 400 and "Remove the allocations first" in refused.text
    path = f"{API}/CreditNotes/{note['CreditNoteID']}/Allocations/{made['AllocationID']}"
    deleted = client.delete(path, headers=session.headers())
    assert deleted.status_code == 200 and deleted.json()["IsDeleted"] is True
    assert client.delete(path, headers=session.headers()).status_code == 400, "an allocation is deleted once"
    reopened = client.get(f"{API}/Invoices/{bill['InvoiceID']}", headers=session.headers()).json()["Invoices"][0]
    assert (reopened["Status"], reopened["AmountDue"], reopened["AmountCredited"]) == ("AUTHORISED", 42, 0)
    for _ in range(2):
        voided = client.post(f"{API}/CreditNotes", headers=session.headers(), json=void)
        assert voided.status_code == 200 and voided.json()["CreditNotes"][0]["Status"] == "VOIDED", voided.text
