"""Great Expectations gates: run-level checks name every offending item, record-level checks park records."""

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledger_sync.connectors.registry import get
from ledger_sync.expectations import context, records
from ledger_sync.expectations.context import (
    DOCS_DIR,
    SET_ASIDE_DIR,
    ExpectationRunError,
    checks_set_aside,
    docs_built_together,
    docs_index,
    publish_docs,
    queue_validation,
    run_checkpoint,
)
from ledger_sync.expectations.gates import run_gates
from ledger_sync.expectations.inputs import (
    AccountMappingRow,
    CheckFailure,
    ConnectionRow,
    CustomerRow,
    InvoiceRow,
    PaymentRow,
    RunGateInputs,
    TaxRateMappingRow,
)
from ledger_sync.expectations.records import check_customers, check_invoices, check_payments

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
D = Decimal
QBO = "QuickBooks Online"

QBO_LIMITS, XERO_LIMITS = get("qbo").limits, get("xero").limits


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One GX context for the module: contexts are slow to set up, reuse is what production does too."""
    return tmp_path_factory.mktemp("home") / "gx"


GST = TaxRateMappingRow(1, "GST 5%", D("5"), "10", "GST", True)
PST = TaxRateMappingRow(2, "PST 7%", D("7"), "11", "PST BC", True)
SALES = AccountMappingRow("sales_income", "Sales Income Account", "79", "Sales", "income", True, ("income",))
TAX = AccountMappingRow(
    "tax_payment", "Tax Payment Account", "33", "GST/HST Payable", "liability", True, ("liability",)
)
UNDEPOSITED = AccountMappingRow(
    "undeposited_funds",
    "Undeposited Funds Account",
    "4",
    "Undeposited Funds",
    "other_current_asset",
    True,
    ("undeposited_funds", "other_current_asset"),
)
PARTS = AccountMappingRow("category:12", "Category 'Parts & Materials'", "80", "Parts", "income", True, ("income",))
TIPS = AccountMappingRow("tips", "Tips Account", "34", "Tips Payable", "liability", True, ("liability",))
FEES = AccountMappingRow(
    "processing_fees", "Processing Fees Account", "60", "Bank Charges", "expense", True, ("expense",)
)
OPERATING = AccountMappingRow(
    "bank_account:1", "Bank account 'Operating Account'", "6", "Chequing", "bank", True, ("bank",)
)
CARD_CLEARING = AccountMappingRow(
    "bank_account:2", "Bank account 'Card Clearing'", "7", "Card Clearing", "bank", True, ("bank", "undeposited_funds")
)
CONNECTED = ConnectionRow("qbo", QBO, "connected", True, NOW + timedelta(days=90), NOW)
GOOD = RunGateInputs(
    tax_rates=[GST, PST],
    accounts=[SALES, TAX, UNDEPOSITED, TIPS, FEES, PARTS, OPERATING, CARD_CLEARING],
    connection=CONNECTED,
)


def test_all_good_inputs_pass(gx_dir: Path) -> None:
    report = run_gates(GOOD, context_dir=gx_dir, run_name="good")
    assert report.passed
    assert report.failures == []
    assert report.checks == {"chart_mapping": True, "required_accounts": True, "active_connection": True}
    assert report.docs_path == docs_index(gx_dir)
    assert report.docs_path.is_file()


def test_unknown_refresh_expiry_counts_as_not_expired(gx_dir: Path) -> None:
    inputs = replace(GOOD, connection=replace(CONNECTED, refresh_expires_at=None))
    assert run_gates(inputs, context_dir=gx_dir, run_name="no-expiry").passed


@pytest.mark.parametrize(
    ("pst", "message"),
    [
        (
            replace(PST, ledger_id=None, ledger_name=None, ledger_active=None),
            f"Tax rate 'PST 7%' is not mapped to a {QBO} tax rate",
        ),
        (replace(PST, ledger_active=False), f"Tax rate 'PST 7%' is mapped to 'PST BC', which is inactive in {QBO}"),
        (
            replace(PST, ledger_name=None, ledger_active=None),
            f"Tax rate 'PST 7%' is mapped to id 11, which does not exist in {QBO}",
        ),
    ],
    ids=["unmapped", "inactive", "missing_from_ledger"],
)
def test_chart_mapping_names_the_tax_rate(gx_dir: Path, pst: TaxRateMappingRow, message: str) -> None:
    report = run_gates(replace(GOOD, tax_rates=[GST, pst]), context_dir=gx_dir, run_name="chart")
    assert not report.passed
    assert report.checks == {"chart_mapping": False, "required_accounts": True, "active_connection": True}
    assert report.failures == [CheckFailure("chart_mapping", "PST 7%", message)]


@pytest.mark.parametrize(
    ("accounts", "item", "message"),
    [
        ([SALES, UNDEPOSITED], "Tax Payment Account", f"Tax Payment Account is not mapped to a {QBO} account"),
        (
            [replace(SALES, ledger_id=None, ledger_name=None, ledger_type=None, ledger_active=None), TAX, UNDEPOSITED],
            "Sales Income Account",
            f"Sales Income Account is not mapped to a {QBO} account",
        ),
        (
            [SALES, TAX, replace(UNDEPOSITED, ledger_name=None, ledger_type=None, ledger_active=None)],
            "Undeposited Funds Account",
            f"Undeposited Funds Account is mapped to id 4, which does not exist in {QBO}",
        ),
        (
            [SALES, replace(TAX, ledger_active=False), UNDEPOSITED],
            "Tax Payment Account",
            f"Tax Payment Account is mapped to 'GST/HST Payable', which is inactive in {QBO}",
        ),
        (
            [replace(SALES, ledger_name="Office Supplies", ledger_type="expense"), TAX, UNDEPOSITED],
            "Sales Income Account",
            f"Sales Income Account is mapped to 'Office Supplies', which is an expense account in {QBO}; "
            "it must be an income account",
        ),
        (
            [SALES, TAX, replace(UNDEPOSITED, ledger_name="Chequing", ledger_type="bank")],
            "Undeposited Funds Account",
            f"Undeposited Funds Account is mapped to 'Chequing', which is a bank account in {QBO}; "
            "it must be an undeposited funds or other current asset account",
        ),
        (
            [SALES, TAX, UNDEPOSITED, replace(PARTS, ledger_active=False)],
            "Category 'Parts & Materials'",
            f"Category 'Parts & Materials' is mapped to 'Parts', which is inactive in {QBO}",
        ),
        (
            [SALES, TAX, UNDEPOSITED, replace(CARD_CLEARING, ledger_id=None, ledger_name=None, ledger_type=None)],
            "Bank account 'Card Clearing'",
            f"Bank account 'Card Clearing' is not mapped to a {QBO} account",
        ),
        (
            [SALES, TAX, UNDEPOSITED, replace(CARD_CLEARING, ledger_active=False)],
            "Bank account 'Card Clearing'",
            f"Bank account 'Card Clearing' is mapped to 'Card Clearing', which is inactive in {QBO}",
        ),
        (
            [
                SALES,
                TAX,
                UNDEPOSITED,
                replace(OPERATING, ledger_name="Undeposited Funds", ledger_type="undeposited_funds"),
            ],
            "Bank account 'Operating Account'",
            f"Bank account 'Operating Account' is mapped to 'Undeposited Funds', which is an undeposited funds "
            f"account in {QBO}; it must be a bank account",
        ),
        (
            [SALES, TAX, UNDEPOSITED, replace(TIPS, ledger_id=None, ledger_name=None, ledger_type=None)],
            "Tips Account",
            f"Tips Account is not mapped to a {QBO} account",
        ),
        (
            [SALES, TAX, UNDEPOSITED, replace(FEES, ledger_active=False)],
            "Processing Fees Account",
            f"Processing Fees Account is mapped to 'Bank Charges', which is inactive in {QBO}",
        ),
    ],
    ids=[
        "role_missing",
        "unmapped",
        "missing_from_ledger",
        "inactive",
        "wrong_type",
        "wrong_type_bank",
        "category",
        "bank_account_unmapped",
        "bank_account_archived",
        "operating_not_a_bank",
        "tips_unmapped",
        "fees_archived",
    ],
)
def test_required_accounts_names_the_account(
    gx_dir: Path, accounts: list[AccountMappingRow], item: str, message: str
) -> None:
    given = {row.role for row in accounts}
    money = [row for row in (TIPS, FEES) if row.role not in given]
    report = run_gates(replace(GOOD, accounts=[*accounts, *money]), context_dir=gx_dir, run_name="accounts")
    assert report.checks == {"chart_mapping": True, "required_accounts": False, "active_connection": True}
    assert report.failures == [CheckFailure("required_accounts", item, message)]


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        (
            replace(CONNECTED, status="needs_reconnect"),
            f"The {QBO} connection status is 'needs_reconnect'; reconnect {QBO} to sync",
        ),
        (
            replace(CONNECTED, refresh_expires_at=NOW - timedelta(minutes=1)),
            f"The {QBO} authorisation expired on 2026-03-01 11:59 UTC; reconnect {QBO} to sync",
        ),
        (
            replace(CONNECTED, has_refresh_token=False, refresh_expires_at=None),
            f"The {QBO} connection holds no refresh token; reconnect {QBO} to sync",
        ),
    ],
    ids=["needs_reconnect", "refresh_expired", "no_refresh_token"],
)
def test_active_connection_fails(gx_dir: Path, connection: ConnectionRow, message: str) -> None:
    report = run_gates(replace(GOOD, connection=connection), context_dir=gx_dir, run_name="connection")
    assert report.checks == {"chart_mapping": True, "required_accounts": True, "active_connection": False}
    assert report.failures == [CheckFailure("active_connection", QBO, message)]


@pytest.mark.parametrize(("days", "passes"), [(1, True), (-1, False)])
def test_a_refresh_expiry_stored_without_a_zone_is_utc(gx_dir: Path, days: int, passes: bool) -> None:
    """The plain rule and Great Expectations (at publication) agree on a naive expiry, as on an aware one."""
    expires = (NOW + timedelta(days=days)).replace(tzinfo=None)
    report = run_gates(
        replace(GOOD, connection=replace(CONNECTED, refresh_expires_at=expires)),
        context_dir=gx_dir,
        run_name=f"naive-{days}",
    )
    assert report.checks["active_connection"] is passes


def test_every_offending_item_is_reported_in_input_order(gx_dir: Path) -> None:
    inputs = RunGateInputs(
        tax_rates=[
            replace(GST, ledger_active=False),
            replace(PST, ledger_id=None, ledger_name=None, ledger_active=None),
        ],
        accounts=[SALES, replace(TAX, ledger_type="expense", ledger_active=False)],
        connection=replace(CONNECTED, status="disconnected", has_refresh_token=False),
    )
    report = run_gates(inputs, context_dir=gx_dir, run_name="all-bad")
    assert report.checks == {"chart_mapping": False, "required_accounts": False, "active_connection": False}
    assert [(f.check, f.item) for f in report.failures] == [
        ("chart_mapping", "GST 5%"),
        ("chart_mapping", "PST 7%"),
        ("required_accounts", "Tax Payment Account"),
        ("required_accounts", "Tax Payment Account"),
        ("required_accounts", "Undeposited Funds Account"),
        ("required_accounts", "Tips Account"),
        ("required_accounts", "Processing Fees Account"),
        ("active_connection", QBO),
        ("active_connection", QBO),
    ]


def test_data_docs_show_the_suites(gx_dir: Path) -> None:
    report = run_gates(
        replace(GOOD, tax_rates=[replace(PST, ledger_active=False)]), context_dir=gx_dir, run_name="docs"
    )
    assert report.docs_path is not None
    assert report.docs_path.suffix == ".html"
    assert report.docs_path.is_relative_to(gx_dir.resolve())
    assert "chart_mapping" in report.docs_path.read_text()
    index = docs_index(gx_dir).read_text()
    for suite in ("chart_mapping", "required_accounts", "active_connection"):
        assert suite in index
        assert (gx_dir / "expectations" / f"{suite}.json").is_file()


def test_no_progress_bars_in_the_logs(gx_dir: Path, capfd: pytest.CaptureFixture[str]) -> None:
    run_gates(GOOD, context_dir=gx_dir, run_name="quiet")
    assert "Calculating Metrics" not in capfd.readouterr().err


def test_an_expectation_that_cannot_run_is_an_error(gx_dir: Path) -> None:
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    suite = gx.ExpectationSuite(
        name="broken", expectations=[gxe.ExpectColumnValuesToNotBeNull(column="absent", meta={"reason": "x"})]
    )
    with pytest.raises(ExpectationRunError, match="absent"):
        run_checkpoint(
            gx_dir,
            checkpoint="broken",
            suites=[suite],
            frame=pd.DataFrame({"source_id": [1]}),
            index_column="source_id",
            run_name="broken",
        )


def customer(source_id: int, name: str | None, email: str | None = "a@example.com") -> CustomerRow:
    return CustomerRow(source_id, name, email)


def email_of(length: int) -> str:
    """A well-formed address of exactly `length` characters."""
    domain = "@harbourdental.example"
    return "a" * (length - len(domain)) + domain


def invoice(source_id: int, **changes: object) -> InvoiceRow:
    good = InvoiceRow(source_id, f"INV-{source_id}", 7, 2, D("1.0000"), D("250.00"), False, date(2026, 2, 1), ())
    return replace(good, **changes)


def payment(source_id: int, **changes: object) -> PaymentRow:
    return replace(PaymentRow(source_id, 9, D("40.00"), D("100.00"), "locked"), **changes)


LONG_NUMBER = "INV-2026-000000000000042"

RECORD_CASES = [
    pytest.param(
        check_customers,
        QBO_LIMITS,
        [customer(1, "Acme: Plumbing"), customer(2, "Tab\tCo"), customer(3, "New\nLine"), customer(4, "x" * 612)],
        {},
        id="customer_names_the_connector_fixes_qbo",
    ),
    pytest.param(
        check_customers,
        XERO_LIMITS,
        [customer(1, "Tab\tCo"), customer(2, "x" * 300)],
        {},
        id="customer_names_the_connector_fixes_xero",
    ),
    pytest.param(
        check_customers,
        QBO_LIMITS,
        [customer(1, None), customer(2, "  "), customer(3, "\x00\x01\t"), customer(4, "Ok")],
        {1: "Customer has no name", 2: "Customer has no name", 3: "Customer has no name"},
        id="customer_no_name",
    ),
    pytest.param(
        check_customers,
        QBO_LIMITS,
        [customer(1, "Long Mail", email_of(101)), customer(2, "Fits", email_of(100)), customer(3, "None", None)],
        {1: f"Customer email is 101 characters; {QBO} allows at most 100"},
        id="customer_email_too_long_qbo",
    ),
    pytest.param(
        check_customers,
        XERO_LIMITS,
        [
            customer(1, "Long Mail", email_of(256)),
            customer(2, "Fits", email_of(255)),
            customer(3, "Qbo", email_of(101)),
        ],
        {1: "Customer email is 256 characters; Xero allows at most 255"},
        id="customer_email_too_long_xero",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1), invoice(2, customer_id=None)],
        {2: "Invoice has no customer"},
        id="invoice_no_customer",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, total=D("-12.5")), invoice(2, total=D("0.00")), invoice(3, total=D("0.01"))],
        {},
        id="invoice_credit_syncs_as_a_credit_note",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [
            invoice(1, discount_percent=D("-5")),
            invoice(2, discount_percent=D("100.5")),
            invoice(3, discount_percent=D("100")),
            invoice(4, discount_percent=D("12.5")),
        ],
        {1: "Invoice discount -5% is not between 0 and 100", 2: "Invoice discount 100.5% is not between 0 and 100"},
        id="invoice_discount_out_of_range",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [
            invoice(1, number=LONG_NUMBER),
            invoice(2, number="INV-2026-00000000042"),
            invoice(3, number="INV-2026\x00-0000000042"),
        ],
        {1: f"Invoice number '{LONG_NUMBER}' is longer than the 21 characters {QBO} allows"},
        id="invoice_number_too_long",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, has_non_finite=True, max_abs_amount=D("NaN"), total=D("Infinity")), invoice(2)],
        {1: "Amount is not a finite number"},
        id="invoice_non_finite",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, max_abs_amount=D("12345678901.00")), invoice(2, max_abs_amount=D("-9999999999.99"))],
        {1: "Amount 12345678901.00 is larger than the 9999999999.99 the ledger accepts"},
        id="invoice_amount_too_large",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, issue_date=date(1899, 12, 31)), invoice(2, issue_date=date(2100, 1, 1)), invoice(3)],
        {
            1: "Invoice date 1899-12-31 is outside the range the ledger accepts (1900-01-01 .. 2099-12-31)",
            2: "Invoice date 2100-01-01 is outside the range the ledger accepts (1900-01-01 .. 2099-12-31)",
        },
        id="invoice_date_out_of_range",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, unmapped_tax_rates=("PST 7%",)), invoice(2)],
        {1: "Tax rate 'PST 7%' has no active mapping"},
        id="invoice_unmapped_tax_rate",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, line_count=0), invoice(2, number=None), invoice(3, issue_date=None)],
        {1: "Invoice has no lines", 2: "Invoice has no number", 3: "Invoice has no date"},
        id="invoice_missing_parts",
    ),
    pytest.param(
        check_invoices,
        QBO_LIMITS,
        [invoice(1, customer_id=None, total=D("-1.13"), unmapped_tax_rates=("PST 7%", "GST 5%"))],
        {
            1: "Invoice has no customer; "
            "Tax rate 'PST 7%' has no active mapping; Tax rate 'GST 5%' has no active mapping"
        },
        id="invoice_several_reasons",
    ),
    pytest.param(
        check_payments,
        None,
        [
            payment(1, amount=D("120.00")),
            payment(2, invoice_id=None, invoice_total=None, invoice_status=None, customer_id=7),
            payment(3, customer_id=7, invoice_customer_id=7),
        ],
        {},
        id="payment_overpaid_or_deposit_passes",
    ),
    pytest.param(
        check_payments,
        None,
        [
            payment(1, invoice_total=D("-11.30")),
            payment(2, invoice_id=None, invoice_total=None, invoice_status=None),
            payment(3, customer_id=7, invoice_customer_id=8),
        ],
        {
            1: "Payment is for an invoice totalling -11.30, which the ledger holds as a credit note: "
            "nothing is due on it",
            2: "Deposit has no invoice and no customer: Service Opus must say who paid it",
            3: "Payment was taken from another customer than its invoice's: apply it to an invoice of the customer "
            "who paid it",
        },
        id="payment_below_zero_invoice_or_deposit_customer",
    ),
    pytest.param(
        check_payments,
        None,
        [payment(1, invoice_status="void"), payment(2, invoice_status="draft")],
        {1: "Payment is for a voided invoice"},
        id="payment_voided_invoice",
    ),
    pytest.param(
        check_payments,
        None,
        [
            payment(2, invoice_total=None, invoice_status=None),
            payment(3),
        ],
        {2: "Payment's invoice is missing"},
        id="payment_invoice_missing",
    ),
    pytest.param(
        check_payments,
        None,
        [payment(1, amount=None), payment(2, amount=D("NaN")), payment(3, amount=D("0"))],
        {1: "Payment has no amount", 2: "Amount is not a finite number", 3: "Payment amount 0.00 is not positive"},
        id="payment_bad_amount",
    ),
]


@pytest.mark.parametrize(("check", "limits", "rows", "expected"), RECORD_CASES)
def test_record_reasons(gx_dir: Path, check: object, limits: object, rows: list[object], expected: dict) -> None:
    args = [rows] if limits is None else [rows, limits]
    assert check(*args, context_dir=gx_dir, run_name="records") == expected  # type: ignore[operator]


@pytest.mark.parametrize(("check", "limits", "rows", "expected"), RECORD_CASES)
def test_great_expectations_reject_exactly_the_parked_records(
    gx_dir: Path, check: object, limits: object, rows: list[object], expected: dict
) -> None:
    """The page checks decide in plain code; GX validates the same rows when Data Docs are published and fails
    the publication if it rejects other records or for other reasons."""
    args = [rows] if limits is None else [rows, limits]
    assert check(*args, context_dir=gx_dir, run_name="agreement") == expected  # type: ignore[operator]
    publish_docs(gx_dir)


def test_a_disagreement_between_great_expectations_and_the_page_checks_is_an_error(gx_dir: Path) -> None:
    import great_expectations.expectations as gxe

    queue_validation(
        gx_dir,
        suite="disagreement",
        expectations=lambda: [gxe.ExpectColumnValuesToNotBeNull(column="name", meta={"reason": "no_name"})],
        rows={1: {"id": 1, "name": None}, 2: {"id": 2, "name": "Ok"}, 3: {"id": 3, "name": "Ok"}},
        rejected={1: [], 2: ["no_name"], 3: []},
        index_column="id",
        run_name="disagreement",
    )
    with pytest.raises(ExpectationRunError, match=r"disagree on 1, 2$"):
        publish_docs(gx_dir)


def test_pages_of_one_run_make_one_validation_per_suite(tmp_path: Path) -> None:
    gx_dir = tmp_path / "gx"
    assert check_customers([customer(1, None), customer(2, "Ok")], QBO_LIMITS, context_dir=gx_dir, run_name="run-7")
    assert check_customers([customer(2, "Ok"), customer(3, " ")], QBO_LIMITS, context_dir=gx_dir, run_name="run-7")
    publish_docs(gx_dir)
    runs = list((gx_dir / "uncommitted" / "validations" / "customers_qbo" / "run-7").iterdir())
    assert len(runs) == 1, "one validation of the run's customers, not one per page"


def test_a_big_runs_rows_are_validated_in_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context, "QUEUED_ROWS_MAX", 2)
    gx_dir = tmp_path / "gx"
    results = gx_dir / "uncommitted" / "validations" / "customers_qbo" / "big"
    assert check_customers([customer(1, None), customer(2, "Ok")], QBO_LIMITS, context_dir=gx_dir, run_name="big")
    assert len(list(results.iterdir())) == 1, "the full queue was validated at once"
    assert check_customers([customer(3, " ")], QBO_LIMITS, context_dir=gx_dir, run_name="big")
    assert len(list(results.iterdir())) == 1, "a part-full queue waits for the publication"
    publish_docs(gx_dir)
    assert len(list(results.iterdir())) == 2


def test_valid_records_are_not_parked(gx_dir: Path) -> None:
    assert check_customers([customer(1, "O'Brien & Sons")], QBO_LIMITS, context_dir=gx_dir, run_name="ok") == {}
    assert check_invoices([invoice(1), invoice(2)], XERO_LIMITS, context_dir=gx_dir, run_name="ok") == {}
    assert check_payments([payment(1, amount=D("100.00"))], context_dir=gx_dir, run_name="ok") == {}


def test_record_checks_save_their_suite_once_and_reach_data_docs_when_published(tmp_path: Path) -> None:
    gx_dir = tmp_path / "gx"
    assert check_customers([customer(1, None)], QBO_LIMITS, context_dir=gx_dir, run_name="page-1") == {
        1: "Customer has no name"
    }
    suite_file = gx_dir / "expectations" / "customers_qbo.json"
    saved = suite_file.stat().st_mtime_ns
    assert check_customers([customer(2, " ")], QBO_LIMITS, context_dir=gx_dir, run_name="page-2") == {
        2: "Customer has no name"
    }
    assert suite_file.stat().st_mtime_ns == saved, "the suite was saved again for the second page"
    assert not docs_index(gx_dir).exists(), "a record check built Data Docs"
    index = publish_docs(gx_dir)
    assert index == docs_index(gx_dir)
    assert "customers_qbo" in index.read_text()
    pages = (gx_dir / DOCS_DIR / "validations" / "customers_qbo").rglob("*.html")  # <run name>/<run time>/<batch>
    assert {page.parts[-3] for page in pages} == {"page-1", "page-2"}


def test_runs_built_together_are_validated_at_their_publication_and_rendered_at_the_blocks_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "HELD_VALIDATIONS_MAX", 2)
    gx_dir = tmp_path / "gx"
    results = gx_dir / "uncommitted" / "validations" / "customers_qbo"
    pages = gx_dir / DOCS_DIR / "validations" / "customers_qbo"
    with docs_built_together(gx_dir):
        assert check_customers([customer(1, None)], QBO_LIMITS, context_dir=gx_dir, run_name="run-1")
        assert publish_docs(gx_dir) == docs_index(gx_dir)
        assert [run.name for run in results.iterdir()] == ["run-1"], "validated at the run's publication"
        assert not docs_index(gx_dir).exists(), "rendered before the block's build"
        assert check_customers([customer(2, " ")], QBO_LIMITS, context_dir=gx_dir, run_name="run-2")
        publish_docs(gx_dir)
        assert {run.name for run in pages.iterdir()} == {"run-1", "run-2"}, "built at HELD_VALIDATIONS_MAX"
        assert check_customers([customer(3, None)], QBO_LIMITS, context_dir=gx_dir, run_name="run-3")
        publish_docs(gx_dir)
        assert not (pages / "run-3").exists()
    assert {run.name for run in pages.iterdir()} == {"run-1", "run-2", "run-3"}, "built at the block's end"
    assert "run-3" in docs_index(gx_dir).read_text()


def test_checks_set_aside_wait_on_disk_for_the_next_publication(tmp_path: Path) -> None:
    """A live run's publication only writes its checks down; the next one outside the block (the live process's,
    or any run's after the process died) validates and renders them, once."""
    gx_dir = tmp_path / "gx"
    results = gx_dir / "uncommitted" / "validations" / "customers_qbo"
    with checks_set_aside():
        assert check_customers([customer(1, None), customer(2, "Ok")], QBO_LIMITS, context_dir=gx_dir, run_name="r-1")
        assert publish_docs(gx_dir) == docs_index(gx_dir)
    assert not results.exists(), "validated in the run's publication"
    assert not docs_index(gx_dir).exists()
    assert len(list((gx_dir / SET_ASIDE_DIR).iterdir())) == 1
    assert not context._queued.get(gx_dir.resolve()), "kept in memory: lost if the process died"
    publish_docs(gx_dir)
    assert [run.name for run in results.iterdir()] == ["r-1"]
    assert "customers_qbo" in docs_index(gx_dir).read_text()
    assert list((gx_dir / SET_ASIDE_DIR).iterdir()) == []
    publish_docs(gx_dir)
    assert len(list((results / "r-1").iterdir())) == 1, "validated twice"


