"""Invoice totals as a QBO company computes them: sales lines, discount, tax lines, total and balance.

Non-US: tax is computed per tax rate over the summed net amounts of the lines carrying it, rounded half-up
to the cent (QBO's way, which can differ by a cent from per-line tax). When the request supplies its own
`TxnTaxDetail.TaxLine` amounts they are kept, as QBO lets non-US companies override tax.
US: see `us_sales_tax` (one combined code per invoice, `TAX`/`NON` lines, Automated Sales Tax).

A `DiscountLineDetail` line takes its amount (or its percentage of the sales lines, rounded half-up) off
the total. QBO does not document how it spreads a discount over the tax rates; the sandbox spreads it in
proportion to each rate's (non-US) or the taxable lines' (US) share of the sales, before tax outside the
US and, in the US, only when `ApplyTaxAfterDiscount` is true. A supplied tax (tax lines, `TotalTax`)
overrides that spread as it overrides the rest. An invoice totalling below zero is refused: a credit is
a CreditMemo in QBO.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import faults, us_sales_tax
from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import HUNDRED, cents, spread, to_decimal
from ledger_sync.sandboxes.qbo.tax_lines import tax_line

SALES = "SalesItemLineDetail"
DISCOUNT = "DiscountLineDetail"
TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")


def _sales_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's lines minus any sub-total line (QBO recomputes it), numbered from 1."""
    kept = [dict(line) for line in lines if line.get("DetailType") != "SubTotalLineDetail"]
    subtotal = Decimal(0)
    for number, line in enumerate(kept, start=1):
        line["Id"] = str(number)
        line["LineNum"] = number
        if line.get("DetailType") == SALES:
            line["Amount"] = cents(line["Amount"])
            subtotal += line["Amount"]
            detail = dict(line[SALES])
            for key in ("Qty", "UnitPrice"):
                if key in detail:
                    detail[key] = to_decimal(detail[key])
            line[SALES] = detail
        elif line.get("DetailType") == DISCOUNT:
            detail = dict(line[DISCOUNT])
            if detail.get("PercentBased") is True:
                detail["DiscountPercent"] = to_decimal(detail["DiscountPercent"])
                line["Amount"] = cents(subtotal * detail["DiscountPercent"] / HUNDRED)
            else:
                line["Amount"] = cents(line["Amount"])
            line[DISCOUNT] = detail
        else:
            line.pop("Amount", None)
    return kept


def discount(lines: list[dict[str, Any]]) -> Decimal:
    """What the invoice's discount line takes off (0 without one)."""
    return sum((line["Amount"] for line in lines if line.get("DetailType") == DISCOUNT), Decimal(0))


def _rate_percent(books: Books, rate_id: str) -> Decimal:
    rate = books.get("TaxRate", rate_id)
    return to_decimal(rate["RateValue"]) if rate else Decimal(0)


def _taxable_by_rate(books: Books, lines: list[dict[str, Any]]) -> dict[str, Decimal]:
    """TaxRate Id -> net amount taxable at that rate, in rate-Id order."""
    taxable: dict[str, Decimal] = {}
    for line in lines:
        if line.get("DetailType") != SALES:
            continue
        code = books.get("TaxCode", ref_id(line[SALES].get("TaxCodeRef")) or "")
        for detail in (code or {}).get("SalesTaxRateList", {}).get("TaxRateDetail", []):
            rate_id = ref_id(detail.get("TaxRateRef"))
            if rate_id is not None:
                taxable[rate_id] = taxable.get(rate_id, Decimal(0)) + line["Amount"]
    return dict(sorted(taxable.items(), key=lambda item: int(item[0])))


def _tax_lines(
    books: Books, lines: list[dict[str, Any]], calculation: str, supplied: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    if calculation == "NotApplicable":
        return []
    sales = sum((line["Amount"] for line in lines if line.get("DetailType") == SALES), Decimal(0))
    taxable = {
        rate_id: net - spread(discount(lines), net, sales) for rate_id, net in _taxable_by_rate(books, lines).items()
    }
    if supplied:
        overridden = []
        for line in supplied:
            detail = line.get("TaxLineDetail") or {}
            rate_id = str(ref_id(detail.get("TaxRateRef")))
            percent = to_decimal(detail.get("TaxPercent", _rate_percent(books, rate_id)))
            net = cents(detail.get("NetAmountTaxable", taxable.get(rate_id, Decimal(0))))
            overridden.append(tax_line(rate_id, percent, net, cents(line["Amount"])))
        return overridden
    computed = []
    for rate_id, net in taxable.items():
        percent = _rate_percent(books, rate_id)
        if calculation == "TaxInclusive":
            tax = cents(net * percent / (HUNDRED + percent))
            computed.append(tax_line(rate_id, percent, net - tax, tax))
        else:
            computed.append(tax_line(rate_id, percent, net, cents(net * percent / HUNDRED)))
    return computed


def price(
    books: Books, invoice: dict[str, Any], request: dict[str, Any], applied: Decimal, keep_override: bool = True
) -> dict[str, Any]:
    """The invoice with its derived fields: numbered lines + sub-total line, TxnTaxDetail, TotalAmt, Balance.
    `keep_override`: a US company keeps a supplied TotalTax."""
    lines = _sales_lines(invoice["Line"])
    subtotal = sum((line["Amount"] for line in lines if line.get("DetailType") == SALES), Decimal(0))
    sub_total_line: dict[str, Any] = {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    if us_sales_tax.is_us(books):
        before_tax = discount(lines) if invoice.get("ApplyTaxAfterDiscount") is True else Decimal(0)
        tax_detail = us_sales_tax.tax_detail(books, lines, request, keep_override, before_tax)
        total = _checked_total(subtotal - discount(lines) + tax_detail["TotalTax"])
        priced = {**invoice, "Line": [*lines, sub_total_line], "TxnTaxDetail": tax_detail}
        return {**priced, "TotalAmt": total, "Balance": total - applied}
    calculation = invoice.get("GlobalTaxCalculation") or "TaxExcluded"
    supplied_tax_lines = (request.get("TxnTaxDetail") or {}).get("TaxLine")
    tax_lines = _tax_lines(books, lines, calculation, supplied_tax_lines)
    total_tax = sum((line["Amount"] for line in tax_lines), Decimal(0))
    net = subtotal - discount(lines)
    total = _checked_total(net if calculation == "TaxInclusive" else net + total_tax)
    return {
        **invoice,
        "Line": [*lines, sub_total_line],
        "GlobalTaxCalculation": calculation,
        "TxnTaxDetail": {"TotalTax": total_tax, "TaxLine": tax_lines},
        "TotalAmt": total,
        "Balance": total - applied,
    }


def _checked_total(total: Decimal) -> Decimal:
    """QBO refuses an invoice totalling below zero. The exact fault is not documented (?): the sandbox answers
    a business validation error (6000)."""
    if total < 0:
        raise faults.business(f"Invoice amount cannot be negative ({total}). Enter a credit memo instead.")
    return total
