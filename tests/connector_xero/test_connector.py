"""The Xero connector over a fake Xero: one call per batch, element outcomes, exact totals, stamps."""

import logging
from dataclasses import replace
from decimal import Decimal

import httpx
import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerRef, LedgerTaxRate, WriteOp
from ledger_sync.core.records import EntityType, InvoiceLineRecord
from tests.connector_support import discounted_record

from .conftest import CLEARING_ID, INCOME_ID, TENANT, body_of, customer, invoice, item, payment, xero_answer
from .fake import FakeXero


def ops(*records: object, existing: LedgerRef | None = None) -> list[WriteOp]:
    return [WriteOp(r, f"key-{r.external_id}-{r.content_hash[:8]}", existing) for r in records]  # type: ignore[attr-defined]


def test_a_batch_is_one_put_with_summarize_errors_false_the_tenant_and_a_deterministic_key(harness_for) -> None:
    harness = harness_for(FakeXero())
    batch = ops(*(customer(n, f"Customer {n}") for n in range(1, 4)))
    outcomes = harness.connector.write(EntityType.CUSTOMER, batch)
    harness.connector.write(EntityType.CUSTOMER, batch)
    first, again = harness.writes()
    assert [o.ok for o in outcomes] == [True, True, True]
    assert first.method == "PUT" and first.url.params["summarizeErrors"] == "false"
    assert first.headers["xero-tenant-id"] == TENANT
    key = first.headers["Idempotency-Key"]
    assert key == again.headers["Idempotency-Key"] and len(key) <= 128
    contacts = body_of(first)["Contacts"]
    assert [c["ContactNumber"] for c in contacts] == ["SO-C1", "SO-C2", "SO-C3"]
    assert contacts[0]["Addresses"][0]["AddressType"] == "POBOX" and "ContactID" not in contacts[0]


def test_an_update_is_a_post_naming_the_contact(harness_for) -> None:
    harness = harness_for(FakeXero())
    (outcome,) = harness.connector.write(EntityType.CUSTOMER, ops(customer(), existing=LedgerRef("c-1")))
    (request,) = harness.writes()
    assert request.method == "POST" and body_of(request)["Contacts"][0]["ContactID"] == "c-1"
    assert outcome.ref == LedgerRef("c-1")


def test_element_errors_become_outcomes_typed_duplicate_or_validation(harness_for) -> None:
    fake = FakeXero()
    fake.refuse = {
        1: "The contact name Acme is already assigned to another contact. The contact name must be unique.",
        2: "Email address must be valid.",
    }
    harness = harness_for(fake)
    outcomes = harness.connector.write(EntityType.CUSTOMER, ops(*(customer(n) for n in range(1, 4))))
    assert outcomes[0].ok
    assert [o.error.kind for o in outcomes[1:] if o.error] == [ErrorKind.DUPLICATE, ErrorKind.VALIDATION]
    assert "Email address" in (outcomes[2].error.message if outcomes[2].error else "")


def test_invoice_lines_post_to_their_items_accounts_without_adjustment_when_xero_agrees(harness_for) -> None:
    harness = harness_for(FakeXero())
    record = invoice()
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    request = harness.writes()[0]
    sent = body_of(request)["Invoices"][0]
    assert outcome.ok and "unitdp" not in request.url.params
    assert (sent["Type"], sent["Status"], sent["LineAmountTypes"]) == ("ACCREC", "AUTHORISED", "Exclusive")
    assert (sent["InvoiceNumber"], sent["Reference"]) == ("INV-1001", "SO-I1")
    assert [(ln["ItemCode"], ln["AccountCode"], ln["TaxType"]) for ln in sent["LineItems"]] == [
        ("SO-I11", "200", "OUTPUT"),
        ("SO-I12", "260", "TAX001"),
    ]
    assert [ln["TaxAmount"] for ln in sent["LineItems"]] == [Decimal("5.00"), Decimal("7.82")], "Service Opus's"
    assert not any("LineAmount" in ln for ln in sent["LineItems"]), "Xero recomputes it"


