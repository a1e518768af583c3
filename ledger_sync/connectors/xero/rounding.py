"""What Xero will make of an invoice's lines, and the adjustment that makes its net total Service Opus's.

Xero keeps UnitAmount to 2 dp (4 with `unitdp=4`) and Quantity to 4 dp and makes each LineAmount
Quantity x UnitAmount rounded to the cent. Its own per-line tax can differ by a cent from Service
Opus's (a tax-inclusive line is split into net and tax before it reaches Xero), so every line carries
the `TaxAmount` Service Opus computed, which the spec lets a client override: tax and net then match
to the cent. Service Opus may price more finely than 4 dp (a tax-inclusive line's net unit price can
need 7 dp), so a line amount can still differ; that difference goes on an explicit adjustment line to
the ROUNDING system account rather than being lost.

Xero refuses a negative quantity ("Quantity must not be less than zero", reported for invoices), so a credit
line goes as its positive quantity at a negative unit amount: the same line amount. Service Opus's invoice
discount goes as one negative line per tax rate, at that rate, carrying its own (negative) tax.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ledger_sync.core.money import MoneyError, cents, unit_price_for
from ledger_sync.core.records import CreditNoteRecord, InvoiceDiscountRecord, InvoiceLineRecord, InvoiceRecord
from ledger_sync.core.tracking import TrackingTag

UNIT_PLACES = 4
"""`unitdp=4`: the finest unit price Xero keeps."""
QUANTITY_STEP = Decimal("0.0001")


@dataclass(frozen=True)
class XeroLine:
    """A record line or discount row as Xero will hold it: its quantity, unit amount, line amount and (Service
    Opus's) tax."""

    description: str
    item_code: str | None
    """None: a discount row, posted to the discount account."""
    tax_type: str
    quantity: Decimal
    unit_amount: Decimal
    line_amount: Decimal
    tax: Decimal
    tracking: tuple[TrackingTag, ...] = ()


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def xero_line(line: InvoiceLineRecord) -> XeroLine:
    """The closest Xero can come to `line`: its exact net amount whenever a 4-dp unit price gives it; a
    negative quantity's sign moves to the unit amount."""
    sign = -1 if line.quantity < 0 else 1
    quantity = (sign * line.quantity).quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP).normalize()
    unit = sign * line.unit_price
    if _places(unit) > UNIT_PLACES:
        try:
            unit = unit_price_for(line.amount, quantity, places=UNIT_PLACES)
        except MoneyError:
            unit = unit.quantize(Decimal(1).scaleb(-UNIT_PLACES), rounding=ROUND_HALF_UP).normalize()
    amount = cents(quantity * unit)
    return XeroLine(
        line.description, line.item_ref, line.tax_code_ref, quantity, unit, amount, line.tax_amount, line.tracking
    )


def discount_line(discount: InvoiceDiscountRecord) -> XeroLine:
    """One rate's share of the invoice discount: 1 x its (negative, exact) net amount, with its tax."""
    description = f"Discount {discount.percent}%"
    return XeroLine(
        description, None, discount.tax_code_ref, Decimal(1), discount.amount, discount.amount, discount.tax_amount
    )


def xero_lines(record: InvoiceRecord | CreditNoteRecord) -> list[XeroLine]:
    discounts = record.discounts if isinstance(record, InvoiceRecord) else ()
    return [xero_line(line) for line in record.lines] + [discount_line(d) for d in discounts]


def adjustment(record: InvoiceRecord | CreditNoteRecord, lines: list[XeroLine]) -> Decimal:
    """What must be added to the total Xero computes from `lines` to reach the record's total."""
    computed = sum((line.line_amount + line.tax for line in lines), Decimal("0.00"))
    return record.total - computed
