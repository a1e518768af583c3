"""The Xero connector fits every field to Xero's limits before sending: names cut by the stated rule (an item's
full name kept in its Description), informational text cut with a marker, characters XML 1.0 cannot hold
dropped; a field no rule may change (an invoice number, an email, a stamp) refused before any call."""

import dataclasses

from ledger_sync.connectors.xero.fields import SHORTENED
from ledger_sync.core.ledger import ErrorKind, WriteOp
from ledger_sync.core.records import Address, CustomerRecord, EntityType

from .conftest import body_of, customer, invoice, item, payment
from .fake import FakeXero


def written(harness) -> list[dict]:
    """Every element of every write, in order."""
    return [element for request in harness.writes() for elements in body_of(request).values() for element in elements]


def test_a_contact_name_over_255_is_cut_to_255_ending_in_its_external_id(harness_for) -> None:
    harness = harness_for(FakeXero())
    records = [
        customer(41, "A" * 300),
        customer(42, "A" * 301),
        customer(43, "Colon: Kept In Xero"),
        customer(44, "B" * 255),
    ]
    outcomes = harness.connector.write(EntityType.CUSTOMER, [WriteOp(r, f"k{r.source_id}") for r in records])
    assert all(outcome.ok for outcome in outcomes)
    names = [element["Name"] for element in written(harness)]
    assert names == ["A" * 245 + "… (SO-C41)", "A" * 245 + "… (SO-C42)", "Colon: Kept In Xero", "B" * 255]
    assert len(names[0]) == 255


def test_tabs_line_breaks_and_control_characters_in_a_name_become_one_space_or_nothing(harness_for) -> None:
    harness = harness_for(FakeXero())
    harness.connector.write(EntityType.CUSTOMER, [WriteOp(customer(45, "Tab\tand\r\nbreak Bell\x07 Co\x00"), "k")])
    assert written(harness)[0]["Name"] == "Tab and break Bell Co"


def test_an_item_name_over_50_is_cut_and_given_in_full_in_its_description(harness_for) -> None:
    harness = harness_for(FakeXero())
    name = "Annual furnace, humidifier and heat-recovery ventilator maintenance plan"
    harness.connector.write(EntityType.ITEM, [WriteOp(item(3, name), "k3"), WriteOp(item(4, "Gutters"), "k4")])
    long, short = written(harness)
    assert long["Name"] == "Annual furnace, humidifier and heat-recov… (SO-I3)" and len(long["Name"]) == 50
    assert long["Description"] == f"{name}: Two storeys"
    assert (short["Name"], short["Description"]) == ("Gutters", "Two storeys")


def test_descriptions_over_4000_are_cut_with_a_marker_and_keep_tabs_and_line_breaks(harness_for) -> None:
    harness = harness_for(FakeXero())
    record = invoice(1)
    first = dataclasses.replace(record.lines[0], description="Line one\r\nline\ttwo\x0b " + "d" * 5000)
    record = dataclasses.replace(record, lines=(first, record.lines[1]))
    long_item = dataclasses.replace(item(5), description="e" * 4001)
    harness.connector.write(EntityType.ITEM, [WriteOp(long_item, "ki")])
    harness.connector.write(EntityType.INVOICE, [WriteOp(record, "kv")])
    sent_item, sent_invoice = written(harness)
    assert len(sent_item["Description"]) == 4000 and sent_item["Description"].endswith(SHORTENED)
    description = sent_invoice["LineItems"][0]["Description"]
    assert len(description) == 4000 and description.startswith("Line one\nline\ttwo ddd")
    assert description.endswith(SHORTENED)


def test_no_string_sent_holds_a_character_xml_cannot(harness_for) -> None:
    harness = harness_for(FakeXero())
    record = CustomerRecord(
        source_id=11,
        display_name="Clean Co",
        email="ap\x00@clean.test",
        phone="+1\x1b 555 0100",
        address=Address("1 Main\x0c St", "Toron\ufffeto", "ON", "M5V\x012T6", "CA"),
    )
    harness.connector.write(EntityType.CUSTOMER, [WriteOp(record, "k")])
    [element] = written(harness)
    assert element["EmailAddress"] == "ap@clean.test"
    assert element["Phones"] == [{"PhoneType": "DEFAULT", "PhoneNumber": "+1 555 0100"}]
    [address] = element["Addresses"]
    assert (address["AddressLine1"], address["City"], address["PostalCode"]) == ("1 Main St", "Toronto", "M5V2T6")


def test_an_invoice_number_over_255_is_refused_before_any_call_and_the_rest_is_sent(harness_for) -> None:
    harness = harness_for(FakeXero())
    records = [invoice(1, "N" * 256), invoice(2, "N" * 255), invoice(3, "INV-\x00-3")]
    refused, fits, cleaned = harness.connector.write(
        EntityType.INVOICE, [WriteOp(r, f"k{r.source_id}") for r in records]
    )
    assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION
    assert refused.error.message == f"Invoice number '{'N' * 256}' is 256 characters; Xero allows at most 255"
    assert fits.ok and cleaned.ok
    assert [element["InvoiceNumber"] for element in written(harness)] == ["N" * 255, "INV--3"]


def test_an_invoice_number_is_looked_up_as_it_was_sent(harness_for) -> None:
    harness = harness_for(FakeXero())
    harness.connector.find_by_external_id(EntityType.INVOICE, [invoice(3, "INV-\x00-3")])
    assert harness.requests[0].url.params["where"] == 'Type=="ACCREC" AND (InvoiceNumber=="INV--3")'


def test_an_email_over_255_is_refused_before_any_call(harness_for) -> None:
    harness = harness_for(FakeXero())
    long = dataclasses.replace(customer(12), email="a" * 245 + "@clean.test")
    [outcome] = harness.connector.write(EntityType.CUSTOMER, [WriteOp(long, "k12")])
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert outcome.error.message == "Customer email is 256 characters; Xero allows at most 255"
    assert harness.requests == []
    fits = dataclasses.replace(customer(13), email="a" * 244 + "@clean.test")
    assert harness.connector.write(EntityType.CUSTOMER, [WriteOp(fits, "k13")])[0].ok


def test_a_stamp_that_does_not_fit_is_refused_before_any_call(harness_for) -> None:
    """External ids come from Service Opus ids: one too long for a ContactNumber (50), an item Code (30) or a
    Reference (255) cannot be cut, since it is how the record is found again."""
    harness = harness_for(FakeXero())
    [contact] = harness.connector.write(EntityType.CUSTOMER, [WriteOp(customer(10**46), "kc")])
    assert contact.error is not None and contact.error.message == (
        f"The customer's stamp (ContactNumber) 'SO-C{10**46}' is 51 characters; Xero allows at most 50"
    )
    [coded] = harness.connector.write(EntityType.ITEM, [WriteOp(item(10**26), "ki")])
    assert coded.error is not None and "(Code)" in coded.error.message and "at most 30" in coded.error.message
    [paid] = harness.connector.write(EntityType.PAYMENT, [WriteOp(payment(10**251), "kp")])
    assert paid.error is not None and "(Reference)" in paid.error.message and "at most 255" in paid.error.message
    assert harness.requests == []
