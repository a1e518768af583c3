"""One `TxnTaxDetail.TaxLine` as QBO saves it: a percent-based tax rate, the net it taxes and the tax."""

from decimal import Decimal
from typing import Any


def tax_line(rate_id: str, percent: Decimal, net: Decimal, amount: Decimal) -> dict[str, Any]:
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
