"""Issue 17's tracking without a ledger: the transform tags lines and invoices by the levels the ledger offers, an
untracked company's records keep their content hash, the gate names an unmapped or archived value, the mapping
form offers technicians only line-level options, and reconciliation totals revenue per option."""

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from ledger_sync.core.ledger import LedgerSnapshot, LedgerTaxRate
from ledger_sync.core.mapping import AccountRole, LedgerMapping, SourceTaxRate
from ledger_sync.core.reconciliation import tracked_revenue
from ledger_sync.core.records import InvoiceCreditRecord, InvoiceRecord
from ledger_sync.core.snapshots import SourceInvoice, SourceLine
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue, TrackedBy, TrackingLevel
from ledger_sync.core.transform import TransformProblem, invoice_record
from ledger_sync.expectations.gate_inputs import mapping_gate_inputs
from ledger_sync.expectations.gates import run_gates
from ledger_sync.web.mapping_form import mapping_form, parse_mapping

RATES = {1: SourceTaxRate(1, "HST 13%", D("13"), True)}
LEDGER_RATES = {"10": LedgerTaxRate("10", "HST ON", D("13"), True, "r10")}
LOCATION, CLASS = TrackingLevel.TRANSACTION, TrackingLevel.LINE
NORTH = LedgerTrackingOption("Department/1", "North Branch", "Department", "Location", True, LOCATION)
CLOSED = LedgerTrackingOption("Department/3", "Closed Branch", "Department", "Location", False, LOCATION)
ALEX = LedgerTrackingOption("Class/1", "Alex Rivera", "Class", "Class", True, CLASS)
SAM = LedgerTrackingOption("Class/2", "Sam Chen", "Class", "Class", True, CLASS)
OPTIONS = {o.id: o for o in (NORTH, CLOSED, ALEX, SAM)}
VALUES = [
    SourceTrackingValue(1, "North Branch", TrackedBy.BUSINESS_UNIT),
    SourceTrackingValue(2, "South Branch", TrackedBy.BUSINESS_UNIT),
    SourceTrackingValue(3, "Gone Branch", TrackedBy.BUSINESS_UNIT, active=False),
    SourceTrackingValue(1, "Alex Rivera", TrackedBy.TECHNICIAN),
    SourceTrackingValue(2, "Sam Chen", TrackedBy.TECHNICIAN),
]
BASE = LedgerMapping(accounts={AccountRole.SALES_INCOME: "1"}, tax_rates={1: "10"})
TRACKED = replace(
    BASE, tracking={TrackedBy.BUSINESS_UNIT: {1: NORTH.id}, TrackedBy.TECHNICIAN: {1: ALEX.id, 2: SAM.id}}
)


def _invoice(unit: int | None, *technicians: int | None, price: str = "50.00") -> SourceInvoice:
    lines = tuple(
        SourceLine(7, 1, f"line {n}", D("2"), D(price), 1, False, technician)
        for n, technician in enumerate(technicians)
    )
    moment = datetime(2026, 2, 1, tzinfo=UTC)
    return SourceInvoice(
        9, "INV-9", 4, date(2026, 2, 1), date(2026, 3, 1), "CAD", "locked", moment, lines, business_unit_id=unit
    )


def _record(
    invoice: SourceInvoice, mapping: LedgerMapping, options: dict[str, LedgerTrackingOption] | None = None
) -> InvoiceRecord | InvoiceCreditRecord:
    return invoice_record(
        invoice,
        customer_ref="C1",
        item_refs={7: "I7"},
        tax_rates=RATES,
        mapping=mapping,
        ledger_tax_rates=LEDGER_RATES,
        ledger_tracking=options,
    )


def test_a_department_goes_on_the_invoice_and_a_class_on_each_line_of_its_technician() -> None:
    record = _record(_invoice(1, 1, 2, None), TRACKED, OPTIONS)
    assert isinstance(record, InvoiceRecord)
    assert [t.option_id for t in record.tracking] == [NORTH.id]
    assert [[t.option_id for t in line.tracking] for line in record.lines] == [[ALEX.id], [SAM.id], []]
    assert record.revenue_by_option == {NORTH.id: D("300.00"), ALEX.id: D("100.00"), SAM.id: D("100.00")}


def test_a_business_unit_the_ledger_tracks_per_line_goes_on_every_line() -> None:
    per_line = replace(NORTH, level=CLASS)
    record = _record(_invoice(1, 2, None), TRACKED, {**OPTIONS, NORTH.id: per_line})
    assert isinstance(record, InvoiceRecord) and record.tracking == ()
    assert [[t.option_id for t in line.tracking] for line in record.lines] == [[NORTH.id, SAM.id], [NORTH.id]]


