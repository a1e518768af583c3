"""Record-level expectations: a record the ledger would reject is parked, with a reason a bookkeeper
understands, while the rest of the run syncs.

Each entity has one suite (per ledger where the ledger's limits matter), so Data Docs show finance which records
were held back and why. Every rule is written once (`Rule`) and evaluated twice: in plain Python on every page,
which decides the parking (a Great Expectations checkpoint per page cost most of a sync's CPU), and by Great
Expectations once per run and suite when Data Docs are published (`context.queue_validation`), where its
rejected rows must be exactly the parked ones (else `ExpectationRunError`). Every rule carries a reason key; the
rejected rows (by `source_id`) get that key's message.
"""

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ledger_sync.core.ledger_limits import LedgerLimits
from ledger_sync.core.money import HUNDRED, cents
from ledger_sync.core.text import one_line
from ledger_sync.core.transform import discount_reason
from ledger_sync.expectations.context import queue_validation
from ledger_sync.expectations.inputs import CustomerRow, InvoiceRow, PaymentRow

if TYPE_CHECKING:
    from great_expectations.expectations import Expectation

SOURCE_ID = "source_id"
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2099, 12, 31)
"""Dates both ledgers accept; anything outside is a typo in Service Opus, not a real invoice."""
MAX_AMOUNT = Decimal("9999999999.99")
"""Largest amount we let through (?): neither vendor documents a maximum, so stay well inside any."""
MAX_AMOUNT_BOUND = float(MAX_AMOUNT)
"""The bound as GX keeps it (a float; it converts a Decimal itself): both evaluations compare against it."""
BLANK = r"^\s*$"

RowT = TypeVar("RowT", CustomerRow, InvoiceRow, PaymentRow)
Template = Callable[[Any], str]
Columns = dict[str, Any]


def _missing(value: Any) -> bool:
    """Null as GX (pandas) sees it: None, or NaN in a numeric column."""
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class Rule:
    """One expectation on the rows' columns: `rejects` is its plain evaluation of one row, `expectation` builds
    the same rule for Great Expectations. As in GX, a rule on a column skips rows where the column is missing,
    except the not-null rule that looks for exactly those."""

    reason: str
    rejects: Callable[[Columns], bool]
    expectation: Callable[[], "Expectation"]


def not_null(column: str, reason: str, description: str) -> Rule:
    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToNotBeNull(column=column, meta={"reason": reason}, description=description)

    return Rule(reason, lambda row: _missing(row[column]), expectation)


def null(column: str, reason: str, description: str) -> Rule:
    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToBeNull(column=column, meta={"reason": reason}, description=description)

    return Rule(reason, lambda row: not _missing(row[column]), expectation)


def not_blank(column: str, reason: str, description: str) -> Rule:
    """GX's pandas match is `str.contains`, a `re.search`."""
    blank = re.compile(BLANK)

    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToNotMatchRegex(
            column=column, regex=BLANK, meta={"reason": reason}, description=description
        )

    def rejects(row: Columns) -> bool:
        return not _missing(row[column]) and blank.search(str(row[column])) is not None

    return Rule(reason, rejects, expectation)


def length_at_most(column: str, most: int, reason: str, description: str) -> Rule:
    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValueLengthsToBeBetween(
            column=column, max_value=most, meta={"reason": reason}, description=description
        )

    return Rule(reason, lambda row: not _missing(row[column]) and len(str(row[column])) > most, expectation)


def between(
    column: str,
    reason: str,
    description: str,
    *,
    least: Any = None,
    most: Any = None,
    strict_least: bool = False,
) -> Rule:
    def rejects(row: Columns) -> bool:
        value = row[column]
        if _missing(value):
            return False
        below = least is not None and (value <= least if strict_least else value < least)
        return below or (most is not None and value > most)

    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        bounds: dict[str, Any] = {"min_value": least, "max_value": most}
        if strict_least:
            bounds["strict_min"] = True
        return gxe.ExpectColumnValuesToBeBetween(
            column=column,
            **{k: v for k, v in bounds.items() if v is not None},
            meta={"reason": reason},
            description=description,
        )

    return Rule(reason, rejects, expectation)


def one_of(column: str, allowed: list[Any], reason: str, description: str) -> Rule:
    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToBeInSet(
            column=column, value_set=allowed, meta={"reason": reason}, description=description
        )

    return Rule(reason, lambda row: not _missing(row[column]) and row[column] not in allowed, expectation)


def none_of(column: str, refused: list[Any], reason: str, description: str) -> Rule:
    def expectation() -> "Expectation":
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToNotBeInSet(
            column=column, value_set=refused, meta={"reason": reason}, description=description
        )

    return Rule(reason, lambda row: not _missing(row[column]) and row[column] in refused, expectation)


def _finite(value: Decimal | None) -> Decimal | None:
    """Non-finite Decimals raise on comparison, so they become missing; a separate check reports them."""
    return value if value is not None and value.is_finite() else None


