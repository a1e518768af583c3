"""Which sales tax model a QBO company uses, read from `CompanyInfo.Country` and `Preferences.TaxPrefs`.

Non-US companies take a real TaxCode on every line and explicit `TxnTaxDetail.TaxLine` amounts. US companies
only take `TAX` or `NON` on a line (anything else is fault 6100) and one tax code for the whole invoice in
`TxnTaxDetail.TxnTaxCodeRef`; on Automated Sales Tax (AST, `PartnerTaxEnabled`) QBO ignores supplied rates
and only `TxnTaxCodeRef` plus `TotalTax` overrides its own tax.
"""

from enum import StrEnum

from ledger_sync.connectors.qbo.query import Queryable
from ledger_sync.core.ledger import ErrorKind, LedgerError

US_TAXABLE = "TAX"
US_NON_TAXABLE = "NON"
"""The only line tax codes a US company accepts; `NON` is also what an untaxed Service Opus rate maps to."""


class QboTaxModel(StrEnum):
    NON_US = "non_us"
    US = "us"
    """US, sales tax kept by hand: QBO computes tax from the invoice's combined code."""
    US_AST = "us_ast"
    """US on Automated Sales Tax: QBO computes tax itself unless `TxnTaxCodeRef` + `TotalTax` override it."""

    @property
    def is_us(self) -> bool:
        return self is not QboTaxModel.NON_US


def read_tax_model(client: Queryable) -> QboTaxModel:
    """The company's tax model; a company that does not say its country is an error, not a guess."""
    infos = client.query("SELECT * FROM CompanyInfo").get("QueryResponse", {}).get("CompanyInfo") or []
    countries = {str(info.get("Country") or "") for info in infos}
    if len(countries) != 1 or "" in countries:
        raise LedgerError(ErrorKind.UNAVAILABLE, "QBO answered without the company's country (CompanyInfo.Country)")
    if countries != {"US"}:
        return QboTaxModel.NON_US
    preferences = client.query("SELECT * FROM Preferences").get("QueryResponse", {}).get("Preferences") or []
    automated = any((p.get("TaxPrefs") or {}).get("PartnerTaxEnabled") is True for p in preferences)
    return QboTaxModel.US_AST if automated else QboTaxModel.US
