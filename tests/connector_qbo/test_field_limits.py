"""The QBO connector fits every field to QBO's limits before sending: names fixed by the stated rule (the
Service Opus name kept in Notes or the item's Description), informational text cut with a marker, characters
XML 1.0 cannot hold dropped; a field no rule may change (an invoice number, an email, a stamp) refused before
any call, with the reason."""

import dataclasses
import json
from decimal import Decimal
from typing import Any

import httpx

from ledger_sync.connectors.qbo.fields import SHORTENED
from ledger_sync.connectors.qbo.wire import to_qbo
from ledger_sync.core.ledger import ErrorKind, WriteOp
from ledger_sync.core.records import Address, CustomerRecord, EntityType, InvoiceLineRecord

from .conftest import customer, invoice, item, payment

LABEL = "QuickBooks Online"


def echo(request: httpx.Request) -> httpx.Response:
    """Saves whatever it is sent (an invoice with the totals it was sent); queries find nothing."""
    if request.url.path.endswith("/query"):
        return httpx.Response(200, json={"QueryResponse": {}})
    body = json.loads(request.content)
    if request.url.path.endswith("/batch"):
        answers = []
        for entry in body["BatchItemRequest"]:
            name = next(k for k in entry if k not in ("bId", "operation"))
            answers.append({"bId": entry["bId"], name: _saved(entry[name])})
        return httpx.Response(200, json={"BatchItemResponse": answers})
    name = request.url.path.rsplit("/", 1)[-1].capitalize()
    return httpx.Response(200, json={name: _saved(body)})


def _saved(entity: dict[str, Any]) -> dict[str, Any]:
    saved = {"Id": "1", "SyncToken": "0", **entity}
    if "TxnTaxDetail" in entity:
        saved["TotalAmt"] = str(
            sum(Decimal(str(line["Amount"])) for line in entity["Line"])
            + Decimal(str(entity["TxnTaxDetail"]["TotalTax"]))
        )
    return saved


def sent(harness: Any) -> list[dict[str, Any]]:
    """The entities of every write the harness made, in order."""
    bodies = []
    for request in harness.requests:
        if request.url.path.endswith("/query"):
            continue
        body = json.loads(request.content)
        if "BatchItemRequest" in body:
            bodies += [next(v for k, v in e.items() if k not in ("bId", "operation")) for e in body["BatchItemRequest"]]
        else:
            bodies.append(body)
    return bodies


def test_a_colon_becomes_a_dash_and_the_service_opus_name_is_kept_in_notes() -> None:
    body = to_qbo(customer(7, "Harbour Dental: Head Office"))
    assert body["DisplayName"] == "Harbour Dental - Head Office"
    assert body["Notes"] == "SO-C7 Service Opus name: Harbour Dental: Head Office"
    assert to_qbo(customer(8, "Parts:Filters ::x"))["DisplayName"] == "Parts - Filters - x"


def test_a_name_over_500_is_cut_to_500_ending_in_its_external_id_so_alike_names_stay_apart() -> None:
    first, second = to_qbo(customer(41, "A" * 600)), to_qbo(customer(42, "A" * 601))
    assert first["DisplayName"] == "A" * 490 + "… (SO-C41)" and len(first["DisplayName"]) == 500
    assert second["DisplayName"] == "A" * 490 + "… (SO-C42)"
    assert first["Notes"] == f"SO-C41 Service Opus name: {'A' * 600}"
    assert to_qbo(customer(43, "B" * 500))["DisplayName"] == "B" * 500


def test_notes_keep_the_stamp_first_and_are_cut_to_1024() -> None:
    body = to_qbo(customer(44, "C" * 1000))
    assert len(body["Notes"]) == 1024 and body["Notes"].startswith("SO-C44 Service Opus name: CCC")
    assert body["Notes"].endswith(SHORTENED)


def test_tabs_line_breaks_and_control_characters_in_a_name_become_one_space_or_nothing() -> None:
    body = to_qbo(customer(45, "  Tab\tand\r\nbreak  Bell\x07 Co\x00 "))
    assert body["DisplayName"] == "Tab and break  Bell Co"
    assert body["Notes"] == "SO-C45"


def test_an_item_name_over_100_is_cut_and_given_in_full_in_its_description() -> None:
    name = "Annual furnace: humidifier, heat-recovery ventilator and ductwork inspection, cleaning and tune-up plan"
    body = to_qbo(item(9, name))
    assert (
        body["Name"]
        == "Annual furnace - humidifier, heat-recovery ventilator and ductwork inspection, cleaning and… (SO-I9)"
    )
    assert len(body["Name"]) == 100
    assert body["Description"] == f"{name}: Two storeys"
    assert to_qbo(item(10, "Gutter cleaning"))["Description"] == "Two storeys"


def test_descriptions_over_4000_are_cut_with_a_marker_and_keep_tabs_and_line_breaks() -> None:
    long = dataclasses.replace(invoice().lines[0], description="Line one\r\nline\ttwo\x0b " + "d" * 5000)
    record = dataclasses.replace(invoice(), lines=(long, invoice().lines[1]))
    description = to_qbo(record)["Line"][0]["Description"]
    assert len(description) == 4000 and description.startswith("Line one\nline\ttwo ddd")
    assert description.endswith(SHORTENED)
    assert to_qbo(dataclasses.replace(item(), description="e" * 4001))["Description"].endswith(SHORTENED)


