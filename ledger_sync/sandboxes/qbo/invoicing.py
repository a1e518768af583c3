"""Invoice totals as a non-US QBO company computes them: sales lines, per-rate tax lines, total and balance.

Tax is computed per tax rate over the summed net amounts of the lines carrying it, rounded half-up to the
cent (QBO's way, which can differ by a cent from per-line tax). When the request supplies its own
`TxnTaxDetail.TaxLine` amounts they are kept, as QBO lets non-US companies override tax.
"""

from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import HUNDRED, cents, to_decimal

SALES = "SalesItemLineDetail"
TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")


def _sales_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's lines minus any sub-total line (QBO recomputes it), numbered from 1."""
    kept = [dict(line) for line in lines if line.get("DetailType") != "SubTotalLineDetail"]
    for number, line in enumerate(kept, start=1):
        line["Id"] = str(number)
        line["LineNum"] = number
        if line.get("DetailType") == SALES:
            line["Amount"] = cents(line["Amount"])
            detail = dict(line[SALES])
            for key in ("Qty", "UnitPrice"):
                if key in detail:
                    detail[key] = to_decimal(detail[key])
            line[SALES] = detail
        else:
            line.pop("Amount", None)
    return kept


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


def _tax_line(rate_id: str, percent: Decimal, net: Decimal, amount: Decimal) -> dict[str, Any]:
    return {
        "Amount": amount,
        "DetailType": "TaxLineDetail",
        "TaxLineDetail": {
            "TaxRateRef": {"value": rate_id},
            "PercentBased": True,
            "TaxPercent": percent,
            "NetAmountTaxable": net,
        },
    }


def _tax_lines(
    books: Books, lines: list[dict[str, Any]], calculation: str, supplied: list[dict[str, Any]] | None
) -> list[dict[str, Any]]:
    if calculation == "NotApplicable":
        return []
    taxable = _taxable_by_rate(books, lines)
    if supplied:
        overridden = []
        for line in supplied:
            detail = line.get("TaxLineDetail") or {}
            rate_id = str(ref_id(detail.get("TaxRateRef")))
            percent = to_decimal(detail.get("TaxPercent", _rate_percent(books, rate_id)))
            net = cents(detail.get("NetAmountTaxable", taxable.get(rate_id, Decimal(0))))
            overridden.append(_tax_line(rate_id, percent, net, cents(line["Amount"])))
        return overridden
    computed = []
    for rate_id, net in taxable.items():
        percent = _rate_percent(books, rate_id)
        if calculation == "TaxInclusive":
            tax = cents(net * percent / (HUNDRED + percent))
            computed.append(_tax_line(rate_id, percent, net - tax, tax))
        else:
            computed.append(_tax_line(rate_id, percent, net, cents(net * percent / HUNDRED)))
    return computed


def price(
    books: Books, invoice: dict[str, Any], supplied_tax_lines: list[dict[str, Any]] | None, applied: Decimal
) -> dict[str, Any]:
    """The invoice with its derived fields: numbered lines + sub-total line, TxnTaxDetail, TotalAmt, Balance."""
    calculation = invoice.get("GlobalTaxCalculation") or "TaxExcluded"
    lines = _sales_lines(invoice["Line"])
    subtotal = sum((line["Amount"] for line in lines if line.get("DetailType") == SALES), Decimal(0))
    tax_lines = _tax_lines(books, lines, calculation, supplied_tax_lines)
    total_tax = sum((line["Amount"] for line in tax_lines), Decimal(0))
    total = subtotal if calculation == "TaxInclusive" else subtotal + total_tax
    tax_detail: dict[str, Any] = {"TotalTax": total_tax, "TaxLine": tax_lines}
    return {
        **invoice,
        "Line": [*lines, {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}],
        "GlobalTaxCalculation": calculation,
        "TxnTaxDetail": tax_detail,
        "TotalAmt": total,
        "Balance": total - applied,
    }
