"""Record-level expectations: a record the ledger would reject is parked, with a reason a bookkeeper
understands, while the rest of the run syncs.

Each entity has one suite (per ledger where the ledger's limits matter) run through its own
checkpoint, so Data Docs show finance which records were held back and why. Every expectation
carries a reason key; the rejected rows (by `source_id`) get that key's message.
"""

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.money import HUNDRED, cents
from ledger_sync.core.text import one_line
from ledger_sync.core.transform import discount_reason
from ledger_sync.expectations.context import run_checkpoint
from ledger_sync.expectations.inputs import CustomerRow, InvoiceRow, PaymentRow

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

SOURCE_ID = "source_id"
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
"""Dates both ledgers accept; anything outside is a typo in Service Opus, not a real invoice."""
MAX_AMOUNT = Decimal("9999999999.99")
"""Largest amount we let through (?): neither vendor documents a maximum, so stay well inside any."""

RowT = TypeVar("RowT", CustomerRow, InvoiceRow, PaymentRow)
Template = Callable[[Any], str]


def _finite(value: Decimal | None) -> Decimal | None:
    """Non-finite Decimals raise on comparison, so they become missing; a separate check reports them."""
    return value if value is not None and value.is_finite() else None


def _sent(value: str | None) -> str | None:
    """A name, number or email as the connectors send it (`one_line`), so lengths are the ledger's."""
    return one_line(value) if value is not None else None


def _park(
    rows: Sequence[RowT],
    columns: Callable[[RowT], dict[str, Any]],
    expectations: Callable[[], list["Expectation"]],
    templates: dict[str, Template],
    *,
    suite: str,
    context_dir: Path,
    run_name: str,
) -> dict[int, str]:
    """Validate one row per record and join each rejected record's distinct reasons with "; "."""
    if not rows:
        return {}
    import great_expectations as gx
    import pandas as pd

    frame = pd.DataFrame([{SOURCE_ID: row.source_id, **columns(row)} for row in rows])
    outcomes = run_checkpoint(
        context_dir,
        checkpoint=suite,
        suites=[gx.ExpectationSuite(name=suite, expectations=expectations())],
        frame=frame,
        index_column=SOURCE_ID,
        run_name=run_name,
    )
    by_id = {row.source_id: row for row in rows}
    reasons: dict[int, list[str]] = {}
    for outcome in outcomes:
        for failure in outcome.failures:
            for hit in failure.rows:
                source_id = int(hit[SOURCE_ID])
                reason = templates[failure.reason](by_id[source_id])
                found = reasons.setdefault(source_id, [])
                if reason not in found:
                    found.append(reason)
    return {source_id: "; ".join(found) for source_id, found in sorted(reasons.items())}


def check_customers(
    rows: list[CustomerRow], limits: LedgerLimits, *, context_dir: Path, run_name: str
) -> dict[int, str]:
    """Customers the ledger cannot take: no name (nothing left once made sendable), or an email over its limit.
    A name the ledger would refuse as it is (too long, a character it forbids) is fixed by the connector."""
    ledger = limits.label

    def expectations() -> list["Expectation"]:
        import great_expectations.expectations as gxe

        return [
            gxe.ExpectColumnValuesToNotBeNull(
                column="display_name", meta={"reason": "no_name"}, description="Every customer has a name"
            ),
            gxe.ExpectColumnValuesToNotMatchRegex(
                column="display_name", regex=r"^\s*$", meta={"reason": "no_name"}, description="No blank names"
            ),
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="email",
                max_value=limits.email_max,
                meta={"reason": "email_too_long"},
                description=f"Emails fit {ledger}'s {limits.email_max} characters",
            ),
        ]

    templates: dict[str, Template] = {
        "no_name": lambda r: "Customer has no name",
        "email_too_long": lambda r: (
            f"Customer email is {len(_sent(r.email) or '')} characters; {ledger} allows at most {limits.email_max}"
        ),
    }
    return _park(
        rows,
        lambda r: {"display_name": _sent(r.display_name), "email": _sent(r.email)},
        expectations,
        templates,
        suite=f"customers_{limits.ledger}",
        context_dir=context_dir,
        run_name=run_name,
    )


