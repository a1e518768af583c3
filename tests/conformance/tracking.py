"""Issue 17's tracking, for every ledger: invoices of two business units with lines of two technicians carry the
ledger tracking options they map to (QBO: a department per invoice and a class per line; Xero: two tracking
categories on each line), and the ledger's revenue per option, read back, equals Service Opus's to the cent. An
archived option is refused by the ledger, and the transform refuses a value that maps to none.

A mixin of `LedgerConformance`; the suite's own helpers are read when a scenario runs (the suite imports this
module to build its class). Every sandbox (and the memory ledger) starts with the options named below.
"""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerTrackingOption
from ledger_sync.core.mapping import LedgerMapping
from ledger_sync.core.money import line_amounts
from ledger_sync.core.records import EntityType, InvoiceRecord
from ledger_sync.core.snapshots import SourceInvoice, SourceLine
from ledger_sync.core.tracking import TrackedBy, TrackingLevel, tag
from ledger_sync.core.transform import TransformProblem, invoice_record
from tests.conformance import suite

NORTH, SOUTH = 1, 2
ALEX, SAM = 1, 2
UNITS = {NORTH: "North Branch", SOUTH: "South Branch"}
TECHNICIANS = {ALEX: "Alex Rivera", SAM: "Sam Chen"}


def _option(options: list[LedgerTrackingOption], name: str) -> LedgerTrackingOption:
    (found,) = [o for o in options if o.name == name]
    return found


def _tracking_mapping(harness: "suite.LedgerHarness") -> tuple[LedgerMapping, dict[str, LedgerTrackingOption]]:
    options = harness.connector.list_tracking_options()
    mapping, _ = suite._mapping(harness)
    tracking = {
        TrackedBy.BUSINESS_UNIT: {unit: _option(options, name).id for unit, name in UNITS.items()},
        TrackedBy.TECHNICIAN: {person: _option(options, name).id for person, name in TECHNICIANS.items()},
    }
    return replace(mapping, tracking=tracking), {option.id: option for option in options}


def _line(quantity: str, price: str, rate: int, technician: int | None, inclusive: bool = False) -> SourceLine:
    return replace(suite._line(quantity, price, rate, inclusive), technician_id=technician)


def _tracked_invoice(
    harness: "suite.LedgerHarness", parties: tuple[str, str], unit: int, lines: list[SourceLine]
) -> tuple[SourceInvoice, InvoiceRecord]:
    source_id = harness.next_id()
    snapshot = SourceInvoice(
        source_id,
        f"TRK-{source_id:04d}",
        1,
        date(2026, 3, 2),
        date(2026, 4, 1),
        harness.currency,
        "locked",
        datetime(2026, 3, 2, 12),
        tuple(lines),
        business_unit_id=unit,
    )
    mapping, options = _tracking_mapping(harness)
    _, ledger_rates = suite._mapping(harness)
    customer_ref, item_ref = parties
    record = invoice_record(
        snapshot,
        customer_ref=customer_ref,
        item_refs={suite.PRODUCT: item_ref},
        tax_rates=suite.SOURCE_RATES,
        mapping=mapping,
        ledger_tax_rates=ledger_rates,
        ledger_tracking=options,
    )
    assert isinstance(record, InvoiceRecord)
    return snapshot, record


def _service_opus_revenue(invoices: list[SourceInvoice]) -> dict[tuple[TrackedBy, int], Decimal]:
    """Net revenue per business unit and per technician, as Service Opus prices each line."""
    totals: dict[tuple[TrackedBy, int], Decimal] = {}
    for invoice in invoices:
        for line in invoice.lines:
            rate = suite.SOURCE_RATES[line.tax_rate_id or 0].rate
            net = line_amounts(line.quantity, line.unit_price, rate, line.tax_inclusive).net
            keys = [(TrackedBy.BUSINESS_UNIT, invoice.business_unit_id)]
            keys += [(TrackedBy.TECHNICIAN, line.technician_id)] if line.technician_id else []
            for by, value in keys:
                assert value is not None
                totals[(by, value)] = totals.get((by, value), Decimal("0.00")) + net
    return totals


