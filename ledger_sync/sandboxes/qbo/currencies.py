"""Currencies in a sandbox QBO company: `Preferences.CurrencyPrefs` (multicurrency off in a new company, as in
QBO; a bookkeeper turns it on, and QBO never turns it off again) and the currency list (`CompanyCurrency`), which a
bookkeeper adds currencies to once multicurrency is on.

What the sandbox refuses, the stricter reading wherever Intuit does not document the fault (?):
- a customer or transaction in a currency other than the home one while multicurrency is off, or one not on the
  currency list (Invalid Reference Fault on `CurrencyRef`, as before multicurrency);
- a customer's currency changed once the customer has transactions (QBO's UI does not let it be changed at all
  then; the API's fault is not documented: 6000);
- an invoice, credit memo or payment in another currency than its customer's (QBO takes the customer's currency
  for a transaction: 6000);
- a foreign-currency transaction without `ExchangeRate`: QBO would take its own market rate for the day, which
  the sandbox does not have; a home-currency one with a rate other than 1;
- an invoice whose `ARAccountRef` is not an Accounts Receivable account in the invoice's currency (QBO keeps one
  A/R account per currency; when none is named it uses, and first creates, the currency's own);
- a payment into an account in a third currency (QBO deposits a foreign payment into an account in that currency
  or in the home one).

With multicurrency on, a sales transaction carries `HomeTotalAmt` and `HomeBalance`: its total and open balance
times its `ExchangeRate` (home units per foreign unit, Finance.xsd), rounded half-up to the cent (QBO does not
document its rounding: `core.currency` says why this one). A payment at another rate than its invoice's clears
the invoice's home balance at the invoice's rate and debits the bank with its own home amount; QBO posts the
difference to its Exchange Gain or Loss account, an Other Expense one, whose `CurrentBalance` QBO does not report
(balance-sheet accounts only), so the sandbox keeps no balance for it either.
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ledger_sync.sandboxes.qbo import chart, faults
from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.money import to_decimal

SALES = ("Invoice", "CreditMemo", "RefundReceipt")
TRANSACTIONS = (*SALES, "Payment")
NAMES = {"CAD": "Canadian Dollar", "USD": "United States Dollar", "EUR": "Euro", "GBP": "British Pound Sterling"}
_CODE = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")


def prefs(books: Books) -> dict[str, Any]:
    return next(iter(books.all("Preferences")), {}).get("CurrencyPrefs") or {}


def home(books: Books) -> dict[str, str]:
    """The home currency: the preferences', else (a company made before they named it) its country's."""
    found: dict[str, str] | None = prefs(books).get("HomeCurrency")
    if found:
        return found
    countries = [str(info.get("Country")) for info in books.all("CompanyInfo")]
    return chart.HOME_CURRENCY.get(countries[0] if countries else "CA", chart.CAD)


def multicurrency(books: Books) -> bool:
    return prefs(books).get("MultiCurrencyEnabled") is True


def enabled(books: Books) -> set[str]:
    """The currencies a customer or transaction may be in: the home one, and with multicurrency on the list's."""
    codes = {home(books).get("value", "")}
    if multicurrency(books):
        codes |= {str(c["Code"]) for c in books.all("CompanyCurrency") if c.get("Active", True)}
    return codes


def currency_ref(code: str) -> dict[str, str]:
    return {"value": code, "name": NAMES.get(code, code)}


def check_company_currency(books: Books, candidate: dict[str, Any]) -> None:
    """A currency added to the list: multicurrency on, a 3-letter code, not the home one, not listed already."""
    if not multicurrency(books):
        raise faults.business("Multicurrency is off: turn it on before adding currencies.")
    code = str(candidate.get("Code") or "")
    if not _CODE.match(code):
        raise faults.invalid_value("Code")
    listed = [c for c in books.all("CompanyCurrency") if c["Code"] == code and c["Id"] != candidate.get("Id")]
    if code == home(books).get("value") or listed:
        raise faults.duplicate_name(listed[0]["Id"] if listed else "0", "currency")
    candidate.setdefault("Name", NAMES.get(code, code))


