"""The chaos checks themselves: they must see a duplicate, a lost record, a wrong cent, a draft in the ledger and a
record parked by mistake, and say which run and which fault came before a duplicate."""

from decimal import Decimal
from pathlib import Path

from tests.chaos.books import Expected, Findings, Row, compare
from tests.chaos.harness import ChaosReport, RunRecord

EXPECTED = Expected(
    records={
        "customer": {"Harbour Dental": None, "Lakeside Bakery": None},
        "invoice": {"INV-1": Decimal("113.00"), "INV-2": Decimal("56.50")},
        "payment": {"SO-P1": Decimal("113.00"), "SO-P2": Decimal("20.00")},
    },
    forbidden={"invoice": {"INV-DRAFT"}, "payment": {"SO-P9"}},
    keys_by_source={
        ("customer", 1): "Harbour Dental",
        ("customer", 2): "Lakeside Bakery",
        ("invoice", 2): "INV-2",
        ("payment", 2): "SO-P2",
    },
)
CREATED = "2026-11-24T06:50:00-08:00"


def row(kind: str, key: str, amount: str | None = None, ledger_id: str = "1", created: str = CREATED) -> Row:
    return Row(kind, key, Decimal(amount) if amount else None, ledger_id, created)


def test_a_ledger_equal_to_the_source_has_no_findings() -> None:
    rows = [
        row("customer", "Harbour Dental"),
        row("customer", "Lakeside Bakery"),
        row("invoice", "INV-1", "113.00"),
        row("invoice", "INV-2", "56.50"),
        row("payment", "SO-P1", "113.00"),
        row("payment", "SO-P2", "20.00"),
    ]
    findings = compare(EXPECTED, rows, [])
    assert findings.ok and findings == Findings()


def test_every_kind_of_damage_is_named() -> None:
    rows = [
        row("customer", "Harbour Dental"),
        row("customer", "Lakeside Bakery", ledger_id="7"),
        row("invoice", "INV-1", "113.01"),
        row("invoice", "INV-DRAFT", "10.00"),
        row("payment", "SO-P1", "113.00", ledger_id="3"),
        row("payment", "SO-P1", "113.00", ledger_id="4"),
    ]
    parked = [("customer", 2, "QBO refused this customer: Duplicate Name Exists"), ("payment", 2, " ")]
    findings = compare(EXPECTED, rows, parked)
    assert not findings.ok
    assert findings.duplicates == [f"payment SO-P1: 2 copies, ledger ids 3 (created {CREATED}), 4 (created {CREATED})"]
    assert findings.lost == ["invoice INV-2: not in the ledger and not parked"]
    assert findings.wrong_amounts == ["invoice INV-1: ledger 113.01, Service Opus 113.00"]
    assert findings.forbidden == ["invoice INV-DRAFT is not locked/collected but is in the ledger"]
    assert findings.parked_without_reason == ["payment 2"]
    assert findings.parked_but_in_ledger == [
        "customer Lakeside Bakery: parked (QBO refused this customer: Duplicate Name Exists) although the ledger "
        "holds it as 7"
    ]


def test_a_duplicate_is_traced_to_its_run_and_the_faults_before_it(tmp_path: Path) -> None:
    copies = [
        row("payment", "SO-P1", "113.00", "3"),
        row("payment", "SO-P1", "113.00", "4", "2026-11-24T06:51:00-08:00"),
    ]
    findings = compare(EXPECTED, copies, [])
    start = 1795531790.0  # 06:49:50 Pacific, ten seconds before the first copy
    runs = [
        RunRecord(1, start, start + 20, "killed", tmp_path / "sync-01.log"),
        RunRecord(2, start + 30, start + 90, "completed", tmp_path / "sync-02.log"),
    ]
    drop = {"at": start + 9, "write": 12, "kind": "drop_after_commit", "method": "POST"}
    drop |= {"path": "/v3/company/9/batch", "request_id": "abc", "request": 40, "detail": "status 200 lost"}
    report = ChaosReport("qbo", {}, {}, runs, 0, findings, {"entities": {}}, [drop])
    lines = report.timeline(copies)
    assert lines[0] == (
        "  copy payment SO-P1 id 3: written in run 1 (killed, log sync-01.log); "
        "faults before: drop_after_commit on POST /v3/company/9/batch requestid=abc"
    )
    assert lines[1] == "  copy payment SO-P1 id 4: written in run 2 (completed, log sync-02.log); faults before: none"
    assert "duplicates found 1, records lost 5" in report.summary()


def test_a_voided_invoice_or_its_payment_still_live_or_written_twice_is_found() -> None:
    expected = Expected(
        EXPECTED.records, EXPECTED.forbidden, EXPECTED.keys_by_source, {"invoice": {"INV-V"}, "payment": {"SO-P7"}}
    )
    equal = [row(kind, key, amount) for kind, keys in EXPECTED.records.items() for key, amount in keys.items()]
    voided = [Row("invoice", "INV-V", Decimal(0), "8", CREATED, live=False)]
    assert compare(expected, [*equal, *voided], []).ok, "a voided copy and a payment never sent are as expected"
    findings = compare(expected, [*equal, *voided, row("payment", "SO-P7", "20.00", "9")], [])
    assert findings.voids == ["payment SO-P7: 9 still live after its void"]
    twice = compare(expected, [*equal, *voided, Row("invoice", "INV-V", Decimal(0), "10", CREATED, live=False)], [])
    assert twice.voids == ["invoice INV-V: 2 copies, voided in Service Opus"] and not twice.ok