def test_an_untracked_company_keeps_its_content_hash() -> None:
    """Tracking is hashed only when set: records synced before issue 17 are not resent."""
    plain = _record(_invoice(1, 1, 2), BASE)
    assert isinstance(plain, InvoiceRecord) and plain.tracking == () and all(not ln.tracking for ln in plain.lines)
    before = _record(replace(_invoice(None), lines=_invoice(None, None, None).lines), BASE)
    assert plain.content_hash == before.content_hash
    assert _record(_invoice(1, 1, 2), TRACKED, OPTIONS).content_hash != plain.content_hash


@pytest.mark.parametrize(
    ("mapping", "options", "reason"),
    [
        (replace(TRACKED, tracking={**TRACKED.tracking, TrackedBy.TECHNICIAN: {1: ALEX.id}}), OPTIONS, "Technician 2"),
        (
            replace(TRACKED, tracking={**TRACKED.tracking, TrackedBy.BUSINESS_UNIT: {1: CLOSED.id}}),
            OPTIONS,
            "Business unit 1",
        ),
        (
            replace(TRACKED, tracking={**TRACKED.tracking, TrackedBy.TECHNICIAN: {1: NORTH.id, 2: SAM.id}}),
            OPTIONS,
            "per transaction",
        ),
        (TRACKED, {}, "Business unit 1 is not mapped to an active tracking option"),
    ],
)
def test_a_value_without_an_active_option_of_its_level_parks_the_invoice(
    mapping: LedgerMapping, options: dict[str, LedgerTrackingOption], reason: str
) -> None:
    with pytest.raises(TransformProblem, match=reason):
        _record(_invoice(1, 1, 2), mapping, options)


def test_the_chart_gate_names_an_unmapped_or_archived_value_of_a_tracked_dimension(tmp_path: Path) -> None:
    mapping = replace(
        TRACKED, tracking={TrackedBy.BUSINESS_UNIT: {1: NORTH.id, 2: CLOSED.id}, TrackedBy.TECHNICIAN: {1: ALEX.id}}
    )
    connection = _Connection()
    inputs = mapping_gate_inputs([], mapping, {}, {}, {}, connection, "QuickBooks Online", [], VALUES, OPTIONS)
    assert [row.label for row in inputs.tracking] == [
        "Business unit 'North Branch'",
        "Business unit 'South Branch'",
        "Technician 'Alex Rivera'",
        "Technician 'Sam Chen'",
    ]
    report = run_gates(inputs, context_dir=tmp_path / "gx", run_name="tracking", publish=False)
    messages = [f.message for f in report.failures if f.check == "chart_mapping"]
    assert messages == [
        "Business unit 'South Branch' is mapped to 'Closed Branch', which is inactive in QuickBooks Online",
        "Technician 'Sam Chen' is not mapped to a QuickBooks Online class or tracking option",
    ]
    untracked = mapping_gate_inputs([], BASE, {}, {}, {}, connection, "QuickBooks Online", [], VALUES, OPTIONS)
    assert untracked.tracking == [], "a dimension nobody mapped is not tracked"


def test_the_chart_gate_names_a_technician_mapped_to_the_category_of_a_business_unit(tmp_path: Path) -> None:
    """Both per line (Xero: one category of options for both): the transform would park every invoice of that
    technician in that unit's category, so the gate stops the run naming the technician and the unit."""
    east = LedgerTrackingOption("Region/E", "East", "Region", "Region", True, CLASS)
    west = LedgerTrackingOption("Region/W", "West", "Region", "Region", True, CLASS)
    options = {**OPTIONS, east.id: east, west.id: west}
    units = {1: east.id, 2: NORTH.id}
    mapping = replace(
        TRACKED, tracking={TrackedBy.BUSINESS_UNIT: units, TrackedBy.TECHNICIAN: {1: ALEX.id, 2: west.id}}
    )
    inputs = mapping_gate_inputs([], mapping, {}, {}, {}, _Connection(), "Xero", [], VALUES, options)
    report = run_gates(inputs, context_dir=tmp_path / "gx", run_name="categories", publish=False)
    failures = [(f.item, f.message) for f in report.failures if f.check == "chart_mapping"]
    assert failures == [
        (
            "Technician 'Sam Chen'",
            "Technician 'Sam Chen' is mapped to 'West', in the same Xero tracking category as Business unit 'North "
            "Branch' (Region 'East'): a line carries one option of each category, so their invoices cannot sync; map "
            "the technician to an option of another category",
        )
    ]
    apart = replace(mapping, tracking={**mapping.tracking, TrackedBy.TECHNICIAN: {1: ALEX.id, 2: SAM.id}})
    inputs = mapping_gate_inputs([], apart, {}, {}, {}, _Connection(), "Xero", [], VALUES, options)
    assert run_gates(inputs, context_dir=tmp_path / "gx", run_name="apart", publish=False).checks["chart_mapping"]