def check_customer(books: Books, candidate: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """The customer's currency is enabled, and unchanged once the customer has transactions; default: home."""
    code = ref_id(candidate.get("CurrencyRef")) or ref_id((existing or {}).get("CurrencyRef")) or home(books)["value"]
    if code not in enabled(books):
        raise faults.invalid_reference("CurrencyRef")
    if existing is not None and code != ref_id(existing.get("CurrencyRef")) and _has_transactions(books, existing):
        raise faults.business(f"The currency of customer {existing['DisplayName']} cannot change: it has transactions.")
    candidate["CurrencyRef"] = currency_ref(code)


def _has_transactions(books: Books, customer: dict[str, Any]) -> bool:
    return any(ref_id(txn.get("CustomerRef")) == customer["Id"] for entity in TRANSACTIONS for txn in books.all(entity))


def check_transaction(books: Books, candidate: dict[str, Any], customer: dict[str, Any]) -> None:
    """A transaction in its customer's currency (its default), enabled, at a rate QBO can book it at."""
    customer_code = ref_id(customer.get("CurrencyRef")) or home(books)["value"]
    code = ref_id(candidate.get("CurrencyRef")) or customer_code
    if code not in enabled(books):
        raise faults.invalid_reference("CurrencyRef")
    if code != customer_code:
        raise faults.business(
            f"The transaction is in {code} but customer {customer.get('DisplayName', '')} is in {customer_code}: "
            "a transaction must be in its customer's currency."
        )
    candidate["CurrencyRef"] = currency_ref(code)
    rate = candidate.get("ExchangeRate")
    if code == home(books)["value"]:
        if rate is not None and to_decimal(rate) != 1:
            raise faults.invalid_value("ExchangeRate")
        if multicurrency(books):
            candidate["ExchangeRate"] = Decimal(1)
        return
    if rate is None:
        raise faults.required("ExchangeRate")
    if to_decimal(rate) <= 0:
        raise faults.invalid_value("ExchangeRate")
    candidate["ExchangeRate"] = to_decimal(rate)


def check_receivable(books: Books, candidate: dict[str, Any]) -> str | None:
    """The named `ARAccountRef` is an Accounts Receivable account in the invoice's currency; None: none named."""
    named = ref_id(candidate.get("ARAccountRef"))
    if named is None:
        return None
    account = books.get("Account", named)
    if account is None or account.get("AccountType") != "Accounts Receivable":
        raise faults.invalid_reference("ARAccountRef")
    code = ref_id(candidate.get("CurrencyRef"))
    if ref_id(account.get("CurrencyRef")) != code:
        raise faults.business(f"Account {account['Name']} is not in {code}: an invoice in {code} needs A/R in {code}.")
    return named


def receivable_for(books: Books, code: str) -> dict[str, Any] | None:
    """The currency's own Accounts Receivable account, if the company has one."""
    return next(
        (
            a
            for a in books.all("Account")
            if a.get("AccountType") == "Accounts Receivable" and ref_id(a.get("CurrencyRef")) == code
        ),
        None,
    )


def receivable_account(code: str) -> dict[str, Any]:
    """The A/R account QBO creates for a currency the first time an invoice is in it."""
    name = f"Accounts Receivable (A/R) - {code}"
    return {
        "Name": name,
        "FullyQualifiedName": name,
        "SubAccount": False,
        "Active": True,
        "Classification": "Asset",
        "AccountType": "Accounts Receivable",
        "AccountSubType": "AccountsReceivable",
        "CurrentBalance": Decimal(0),
        "CurrentBalanceWithSubAccounts": Decimal(0),
        "CurrencyRef": currency_ref(code),
    }


def check_payment_links(books: Books, candidate: dict[str, Any]) -> None:
    """A payment is in the currency of every invoice and credit memo it links."""
    code = ref_id(candidate.get("CurrencyRef"))
    for line in candidate.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            txn = books.get(str(linked.get("TxnType")), str(linked.get("TxnId"))) or {}
            held = ref_id(txn.get("CurrencyRef"))
            if held is not None and held != code:
                raise faults.business(
                    f"A payment in {code} cannot pay {linked['TxnType']} {linked['TxnId']} in {held}."
                )


def check_deposit_account(books: Books, candidate: dict[str, Any]) -> None:
    """A payment lands in (a refund receipt is paid out of) an account in its own currency or in the home one."""
    account = books.get("Account", ref_id(candidate.get("DepositToAccountRef")) or "")
    if account is None:
        return
    code, held = ref_id(candidate.get("CurrencyRef")), ref_id(account.get("CurrencyRef"))
    if held not in (code, home(books)["value"]):
        raise faults.business(f"A payment in {code} cannot be deposited to {account['Name']}, an account in {held}.")


def home_amount(amount: object, rate: object) -> Decimal:
    """Half-up to the cent (see the module docstring)."""
    return (to_decimal(amount) * to_decimal(rate)).quantize(_CENT, rounding=ROUND_HALF_UP)


def with_home_amounts(books: Books, txn: dict[str, Any]) -> dict[str, Any]:
    """The sales transaction with its home total and balance, in a multicurrency company (none in another)."""
    if not multicurrency(books):
        return txn
    rate = txn.get("ExchangeRate", 1)
    home_amounts = {"HomeTotalAmt": home_amount(txn.get("TotalAmt", 0), rate)}
    if "Balance" in txn:
        home_amounts["HomeBalance"] = home_amount(txn["Balance"], rate)
    return {**txn, **home_amounts}