def _sent(value: str | None) -> str | None:
    """A name, number or email as the connectors send it (`one_line`), so lengths are the ledger's."""
    return one_line(value) if value is not None else None


def _park(
    rows: Sequence[RowT],
    columns: Callable[[RowT], Columns],
    rules: list[Rule],
    templates: dict[str, Template],
    *,
    suite: str,
    context_dir: Path,
    run_name: str,
) -> dict[int, str]:
    """Evaluate every rule on one row per record and join each rejected record's distinct reasons with "; ",
    in the rules' order; the rows and verdicts are queued for the run's Great Expectations validation."""
    if not rows:
        return {}
    frame: dict[int, Columns] = {}
    rejected: dict[int, list[str]] = {}
    reasons: dict[int, str] = {}
    for row in rows:
        values = columns(row)
        frame[row.source_id] = {SOURCE_ID: row.source_id, **values}
        hits = [rule.reason for rule in rules if rule.rejects(values)]
        rejected[row.source_id] = hits
        found: list[str] = []
        for reason in hits:
            message = templates[reason](row)
            if message not in found:
                found.append(message)
        if found:
            reasons[row.source_id] = "; ".join(found)
    queue_validation(
        context_dir,
        suite=suite,
        expectations=lambda: [rule.expectation() for rule in rules],
        rows=frame,
        rejected=rejected,
        index_column=SOURCE_ID,
        run_name=run_name,
    )
    return dict(sorted(reasons.items()))


def check_customers(
    rows: list[CustomerRow], limits: LedgerLimits, *, context_dir: Path, run_name: str
) -> dict[int, str]:
    """Customers the ledger cannot take: no name (nothing left once made sendable), or an email over its limit.
    A name the ledger would refuse as it is (too long, a character it forbids) is fixed by the connector."""
    ledger = limits.label
    rules = [
        not_null("display_name", "no_name", "Every customer has a name"),
        not_blank("display_name", "no_name", "No blank names"),
        length_at_most(
            "email", limits.email_max, "email_too_long", f"Emails fit {ledger}'s {limits.email_max} characters"
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
        rules,
        templates,
        suite=f"customers_{limits.ledger}",
        context_dir=context_dir,
        run_name=run_name,
    )


def check_invoices(rows: list[InvoiceRow], limits: LedgerLimits, *, context_dir: Path, run_name: str) -> dict[int, str]:
    """Invoices the ledger would reject or that would post wrong: no customer, bad amounts, unmapped tax."""
    ledger = limits.label
    rules = [
        not_null("customer_id", "no_customer", "Every invoice has a customer"),
        between("line_count", "no_lines", "Every invoice has lines", least=1),
        between(
            "discount_percent",
            "discount_out_of_range",
            "Every invoice discount is a percentage between 0 and 100",
            least=0,
            most=float(HUNDRED),
        ),
        one_of("has_non_finite", [False], "non_finite", "Every amount is a finite number"),
        between("max_abs_amount", "amount_too_large", f"Amounts stay within {MAX_AMOUNT:,}", most=MAX_AMOUNT_BOUND),
        not_null("number", "no_number", "Every invoice has a number"),
        not_blank("number", "no_number", "No blank numbers"),
        length_at_most(
            "number",
            limits.doc_number_max,
            "number_too_long",
            f"Invoice numbers fit {ledger}'s {limits.doc_number_max} characters",
        ),
        not_null("issue_date", "no_date", "Every invoice has a date"),
        between(
            "issue_date",
            "date_out_of_range",
            f"Invoice dates lie between {EARLIEST_DATE} and {LATEST_DATE}",
            least=EARLIEST_DATE,
            most=LATEST_DATE,
        ),
        one_of("currency_differs", [False], "currency_differs", "Every invoice is in its customer's currency"),
        null("currency_problem", "currency_problem", "Every invoice's currency and exchange rate can go to the ledger"),
        between("unmapped_tax_rate_count", "unmapped_tax_rate", "Every line's tax rate has an active mapping", most=0),
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
        rules,
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
    rules = [
        one_of("invoice_found", [True], "invoice_missing", "The invoice a payment pays exists"),
        none_of("invoice_status", ["void"], "invoice_void", "No payment for a voided invoice"),
        between(
            "invoice_total",
            "invoice_below_zero",
            "No payment for an invoice totalling below zero (a credit note in the ledger)",
            least=0,
        ),
        one_of("has_customer", [True], "no_customer", "A deposit taken before its invoice names its customer"),
        one_of("customer_matches", [True], "customer_differs", "A payment pays an invoice of the customer who paid it"),
        not_null("amount", "no_amount", "Every payment has a finite amount"),
        between("amount", "not_positive", "Every payment is positive", least=0, strict_least=True),
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
        rules,
        templates,
        suite="payments",
        context_dir=context_dir,
        run_name=run_name,
    )
