"""US sales tax as a US QBO company applies it: `TAX`/`NON` lines, one tax code per invoice, Automated Sales Tax.

A US invoice's lines only say whether they are taxable (`TAX`) or not (`NON`); anything else is fault 6100.
The invoice names one (usually combined: state + county + city) TaxCode in `TxnTaxDetail.TxnTaxCodeRef`,
and QBO computes the tax from that code's combined rate over the taxable lines. A company on Automated
Sales Tax (AST) computes tax itself and ignores supplied line rates and tax lines; its only override is
`TxnTaxCodeRef` plus `TotalTax` (Intuit staff in QuickBooks-V3-PHP-SDK#199).

Where real QBO's behaviour is not documented the sandbox takes the stricter reading, said at each place.
Plain Decimal here (no project money helpers): the sandbox stands in for the vendor, not for our code.
"""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import spread
from ledger_sync.sandboxes.qbo.tax_lines import tax_line

TAX = "TAX"
NON = "NON"
LINE_CODES = (TAX, NON)
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def is_us(books: Books) -> bool:
    return any(info.get("Country") == "US" for info in books.all("CompanyInfo"))


def automated(books: Books) -> bool:
    """The company is on Automated Sales Tax (`Preferences.TaxPrefs.PartnerTaxEnabled`)."""
    return any((prefs.get("TaxPrefs") or {}).get("PartnerTaxEnabled") is True for prefs in books.all("Preferences"))


def line_code(detail: dict[str, Any]) -> str:
    """A sales line's tax code; a missing one is `NON` (non-taxable), as in QBO."""
    return ref_id(detail.get("TaxCodeRef")) or NON


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _components(books: Books, code: dict[str, Any]) -> list[tuple[str, Decimal]]:
    """(TaxRate Id, percent) of each rate the code combines."""
    result = []
    for detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail") or []:
        rate = books.get("TaxRate", ref_id(detail.get("TaxRateRef")) or "")
        if rate is not None:
            result.append((str(rate["Id"]), Decimal(str(rate["RateValue"]))))
    return result


def _ast_code(books: Books) -> dict[str, Any] | None:
    """The code AST picks. Real AST picks it from the ship-to address; the sandbox uses the company's home
    jurisdiction (its first active code), so a client that relies on its own line rates sees them ignored."""
    return next((code for code in books.all("TaxCode") if code.get("Active") is not False), None)


def tax_detail(
    books: Books,
    lines: list[dict[str, Any]],
    request: dict[str, Any],
    keep_override: bool = True,
    discount: Decimal = Decimal(0),
) -> dict[str, Any]:
    """`TxnTaxDetail` as QBO saves it: tax from the combined rate of the invoice's code over its `TAX` lines,
    less the taxable lines' share of `discount` (a discount applied before tax).

    Non-AST: the code is the request's `TxnTaxCodeRef` (none: no tax). AST: the company's own pick, unless the
    request gives both `TxnTaxCodeRef` and `TotalTax` (the documented override). Supplied `TaxLine`s are
    ignored in both: a US company derives them from the code (the stricter reading). A supplied `TotalTax`
    is kept (the override) unless `keep_override` is False: whether QBO keeps it is reported both ways
    (python-quickbooks#301 vs PHP-SDK#422), so clients must compare.
    The total (computed or overridden) is split over the component rates in proportion to each one's share of
    the combined rate, the last taking the rounding remainder, so no component goes negative to absorb an
    override; how QBO distributes it is not documented, only the total is relied on.
    """
    supplied = request.get("TxnTaxDetail") or {}
    supplied_code = ref_id(supplied.get("TxnTaxCodeRef"))
    override = supplied.get("TotalTax") if keep_override else None
    code: dict[str, Any] | None
    if automated(books) and (supplied_code is None or override is None):
        code, override = _ast_code(books), None
    else:
        code = books.get("TaxCode", supplied_code) if supplied_code else None
    if code is None:
        return {"TotalTax": Decimal("0.00"), "TaxLine": []}
    sales = [ln for ln in lines if ln.get("DetailType") == "SalesItemLineDetail"]
    taxable = sum(
        (Decimal(str(ln["Amount"])) for ln in sales if line_code(ln["SalesItemLineDetail"]) == TAX), Decimal("0.00")
    )
    taxable -= spread(discount, taxable, sum((Decimal(str(ln["Amount"])) for ln in sales), Decimal("0.00")))
    components = _components(books, code)
    combined = sum((percent for _, percent in components), Decimal(0))
    total = _cents(taxable * combined / HUNDRED) if override is None else _cents(Decimal(str(override)))
    tax_lines = []
    remaining = total
    for position, (rate_id, percent) in enumerate(components, start=1):
        share = percent / combined if combined else Decimal(0)
        amount = remaining if position == len(components) else _cents(total * share)
        remaining -= amount
        tax_lines.append(tax_line(rate_id, percent, taxable, amount))
    return {
        "TxnTaxCodeRef": {"value": str(code["Id"]), "name": code.get("Name", "")},
        "TotalTax": total,
        "TaxLine": tax_lines,
    }