class TrackingScenarios:
    """Mixed into `suite.LedgerConformance`."""

    def test_tracking_options_are_listed_with_the_archived_ones_inactive(
        self, ledger_harness: "suite.LedgerHarness"
    ) -> None:
        options = ledger_harness.connector.list_tracking_options()
        names = {o.name: o for o in options}
        for name in (*UNITS.values(), *TECHNICIANS.values()):
            assert names[name].active, name
        assert not names["Former Technician"].active and not names["Closed Branch"].active
        assert names["Alex Rivera"].level is TrackingLevel.LINE, "a technician is tracked per line"
        assert names["Alex Rivera"].category_id != names["North Branch"].category_id
        assert len({o.id for o in options}) == len(options), "option ids are unique across categories"

    def test_revenue_per_business_unit_and_technician_equals_service_opus_to_the_cent(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        """Three invoices across two business units, their lines across two technicians (one line nobody's, a
        credit line, tax-inclusive prices): each is written, and the ledger's revenue per option, read back,
        equals Service Opus's per business unit and per technician; writing them again changes nothing."""
        harness = ledger_harness
        gst, hst = suite.GST, suite.HST
        built = [
            _tracked_invoice(
                harness,
                parties,
                NORTH,
                [_line("2", "95.00", gst, ALEX), _line("1.5", "33.33", hst, SAM), _line("-1", "20.00", hst, ALEX)],
            ),
            _tracked_invoice(
                harness, parties, SOUTH, [_line("3", "49.99", hst, SAM, True), _line("0.75", "10.00", gst, ALEX, True)]
            ),
            _tracked_invoice(harness, parties, SOUTH, [_line("1", "15.00", gst, None), _line("2", "61.10", hst, SAM)]),
        ]
        records = [record for _, record in built]
        for record in records:
            suite._created(harness, record)
            (again,) = suite._write(harness, [suite._op(record)])
            assert again.error is None, again.error
        read = harness.connector.read_back(EntityType.INVOICE, records)
        held: dict[str, Decimal] = {}
        for record in records:
            (snapshot,) = read[record.source_id]
            assert snapshot.amount == record.total
            for option_id, amount in snapshot.revenue_by_option:
                held[option_id] = held.get(option_id, Decimal("0.00")) + amount
        mapping, _ = _tracking_mapping(harness)
        expected = {
            mapping.tracking[by][value]: amount
            for (by, value), amount in _service_opus_revenue([s for s, _ in built]).items()
        }
        assert held == expected
        assert expected == {
            mapping.tracking[TrackedBy.BUSINESS_UNIT][NORTH]: Decimal("220.00"),
            mapping.tracking[TrackedBy.BUSINESS_UNIT][SOUTH]: Decimal("277.06"),
            mapping.tracking[TrackedBy.TECHNICIAN][ALEX]: Decimal("177.14"),
            mapping.tracking[TrackedBy.TECHNICIAN][SAM]: Decimal("304.92"),
        }

    def test_an_archived_tracking_option_is_refused_and_an_unmapped_technician_never_leaves(
        self, ledger_harness: "suite.LedgerHarness", parties: tuple[str, str]
    ) -> None:
        harness = ledger_harness
        options = harness.connector.list_tracking_options()
        _, record = _tracked_invoice(harness, parties, NORTH, [_line("1", "80.00", suite.GST, ALEX)])
        archived = tag(_option(options, "Former Technician"))
        line = replace(record.lines[0], tracking=(*record.lines[0].tracking[:-1], archived))
        (refused,) = suite._write(harness, [suite._op(replace(record, lines=(line,)))])
        assert refused.error is not None and refused.error.kind is ErrorKind.VALIDATION, refused
        assert harness.connector.find_by_external_id(EntityType.INVOICE, [record]) == {}

        with pytest.raises(TransformProblem, match="Technician 9 on line 1"):
            _tracked_invoice(harness, parties, SOUTH, [_line("1", "80.00", suite.GST, 9)])