class _Connection:
    ledger, status, has_refresh_token, refresh_expires_at = "qbo", "active", True, None


def test_the_form_offers_technicians_line_level_options_and_parses_the_choices() -> None:
    form = mapping_form("qbo", TRACKED, [], [], [], [], [], VALUES, list(OPTIONS.values()))
    fields = {f.name: f for f in form.tracking}
    assert set(fields) == {"business_unit:1", "business_unit:2", "technician:1", "technician:2"}
    assert [c.id for c in fields["business_unit:2"].choices] == [ALEX.id, SAM.id, NORTH.id]
    assert [c.id for c in fields["technician:1"].choices] == [ALEX.id, SAM.id]
    assert fields["technician:2"].selected == SAM.id and fields["business_unit:2"].selected is None
    submitted = {"business_unit:1": NORTH.id, "technician:1": ALEX.id, "technician:2": NORTH.id}
    parsed = parse_mapping(form, submitted)
    assert parsed.mapping.tracking == {TrackedBy.BUSINESS_UNIT: {1: NORTH.id}, TrackedBy.TECHNICIAN: {1: ALEX.id}}
    assert not set(parsed.missing) & {"North Branch", "South Branch", "Alex Rivera", "Sam Chen"}, "never required"


def test_the_form_suggests_tracking_by_name_until_a_tracking_mapping_is_saved() -> None:
    """Same name, one option: suggested (a technician only into a line-level category no business unit took); no
    option or several of that name: left Not tracked. A saved tracking mapping is shown as saved, never replaced."""
    south = LedgerTrackingOption("Region/S", "south  BRANCH", "Region", "Region", True, CLASS)
    sam_region = LedgerTrackingOption("Region/C", "Sam Chen", "Region", "Region", True, CLASS)
    alex_crew = LedgerTrackingOption("Crew/A", "Alex Rivera", "Crew", "Crew", True, CLASS)
    options = [*OPTIONS.values(), south, sam_region, alex_crew]
    form = mapping_form("qbo", BASE, [], [], [], [], [], VALUES, options)
    assert form.tracking_suggested
    assert {f.name: f.selected for f in form.tracking} == {
        "business_unit:1": NORTH.id,
        "business_unit:2": south.id,  # its words, whatever their case and spacing
        "technician:1": None,  # two line-level options of that name: no guess
        "technician:2": SAM.id,  # not the Region option: a business unit took that category
    }
    saved = replace(BASE, tracking={TrackedBy.TECHNICIAN: {2: SAM.id}})
    form = mapping_form("qbo", saved, [], [], [], [], [], VALUES, options)
    assert not form.tracking_suggested
    assert {f.name: f.selected for f in form.tracking} == {
        "business_unit:1": None,
        "business_unit:2": None,
        "technician:1": None,
        "technician:2": SAM.id,
    }


def test_reconciliation_totals_revenue_per_option_against_the_ledger() -> None:
    record = _record(_invoice(1, 1, 2, None), TRACKED, OPTIONS)
    assert isinstance(record, InvoiceRecord)
    held = LedgerSnapshot(
        "L1",
        record.external_id,
        record.total,
        "C1",
        "",
        revenue_by_option=((NORTH.id, D("300.00")), (ALEX.id, D("90.00"))),
    )
    totals = {t.label: (t.expected, t.ledger, t.equal) for t in tracked_revenue([record], {record.source_id: [held]})}
    assert totals == {
        "Location 'North Branch'": (D("300.00"), D("300.00"), True),
        "Class 'Alex Rivera'": (D("100.00"), D("90.00"), False),
        "Class 'Sam Chen'": (D("100.00"), D("0.00"), False),
    }
    voided = replace(record, voided=True)
    assert all(t.expected == 0 for t in tracked_revenue([voided], {}))


def test_a_tracked_invoice_is_kept_and_read_back_whole_for_its_reversal() -> None:
    """The entity map's document of an invoice (`core.reissue`) keeps its tracking; an untracked one's is unchanged."""
    from ledger_sync.core.reissue import document_of, invoice_of

    tracked = _record(_invoice(1, 1, 2, None), TRACKED, OPTIONS)
    plain = _record(_invoice(1, 1, 2, None), BASE)
    assert isinstance(tracked, InvoiceRecord) and isinstance(plain, InvoiceRecord)
    assert invoice_of(document_of(tracked)) == tracked
    assert invoice_of(document_of(plain)) == plain and "tracking" not in document_of(plain)