def test_a_disagreement_set_aside_is_reported_once_at_its_publication(tmp_path: Path) -> None:
    import great_expectations.expectations as gxe

    gx_dir = tmp_path / "gx"
    with checks_set_aside():
        queue_validation(
            gx_dir,
            suite="disagreement",
            expectations=lambda: [gxe.ExpectColumnValuesToNotBeNull(column="name", meta={"reason": "no_name"})],
            rows={1: {"id": 1, "name": None}},
            rejected={1: []},
            index_column="id",
            run_name="set-aside",
        )
        publish_docs(gx_dir)
    with pytest.raises(ExpectationRunError, match=r"disagree on 1$"):
        publish_docs(gx_dir)
    publish_docs(gx_dir)


def test_a_suite_another_process_saved_differently_is_saved_again(tmp_path: Path) -> None:
    import great_expectations as gx

    gx_dir = tmp_path / "gx"
    assert check_customers([customer(1, None)], QBO_LIMITS, context_dir=gx_dir, run_name="before") == {
        1: "Customer has no name"
    }
    other_process = gx.get_context(mode="file", context_root_dir=gx_dir.resolve())
    other_process.suites.add_or_update(gx.ExpectationSuite(name="customers_qbo", expectations=[]))
    assert check_customers([customer(2, None)], QBO_LIMITS, context_dir=gx_dir, run_name="after") == {
        2: "Customer has no name"
    }