def check_invoices(rows: list[InvoiceRow], limits: LedgerLimits, *, context_dir: Path, run_name: str) -> dict[int, str]:
    """Invoices the ledger would reject or that would post wrong: no customer, bad amounts, unmapped tax."""
    ledger = limits.label

    def expectations() -> list["Expectation"]:
        import great_expectations.expectations as gxe

        return [
            gxe.ExpectColumnValuesToNotBeNull(
                column="customer_id", meta={"reason": "no_customer"}, description="Every invoice has a customer"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="line_count", min_value=1, meta={"reason": "no_lines"}, description="Every invoice has lines"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="discount_percent",
                min_value=0,
                max_value=float(HUNDRED),
                meta={"reason": "discount_out_of_range"},
                description="Every invoice discount is a percentage between 0 and 100",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="has_non_finite",
                value_set=[False],
                meta={"reason": "non_finite"},
                description="Every amount is a finite number",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="max_abs_amount",
                max_value=float(MAX_AMOUNT),  # GX keeps bounds as floats (it converts a Decimal itself)
                meta={"reason": "amount_too_large"},
                description=f"Amounts stay within {MAX_AMOUNT:,}",
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="number", meta={"reason": "no_number"}, description="Every invoice has a number"
            ),
            gxe.ExpectColumnValuesToNotMatchRegex(
                column="number", regex=r"^\s*$", meta={"reason": "no_number"}, description="No blank numbers"
            ),
            gxe.ExpectColumnValueLengthsToBeBetween(
                column="number",
                max_value=limits.doc_number_max,
                meta={"reason": "number_too_long"},
                description=f"Invoice numbers fit {ledger}'s {limits.doc_number_max} characters",
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="issue_date", meta={"reason": "no_date"}, description="Every invoice has a date"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="issue_date",
                min_value=EARLIEST_DATE,
                max_value=LATEST_DATE,
                meta={"reason": "date_out_of_range"},
                description=f"Invoice dates lie between {EARLIEST_DATE} and {LATEST_DATE}",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="currency_differs",
                value_set=[False],
                meta={"reason": "currency_differs"},
                description="Every invoice is in its customer's currency",
            ),
            gxe.ExpectColumnValuesToBeNull(
                column="currency_problem",
                meta={"reason": "currency_problem"},
                description="Every invoice's currency and exchange rate can go to the ledger",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="unmapped_tax_rate_count",
                max_value=0,
                meta={"reason": "unmapped_tax_rate"},
                description="Every line's tax rate has an active mapping",
            ),
        ]

    templates: dict[str, Template] = {
        "no_customer": lambda r: "Invoice has no customer",
        "no_lines": lambda r: "Invoice has no lines",
        "discount_out_of_range": lambda r: discount_reason(r.discount_percent),
        "non_finite": lambda r: "Amount is not a finite number",
        "amount_too_large": lambda r: (
            f"Amount {cents(r.max_abs_amount)} is larger than the {MAX_AMOUNT} the ledger accepts"
        ),
        "no_number": lambda r: "Invoice has no number",
        "number_too_long": lambda r: (
            f"Invoice number '{_sent(r.number)}' is longer than the {limits.doc_number_max} characters {ledger} allows"
        ),
        "no_date": lambda r: "Invoice has no date",
        "date_out_of_range": lambda r: (
            f"Invoice date {r.issue_date} is outside the range the ledger accepts ({EARLIEST_DATE} .. {LATEST_DATE})"
        ),
        "currency_differs": lambda r: (
            f"Invoice is in {r.currency} but its customer is billed in {r.customer_currency}; "
            f"a customer has one currency in {ledger}"
        ),
        "currency_problem": lambda r: str(r.currency_problem),
        "unmapped_tax_rate": lambda r: "; ".join(
            f"Tax rate '{name}' has no active mapping" for name in r.unmapped_tax_rates
        ),
    }
    return _park(
        rows,
        lambda r: {
            "customer_id": r.customer_id,
            "line_count": r.line_count,
            "total": _finite(r.total),
            "discount_percent": _finite(r.discount_percent),
            "has_non_finite": r.has_non_finite,
            "max_abs_amount": None if r.has_non_finite else _finite(r.max_abs_amount),
            "number": _sent(r.number),
            "issue_date": r.issue_date,
            "unmapped_tax_rate_count": len(r.unmapped_tax_rates),
            "currency_differs": r.currency_differs,
            "currency_problem": r.currency_problem,
        },
        expectations,
        templates,
        suite=f"invoices_{limits.ledger}",
        context_dir=context_dir,
        run_name=run_name,
    )


