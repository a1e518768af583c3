"""Account balances as QBO reports them (`Account.CurrentBalance`), kept up to date by each transaction's save.

A transaction posts debits and credits to accounts; every save posts the difference between the transaction as
saved and as it was (a void posts its whole amount back), so a balance is never recomputed by a rescan.
QBO's reference says `CurrentBalance` is valid for balance-sheet accounts only: income and expense accounts keep 0.
What posts here (the money the sync moves): a Payment debits its `DepositToAccountRef`; a RefundReceipt credits its
`DepositToAccountRef`; a Deposit debits its `DepositToAccountRef` by its total and credits each line's account (a
linked payment's line: the account the payment was held in, Undeposited Funds). Invoices and credit memos would
move Accounts Receivable and the tax accounts: not modelled (no balance of theirs is read), so those stay at 0.
Whether QBO bumps an account's SyncToken when its balance moves is not documented (?): the sandbox does not.
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.qbo.books import Books, ref_id
from ledger_sync.sandboxes.qbo.currencies import home_amount
from ledger_sync.sandboxes.qbo.deposits import DETAIL
from ledger_sync.sandboxes.qbo.money import to_decimal

BALANCE_SHEET_CREDIT = frozenset({"Liability", "Equity"})
"""Classifications whose balance QBO shows credit-positive (assets show debit-positive)."""
BALANCE_SHEET = BALANCE_SHEET_CREDIT | {"Asset"}
READ_ONLY = ("CurrentBalance", "CurrentBalanceWithSubAccounts")


def keep_balance(candidate: dict[str, Any], existing: dict[str, Any] | None) -> None:
    """An account's balance is QBO's own (read-only in the API reference): whatever a create or an update sends
    for it is replaced by the balance the account has (0 for a new one)."""
    for key in READ_ONLY:
        candidate[key] = (existing or {}).get(key, Decimal(0))


def debits(books: Books, entity: str, body: dict[str, Any] | None) -> defaultdict[str, Decimal]:
    """What a transaction debits (positive) and credits (negative), by account id."""
    posted: defaultdict[str, Decimal] = defaultdict(Decimal)
    if body is None:
        return posted
    total = to_decimal(body.get("TotalAmt", 0))
    target = ref_id(body.get("DepositToAccountRef"))
    if entity == "Payment" and target is not None:
        posted[target] += _in_account_currency(books, target, body, total)
    elif entity == "RefundReceipt" and target is not None:
        posted[target] -= _in_account_currency(books, target, body, total)
    elif entity == "Deposit" and target is not None:
        posted[target] += total
        for line in body.get("Line") or []:
            source = _line_source(books, line)
            if source is not None:
                posted[source] -= to_decimal(line.get("Amount", 0))
    return posted


def _in_account_currency(books: Books, account_id: str, body: dict[str, Any], amount: Decimal) -> Decimal:
    """A foreign payment into (refund out of) a home-currency account moves it at its own rate
    (`currencies.home_amount`)."""
    account = books.get("Account", account_id) or {}
    if ref_id(body.get("CurrencyRef")) in (None, ref_id(account.get("CurrencyRef"))):
        return amount
    return home_amount(amount, body.get("ExchangeRate", 1))


def _line_source(books: Books, line: dict[str, Any]) -> str | None:
    """The account a deposit line takes its money from: its own account, or the linked payment's."""
    linked = next(iter(line.get("LinkedTxn") or []), None)
    if linked is not None:
        payment = books.get("Payment", str(linked.get("TxnId"))) or {}
        return ref_id(payment.get("DepositToAccountRef"))
    return ref_id((line.get(DETAIL) or {}).get("AccountRef"))


def moved(books: Books, entity: str, saved: dict[str, Any] | None, before: dict[str, Any] | None) -> dict[str, Decimal]:
    """Each account's new `CurrentBalance`, for the accounts this save (`saved` None: deletion) moves (nothing for an
    unchanged amount)."""
    change = debits(books, entity, saved)
    for account_id, debit in debits(books, entity, before).items():
        change[account_id] -= debit
    balances = {}
    for account_id, debit in change.items():
        account = books.get("Account", account_id)
        if debit == 0 or account is None or account.get("Classification") not in BALANCE_SHEET:
            continue
        signed = -debit if account["Classification"] in BALANCE_SHEET_CREDIT else debit
        balances[account_id] = to_decimal(account.get("CurrentBalance", 0)) + signed
    return balances