def test_tax_inclusive_lines_carry_service_opus_tax_so_tax_net_and_total_match_without_rounding(harness_for) -> None:
    """1.00 gross at 13% has Service Opus tax 0.12 inside it where Xero would charge 13% of the 0.88 net, 0.11;
    7 x 49.99 gross has a net (309.67) whose unit price needs more than 4 dp, which 44.2386 still reaches."""
    line = InvoiceLineRecord(
        "SO-I11", "Panels", Decimal("7"), Decimal("44.2385714"), Decimal("309.67"), "TAX001", Decimal("40.26")
    )
    one_cent_off = InvoiceLineRecord(
        "SO-I12", "Fee", Decimal("1"), Decimal("0.88"), Decimal("0.88"), "TAX001", Decimal("0.12")
    )
    record = invoice(lines=(line, one_cent_off))
    fake = FakeXero()
    harness = harness_for(fake)
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    [request] = harness.writes()
    lines = body_of(request)["Invoices"][0]["LineItems"]
    assert request.url.params["unitdp"] == "4" and lines[0]["UnitAmount"] == Decimal("44.2386")
    assert [ln["TaxAmount"] for ln in lines] == [Decimal("40.26"), Decimal("0.12")]
    assert len(lines) == 2, "no ROUNDING line: Xero's tax, net and total are Service Opus's"
    assert outcome.ok


HST = LedgerTaxRate("TAX001", "HST", Decimal("13"), True, "TAX001")
GST = LedgerTaxRate("OUTPUT", "GST", Decimal("5"), True, "OUTPUT")


def test_credit_lines_and_the_invoice_discount_go_as_negative_amounts_with_service_opus_tax(harness_for) -> None:
    """Xero takes no negative quantity: a returned part goes as 1 at -20.00. The 10 % invoice discount is one
    line per tax rate, at that rate, posted to the Sales Income account, with its own tax."""
    refs = {"customer_ref": "c0ffee00-0000-0000-0000-000000000001", "item_ref": "SO-I11"}
    record = discounted_record(HST, GST, 9, **refs, discount_account=INCOME_ID)
    harness = harness_for(FakeXero())
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    [request] = harness.writes()
    lines = body_of(request)["Invoices"][0]["LineItems"]
    assert [
        (ln.get("ItemCode"), ln["Quantity"], ln["UnitAmount"], ln["TaxType"], ln["TaxAmount"], ln["AccountCode"])
        for ln in lines
    ] == [
        ("SO-I11", Decimal("2"), Decimal("95"), "TAX001", Decimal("24.70"), "200"),
        ("SO-I11", Decimal("1"), Decimal("-20"), "TAX001", Decimal("-2.60"), "200"),
        ("SO-I11", Decimal("1"), Decimal("-15"), "OUTPUT", Decimal("-0.75"), "200"),
        ("SO-I11", Decimal("1.5"), Decimal("33.33"), "OUTPUT", Decimal("2.50"), "200"),
        (None, Decimal("1"), Decimal("-17.00"), "TAX001", Decimal("-2.21"), "200"),
        (None, Decimal("1"), Decimal("-3.50"), "OUTPUT", Decimal("-0.18"), "200"),
    ]
    assert [ln["Description"] for ln in lines[4:]] == ["Discount 10%", "Discount 10%"]
    assert outcome.ok and record.total == Decimal("205.96"), "no ROUNDING line: Xero's total is Service Opus's"


def test_a_discount_whose_account_xero_lacks_is_refused_before_any_write(harness_for) -> None:
    record = discounted_record(HST, GST, 10, customer_ref="c0ffee00", item_ref="SO-I11", discount_account="gone")
    harness = harness_for(FakeXero())
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    assert outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert "no account gone" in outcome.error.message and harness.writes() == []


def test_a_line_amount_xero_cannot_hold_gets_a_logged_rounding_line(
    harness_for, caplog: pytest.LogCaptureFixture
) -> None:
    """1000 x 0.00005 = 0.05: no unit price of 4 dp gives it (Xero makes 0.10), so 0.05 goes to ROUNDING."""
    tiny = InvoiceLineRecord("SO-I11", "Washers", Decimal("1000"), Decimal("0.00005"), Decimal("0.05"), "OUTPUT",
                             Decimal("0.00"))  # fmt: skip
    record = invoice(lines=(tiny,))
    harness = harness_for(FakeXero())
    with caplog.at_level(logging.INFO, logger="ledger_sync.connectors.xero.connector"):
        (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    [request] = harness.writes()
    lines = body_of(request)["Invoices"][0]["LineItems"]
    rounding = lines[-1]
    assert (rounding["AccountCode"], rounding["TaxType"], rounding["UnitAmount"]) == ("860", "NONE", Decimal("-0.05"))
    assert "LineAmount" not in rounding and "TaxAmount" not in rounding
    assert outcome.ok
    assert any("INV-1001" in r.getMessage() and "-0.05" in r.getMessage() for r in caplog.records)


def test_a_total_xero_still_answers_otherwise_is_corrected_by_one_update(harness_for) -> None:
    fake = FakeXero()
    fake.total_skew = Decimal("0.01")
    harness = harness_for(fake)
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(invoice()))
    create, fix = harness.writes()
    element = body_of(fix)["Invoices"][0]
    assert fix.method == "POST" and element["InvoiceID"] == outcome.ref.id  # type: ignore[union-attr]
    assert element["LineItems"][-1]["UnitAmount"] == Decimal("-0.01")
    assert fix.headers["Idempotency-Key"] != create.headers["Idempotency-Key"]
    assert outcome.ok