def test_a_private_note_keeps_the_stamp_first_and_fits_4000() -> None:
    record = dataclasses.replace(payment(3), method="m" * 5000)
    note = to_qbo(record)["PrivateNote"]
    assert len(note) == 4000 and note.startswith("SO-P3 mmm") and note.endswith(SHORTENED)
    assert to_qbo(payment(3))["PrivateNote"] == "SO-P3 card"
    assert to_qbo(invoice(5))["PrivateNote"] == "SO-I5"


def test_no_string_sent_holds_a_character_xml_cannot() -> None:
    record = CustomerRecord(
        source_id=11,
        display_name="Clean Co",
        email="ap\x00@clean.test",
        phone="+1\x1b 555 0100",
        address=Address("1 Main\x0c St", "Spring\ufffefield", "BC", "V5K\x010A1", "CA"),
    )
    body = to_qbo(record)
    assert body["PrimaryEmailAddr"] == {"Address": "ap@clean.test"}
    assert body["PrimaryPhone"] == {"FreeFormNumber": "+1 555 0100"}
    assert (body["BillAddr"]["Line1"], body["BillAddr"]["City"], body["BillAddr"]["PostalCode"]) == (
        "1 Main St",
        "Springfield",
        "V5K0A1",
    )


def test_a_doc_number_over_21_is_refused_before_any_call_and_the_rest_is_sent(harness_for) -> None:
    harness = harness_for(echo)
    long = invoice(1, "INV-2026-000000000000042")
    fits = invoice(2, "INV-2026-000000000042")
    nul = invoice(3, "INV-2026\x00-0000000042")
    outcomes = harness.connector.write(EntityType.INVOICE, [WriteOp(r, f"k{r.source_id}") for r in (long, fits, nul)])
    refused, saved, cleaned = outcomes
    assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION
    assert (
        refused.error.message
        == f"Invoice number 'INV-2026-000000000000042' is 24 characters; {LABEL} allows at most 21"
    )
    assert saved.ok and cleaned.ok
    assert [body["DocNumber"] for body in sent(harness)] == ["INV-2026-000000000042", "INV-2026-0000000042"]


def test_an_email_over_100_is_refused_before_any_call(harness_for) -> None:
    harness = harness_for(echo)
    email = "a" * 90 + "@clean.test"
    record = dataclasses.replace(customer(12), email=email)
    [outcome] = harness.connector.write(EntityType.CUSTOMER, [WriteOp(record, "k12")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert outcome.error.message == f"Customer email is 101 characters; {LABEL} allows at most 100"
    assert harness.requests == []
    fits = dataclasses.replace(customer(13), email="a" * 89 + "@clean.test")
    assert harness.connector.write(EntityType.CUSTOMER, [WriteOp(fits, "k13")])[0].ok


def test_a_stamp_that_does_not_fit_is_refused_before_any_call(harness_for) -> None:
    """External ids come from Service Opus ids: one too long for PaymentRefNum (21) or Sku (100) cannot be cut."""
    harness = harness_for(echo)
    big = 10**20
    [paid] = harness.connector.write(EntityType.PAYMENT, [WriteOp(payment(big), "kp")])
    assert paid.error is not None and paid.error.message == (
        f"The payment's stamp (PaymentRefNum) 'SO-P{big}' is 25 characters; {LABEL} allows at most 21"
    )
    [stocked] = harness.connector.write(EntityType.ITEM, [WriteOp(item(10**97), "ki")])
    assert stocked.error is not None and "allows at most 100" in stocked.error.message
    assert harness.requests == []


def test_a_fixed_name_is_what_the_lookup_asks_qbo_for(harness_for) -> None:
    harness = harness_for(echo)
    records = [customer(7, "Harbour Dental: Head Office"), customer(8, "Tab\tCo")]
    harness.connector.find_by_external_id(EntityType.CUSTOMER, records)
    items = [item(9, "Parts:Filters")]
    harness.connector.find_by_external_id(EntityType.ITEM, items)
    invoices = [invoice(4, "INV-\x074")]
    harness.connector.find_by_external_id(EntityType.INVOICE, invoices)
    queries = [request.url.params.get("query") or request.content.decode() for request in harness.requests]
    assert any("DisplayName IN ('Harbour Dental - Head Office', 'Tab Co')" in q for q in queries), queries
    assert any("Name IN ('Parts - Filters')" in q for q in queries), queries
    assert any("DocNumber IN ('INV-4')" in q for q in queries), queries


def test_an_invoice_line_description_with_only_characters_xml_cannot_hold_is_sent_empty() -> None:
    line = InvoiceLineRecord("11", "\x00\x01", Decimal("1"), Decimal("10"), Decimal("10.00"), "5", Decimal("0.50"))
    record = dataclasses.replace(invoice(), lines=(line,))
    assert to_qbo(record)["Line"][0]["Description"] == ""