def check_payments(rows: list[PaymentRow], *, context_dir: Path, run_name: str) -> dict[int, str]:
    """Payments the ledger would reject or that would post wrong: a missing or voided invoice, an invoice below zero
    (a credit note in the ledger), no or a bad amount, a deposit without its customer or applied to another customer's
    invoice. A payment larger than its invoice's open balance is not parked: it is an overpayment, and the excess
    stays the customer's credit (`core.applications`)."""

    def expectations() -> list["Expectation"]:
        import great_expectations.expectations as gxe

        return [
            gxe.ExpectColumnValuesToBeInSet(
                column="invoice_found",
                value_set=[True],
                meta={"reason": "invoice_missing"},
                description="The invoice a payment pays exists",
            ),
            gxe.ExpectColumnValuesToNotBeInSet(
                column="invoice_status",
                value_set=["void"],
                meta={"reason": "invoice_void"},
                description="No payment for a voided invoice",
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="invoice_total",
                min_value=0,
                meta={"reason": "invoice_below_zero"},
                description="No payment for an invoice totalling below zero (a credit note in the ledger)",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="has_customer",
                value_set=[True],
                meta={"reason": "no_customer"},
                description="A deposit taken before its invoice names its customer",
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="customer_matches",
                value_set=[True],
                meta={"reason": "customer_differs"},
                description="A payment pays an invoice of the customer who paid it",
            ),
            gxe.ExpectColumnValuesToNotBeNull(
                column="amount", meta={"reason": "no_amount"}, description="Every payment has a finite amount"
            ),
            gxe.ExpectColumnValuesToBeBetween(
                column="amount",
                min_value=0,
                strict_min=True,
                meta={"reason": "not_positive"},
                description="Every payment is positive",
            ),
        ]

    templates: dict[str, Template] = {
        "invoice_missing": lambda r: "Payment's invoice is missing",
        "invoice_void": lambda r: "Payment is for a voided invoice",
        "invoice_below_zero": lambda r: (
            f"Payment is for an invoice totalling {cents(r.invoice_total)}, which the ledger holds as a credit note: "
            "nothing is due on it"
        ),
        "no_customer": lambda r: "Deposit has no invoice and no customer: Service Opus must say who paid it",
        "customer_differs": lambda r: (
            "Payment was taken from another customer than its invoice's: apply it to an invoice of the customer "
            "who paid it"
        ),
        "no_amount": lambda r: "Payment has no amount" if r.amount is None else "Amount is not a finite number",
        "not_positive": lambda r: f"Payment amount {cents(r.amount)} is not positive",
    }
    return _park(
        rows,
        lambda r: {
            "invoice_found": r.invoice_found,
            "invoice_status": r.invoice_status,
            "invoice_total": _finite(r.invoice_total),
            "has_customer": r.has_customer,
            "customer_matches": r.customer_matches,
            "amount": _finite(r.amount),
        },
        expectations,
        templates,
        suite="payments",
        context_dir=context_dir,
        run_name=run_name,
    )