def test_a_total_the_correction_cannot_fix_is_a_refusal_naming_both_totals(harness_for) -> None:
    """Never silent: the engine parks it with Xero's figure and Service Opus's."""
    fake = FakeXero()
    fake.total_skew = Decimal("0.01")

    def drifting(request: httpx.Request) -> httpx.Response:
        answer = fake(request)
        fake.total_skew += Decimal("0.01") if request.method in ("PUT", "POST") else Decimal(0)
        return answer

    harness = harness_for(drifting)
    record = invoice()
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(record))
    assert len(harness.writes()) == 2 and outcome.error is not None and outcome.error.kind is ErrorKind.VALIDATION
    assert f"total {record.total + Decimal('0.01')}; Service Opus has total {record.total}" in outcome.error.message


def test_a_long_item_name_is_cut_to_50_characters_and_given_in_full_in_the_description(harness_for) -> None:
    harness = harness_for(FakeXero())
    name = "Annual furnace, humidifier and heat-recovery ventilator maintenance plan"
    (outcome,) = harness.connector.write(EntityType.ITEM, ops(item(3, name)))
    sent = body_of(harness.writes()[0])["Items"][0]
    assert sent["Name"] == "Annual furnace, humidifier and heat-recov… (SO-I3)" and len(sent["Name"]) == 50
    assert sent["Description"].startswith(f"{name}: ")
    assert sent["Code"] == "SO-I3" and sent["SalesDetails"]["AccountCode"] == "200"
    assert outcome.ref == LedgerRef("SO-I3")


def test_payments_go_many_per_put_and_cannot_be_changed(harness_for) -> None:
    harness = harness_for(FakeXero())
    outcomes = harness.connector.write(EntityType.PAYMENT, ops(payment(1), payment(2, "10.00")))
    sent = body_of(harness.writes()[0])["Payments"]
    assert [o.ok for o in outcomes] == [True, True]
    assert sent[1] == {
        "Invoice": {"InvoiceID": "1f2e3d4c-0000-0000-0000-000000000009"},
        "Account": {"AccountID": CLEARING_ID},
        "Date": "2026-03-15",
        "Amount": Decimal("10.00"),
        "Reference": "SO-P2 · card",
    }
    with_reference = replace(payment(4), reference="4242")
    harness.connector.write(EntityType.PAYMENT, ops(with_reference))
    assert body_of(harness.writes()[1])["Payments"][0]["Reference"] == "SO-P4 · card 4242"
    (refused,) = harness.connector.write(EntityType.PAYMENT, ops(payment(3), existing=LedgerRef("p-1")))
    assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION
    assert len(harness.writes()) == 2


def test_accounts_and_tax_rates_are_normalised(harness_for) -> None:
    rates = [
        {"TaxType": "OUTPUT", "Name": "GST", "EffectiveRate": Decimal("5.0000"), "Status": "ACTIVE",
         "CanApplyToRevenue": True},
        {"TaxType": "INPUT", "Name": "GST on Purchases", "EffectiveRate": 5, "Status": "ACTIVE",
         "CanApplyToRevenue": False},
        {"TaxType": "TAX004", "Name": "HST NS", "EffectiveRate": 15, "Status": "ARCHIVED", "CanApplyToRevenue": True},
    ]  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        return xero_answer("TaxRates", rates) if request.url.path.endswith("TaxRates") else FakeXero()(request)

    harness = harness_for(handler)
    kinds = {a.code: (a.type, a.active) for a in harness.connector.list_accounts()}
    assert kinds == {
        "200": ("income", True),
        "280": ("income", False),
        "090": ("bank", True),
        "615": ("undeposited_funds", True),
        "610": ("other", True),
        "860": ("liability", True),
    }
    taxes = {t.id: (t.rate_percent, t.active, t.rate_ref) for t in harness.connector.list_tax_rates()}
    assert taxes == {
        "OUTPUT": (Decimal("5"), True, "OUTPUT"),
        "INPUT": (Decimal("5"), False, "INPUT"),
        "TAX004": (Decimal("15"), False, "TAX004"),
    }