SECOND_PROCESS = """
import sys
from pathlib import Path
from ledger_sync.expectations.records import check_customers
from tests.test_expectations import QBO_LIMITS, customer
print(check_customers([customer(3, None)], QBO_LIMITS, context_dir=Path(sys.argv[1]), run_name="second"))
"""


def test_a_second_process_with_the_same_suites_uses_the_saved_ones_and_leaves_the_first_running(
    tmp_path: Path,
) -> None:
    """Two processes share one home (a second worker process, the live service): the second finds the checkpoint
    saved with the same suites and saves nothing, so the first one's loaded copy stays fresh for GX."""
    gx_dir = tmp_path / "gx"
    assert check_customers([customer(1, None)], QBO_LIMITS, context_dir=gx_dir, run_name="first") == {
        1: "Customer has no name"
    }
    definitions = [
        path
        for kind in ("expectations", "validation_definitions", "checkpoints")
        for path in sorted((gx_dir / kind).glob("*.json"))
    ]
    saved = {path: path.read_bytes() for path in definitions}
    assert saved, "the first process saved its checkpoint and validation definitions"
    second = subprocess.run(
        [sys.executable, "-c", SECOND_PROCESS, str(gx_dir)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=300,
    )
    assert "{3: 'Customer has no name'}" in second.stdout, second.stderr[-2000:]
    assert {path: path.read_bytes() for path in definitions} == saved, "the second process saved nothing again"
    assert check_customers([customer(2, None)], QBO_LIMITS, context_dir=gx_dir, run_name="again") == {
        2: "Customer has no name"
    }


def test_empty_inputs_make_no_gx_call(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("GX was called for an empty row list")

    monkeypatch.setattr(records, "queue_validation", forbidden)
    assert check_customers([], QBO_LIMITS, context_dir=tmp_path, run_name="empty") == {}
    assert check_invoices([], QBO_LIMITS, context_dir=tmp_path, run_name="empty") == {}
    assert check_payments([], context_dir=tmp_path, run_name="empty") == {}
    assert not (tmp_path / "great_expectations.yml").exists()


def test_importing_the_gates_does_not_import_gx() -> None:
    code = (
        "import sys; import ledger_sync.expectations.gates, ledger_sync.expectations.records; "
        "assert 'great_expectations' not in sys.modules and 'pandas' not in sys.modules, 'eager import'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_gx_leaves_the_modules_no_check_uses_unloaded_until_one_is_used() -> None:
    code = (
        "import sys; import ledger_sync.expectations, great_expectations\n"
        "assert 'scipy.stats._stats_py' not in sys.modules and 'altair.vegalite' not in sys.modules, 'loaded'\n"
        "from scipy import stats; import altair\n"
        "assert stats.norm.cdf(0) == 0.5 and altair.Chart.__name__ == 'Chart'\n"
        "assert sys.modules['scipy.stats'].norm is stats.norm and 'altair.vegalite' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_publishing_keeps_each_suites_newest_runs_and_deletes_the_rest(tmp_path: Path) -> None:
    gx_dir = tmp_path / "gx"
    for run in ("run-1", "run-2", "run-3"):
        check_customers([customer(1, None)], QBO_LIMITS, context_dir=gx_dir, run_name=run)
        publish_docs(gx_dir, keep=2)
    for store in (gx_dir / "uncommitted" / "validations", gx_dir / DOCS_DIR / "validations"):
        assert {run.name for run in (store / "customers_qbo").iterdir()} == {"run-2", "run-3"}
    index = docs_index(gx_dir).read_text()
    assert "run-3" in index and "run-1" not in index