def test_find_by_external_id_matches_stamps_only(harness_for) -> None:
    docs = {
        "Contacts": [{"ContactID": "c-1", "ContactNumber": "SO-C1"}, {"ContactID": "c-9", "ContactNumber": "other"}],
        "Invoices": [
            {"InvoiceID": "i-1", "InvoiceNumber": "INV-1001", "Reference": "SO-I1"},
            {"InvoiceID": "i-2", "InvoiceNumber": "INV-1002", "Reference": "typed by a person"},
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        collection = request.url.path.rsplit("/", 1)[-1]
        return xero_answer(collection, docs[collection])

    harness = harness_for(handler)
    found = harness.connector.find_by_external_id(EntityType.CUSTOMER, [customer(1), customer(2)])
    assert found == {1: LedgerRef("c-1")}
    assert harness.requests[0].url.params["where"] == 'ContactNumber=="SO-C1" OR ContactNumber=="SO-C2"'
    invoices = harness.connector.find_by_external_id(EntityType.INVOICE, [invoice(1), invoice(2, "INV-1002")])
    assert invoices == {1: LedgerRef("i-1")}
    assert harness.requests[1].url.params["where"].startswith('Type=="ACCREC" AND (InvoiceNumber=="INV-1001"')


def test_creates_go_by_put_and_updates_by_post_in_separate_calls(harness_for) -> None:
    """A POST create whose InvoiceNumber matches a bookkeeper's invoice would overwrite it: never create by POST."""
    harness = harness_for(FakeXero())
    new, changed = invoice(1, "INV-1001"), invoice(2, "INV-1002")
    batch = [*ops(new), *ops(changed, existing=LedgerRef("i-2"))]
    outcomes = harness.connector.write(EntityType.INVOICE, batch)
    put, post = harness.writes()
    assert (put.method, [e["InvoiceNumber"] for e in body_of(put)["Invoices"]]) == ("PUT", ["INV-1001"])
    assert "InvoiceID" not in body_of(put)["Invoices"][0]
    assert (post.method, [e["InvoiceID"] for e in body_of(post)["Invoices"]]) == ("POST", ["i-2"])
    assert put.headers["Idempotency-Key"] != post.headers["Idempotency-Key"]
    assert [o.op.record for o in outcomes] == [new, changed] and all(o.ok for o in outcomes)
    assert outcomes[1].ref == LedgerRef("i-2")


def test_lookups_include_archived_records_and_ignore_voided_and_deleted_ones(harness_for) -> None:
    docs = {
        "Contacts": [{"ContactID": "c-1", "ContactNumber": "SO-C1", "ContactStatus": "ARCHIVED"}],
        "Invoices": [
            {"InvoiceID": "i-1", "InvoiceNumber": "INV-1001", "Reference": "SO-I1", "Status": "VOIDED"},
            {"InvoiceID": "i-2", "InvoiceNumber": "INV-1002", "Reference": "SO-I2", "Status": "DELETED"},
            {"InvoiceID": "i-3", "InvoiceNumber": "INV-1003", "Reference": "SO-I3", "Status": "PAID"},
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        collection = request.url.path.rsplit("/", 1)[-1]
        return xero_answer(collection, docs[collection])

    harness = harness_for(handler)
    assert harness.connector.find_by_external_id(EntityType.CUSTOMER, [customer(1)]) == {1: LedgerRef("c-1")}
    records = [invoice(1, "INV-1001"), invoice(2, "INV-1002"), invoice(3, "INV-1003")]
    assert harness.connector.find_by_external_id(EntityType.INVOICE, records) == {3: LedgerRef("i-3")}
    assert [r.url.params.get("includeArchived") for r in harness.requests] == ["true", "true"]


def test_an_invoice_of_items_the_connector_wrote_reads_no_item_list(harness_for) -> None:
    """A first sync writes every item before the invoices naming them: Xero's answers say their sales accounts."""
    fake = FakeXero()
    fake.items.clear()
    harness = harness_for(fake)
    harness.connector.write(EntityType.ITEM, ops(item(11, "Gutters"), item(12, "Windows")))
    (outcome,) = harness.connector.write(EntityType.INVOICE, ops(invoice()))
    assert outcome.ok, outcome.error
    lines = body_of(harness.writes()[-1])["Invoices"][0]["LineItems"]
    assert [line["AccountCode"] for line in lines] == ["200", "200"]
    assert [r.url.path.rsplit("/", 1)[-1] for r in harness.requests if r.method == "GET"] == ["Accounts"]
