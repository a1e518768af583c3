"""One QBO company (realm): reads, validated writes with QBO's derived fields, queries, and its creation.

Writes run in one store transaction: the rules see the company as it is, the entity is stamped (Id,
SyncToken, MetaData) and saved, and invoices and credit memos a payment touches get their new Balance
(a memo's also as RemainingCredit) and LinkedTxn.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.qbo import (
    balances,
    chart,
    currencies,
    deposits,
    faults,
    fields,
    invoicing,
    payments,
    query,
    rules,
    tracking,
    voiding,
)
from ledger_sync.sandboxes.qbo.books import ref_id
from ledger_sync.sandboxes.qbo.money import to_decimal
from ledger_sync.sandboxes.qbo.store import Store
from ledger_sync.sandboxes.qbo.wire import QBO_ZONE, qbo_timestamp

ENTITIES: tuple[str, ...] = ("Account", "TaxCode", "TaxRate", "Item", "Customer", "Vendor", "Employee", "Invoice")
ENTITIES += ("CreditMemo", "Payment", "Deposit", "RefundReceipt", "PaymentMethod", "CompanyInfo", "Preferences")
ENTITIES += tracking.KINDS
ENTITIES += ("CompanyCurrency",)
WRITABLE = frozenset(
    {"Account", "Item", "Customer", "Vendor", "Employee", "Invoice", "CreditMemo", "Payment", "Deposit"}
    | {"RefundReceipt", "PaymentMethod", "CompanyCurrency", *tracking.KINDS}
)
DATED = frozenset({"Invoice", "CreditMemo", "Payment", "Deposit", "RefundReceipt"})
"""Transactions the books' closing date applies to (the ones the sandbox keeps)."""
NAME_LISTS = frozenset(
    {"Account", "TaxCode", "TaxRate", "Item", "Customer", "Vendor", "Employee", "PaymentMethod", "CompanyCurrency"}
    | {*tracking.KINDS}
)
"""Entities whose queries return only active records unless the query filters on Active."""


def entity_name(name: str) -> str | None:
    """The canonical entity name for a URL segment or query (`customer`, `TAXCODE`, ...)."""
    return next((entity for entity in ENTITIES if entity.lower() == name.lower()), None)


def _named(ref: dict[str, Any], target: dict[str, Any], name_key: str) -> dict[str, Any]:
    return {**ref, "value": target["Id"], "name": target.get(name_key, "")}


class Company:
    def __init__(
        self, store: Store, realm_id: str, clock: ScaledClock, *, keeps_total_tax_override: bool = True
    ) -> None:
        self._store = store
        self.realm_id = realm_id
        self._clock = clock
        self.keeps_total_tax_override = keeps_total_tax_override
        """US: whether a supplied TotalTax replaces QBO's own tax (see `QboSandboxConfig`)."""

    # Books

    def get(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        return self._store.get(self.realm_id, entity, entity_id)

    def all(self, entity: str) -> list[dict[str, Any]]:
        return self._store.all(self.realm_id, entity)

    def named(self, entities: tuple[str, ...], field: str, name: str) -> list[tuple[str, dict[str, Any]]]:
        return self._store.named(self.realm_id, entities, field, name)

    def with_doc_number(self, doc_number: str, entity: str = "Invoice") -> list[dict[str, Any]]:
        return self._store.find_by(self.realm_id, entity, "DocNumber", doc_number)

    def payments_linking(self, invoice_id: str) -> list[dict[str, Any]]:
        return self._store.payments_linking(self.realm_id, invoice_id)

    # Creation

    def exists(self) -> bool:
        return self._store.has_realm(self.realm_id)

    def create(self, country: str = "CA", automated_sales_tax: bool = False) -> None:
        """A new company of `country` (CA or US; US may be on Automated Sales Tax) with its chart of accounts,
        sales taxes and preferences (on first consent)."""
        with self._store.transaction():
            if self.exists():
                return
            self._store.add_realm(self.realm_id, self._clock.seconds())
            for entity, bodies in chart.company_entities(self.realm_id, country, automated_sales_tax).items():
                for body in bodies:
                    self._save(entity, body, None)

    # Reads

    def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        found = self.get(entity, entity_id)
        if found is None:
            raise faults.object_not_found()
        return found

    def query(self, text: str) -> dict[str, Any]:
        parsed = query.parse(text)
        entity = entity_name(parsed.entity)
        if entity is None:
            raise faults.query_validation(f"value {parsed.entity} is not a valid entity")
        parsed.entity = entity
        return query.run(parsed, self.all(entity), active_only_by_default=entity in NAME_LISTS)

    # Writes

    def write(
        self, entity: str, body: object, *, update: bool = False, allow_duplicate_doc_number: bool = False
    ) -> dict[str, Any]:
        """Create (no Id) or update (Id + current SyncToken; `sparse: true` merges) one entity."""
        if entity not in WRITABLE:
            raise faults.unsupported_operation(f"{'Update' if update else 'Create'} {entity}")
        if not isinstance(body, dict):
            raise faults.invalid_json()
        with self._store.transaction():
            existing = None
            candidate = {k: v for k, v in body.items() if k not in ("sparse", "domain", "MetaData")}
            if update or body.get("Id") is not None:
                existing = self._current(entity, body)
                if entity == "Deposit":
                    deposits.check_sparse(body)
                voiding.check_not_voided(entity, existing)
                candidate = {**existing, **candidate} if body.get("sparse") is True else candidate
                candidate["Id"] = existing["Id"]
            if entity == "Account":
                balances.keep_balance(candidate, existing)
            if entity in DATED:
                self._check_open_period(candidate, existing)
            prepared = self._prepare(entity, candidate, body, allow_duplicate_doc_number)
            saved = self._save(entity, prepared, existing)
            if entity == "Payment":
                self._rebalance_linked(saved, existing or {})
            if entity == "Deposit":
                self._relink_payments(saved, existing or {})
            return saved

    def void(self, entity: str, body: object) -> dict[str, Any]:
        """Void an invoice (`operation=void`) or a payment (`operation=update&include=void`): Id and current
        SyncToken (5010 when stale); see `voiding` for what QBO keeps and what it refuses."""
        if entity not in ("Invoice", "Payment"):
            raise faults.unsupported_operation(f"void {entity}")
        if not isinstance(body, dict):
            raise faults.invalid_json()
        with self._store.transaction():
            existing = self._current(entity, body)
            self._check_not_deposited(entity, existing)
            if entity == "Invoice":
                return self._save(entity, voiding.voided_invoice(self, existing), existing)
            saved = self._save(entity, voiding.voided_payment(existing), existing)
            self._rebalance_linked(saved, existing)
            return saved

    def remove(self, entity: str, body: object) -> dict[str, Any]:
        """`operation=delete` of a credit memo (QBO's API voids no CreditMemo; it deletes one) or of a deposit: Id and
        current SyncToken (5010 when stale), not in a closed period. QBO's behaviour for a credit memo a payment still
        applies is not documented; the sandbox refuses it (6000) until the payment is voided or unlinked. A deposit's
        money leaves its bank account; one that deposits payments is refused (6000), the stricter reading (QBO's UI
        returns them to Undeposited Funds, which is not modelled)."""
        if entity not in ("CreditMemo", "Deposit"):
            raise faults.unsupported_operation(f"delete {entity}")
        if not isinstance(body, dict):
            raise faults.invalid_json()
        with self._store.transaction():
            existing = self._current(entity, body)
            self._check_open_period(existing, existing)
            if entity == "Deposit":
                if any(line.get("LinkedTxn") for line in existing.get("Line") or []):
                    raise faults.business(f"Deposit {existing['Id']} deposits payments: it cannot be deleted here.")
                for account_id, balance in balances.moved(self, entity, None, existing).items():
                    account = {**self.read("Account", account_id), "CurrentBalance": balance}
                    self._store.put(self.realm_id, "Account", {**account, "CurrentBalanceWithSubAccounts": balance})
                self._store.delete(self.realm_id, entity, existing["Id"])
                return {"Id": existing["Id"], "status": "Deleted", "domain": "QBO"}
            linking = payments.crediting_payment_ids(self, existing["Id"])
            if linking:
                raise faults.business(
                    f"Credit memo {existing['Id']} is applied by payments ({', '.join(linking)}): "
                    "void or unlink them before deleting the credit memo."
                )
            self._store.delete(self.realm_id, entity, existing["Id"])
            return {"Id": existing["Id"], "status": "Deleted", "domain": "QBO"}

    def patch(self, entity: str, entity_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Change fields behind the client's back (as a user in the QBO UI would): no rules, SyncToken bumps;
        a payment's invoices get their new balance, as the UI gives them."""
        with self._store.transaction():
            existing = self.read(entity, entity_id)
            if entity == "Preferences":  # a settings page changes the settings it shows, not the others
                fields = {k: {**existing.get(k, {}), **v} if isinstance(v, dict) else v for k, v in fields.items()}
            saved = self._save(entity, {**existing, **fields, "Id": existing["Id"]}, existing)
            if entity == "Payment":
                self._rebalance_linked(saved, existing)
            return saved

    def delete(self, entity: str, entity_id: str) -> None:
        """Delete an invoice by hand, as a user in the QBO UI would (QBO deletes for good). One a payment is
        linked to is refused: the UI makes the user unlink it first (stricter than modelling the unlinking)."""
        with self._store.transaction():
            self.read(entity, entity_id)
            if entity != "Invoice" or self.payments_linking(entity_id):
                raise faults.unsupported_operation(f"Delete {entity} {entity_id} by hand")
            self._store.delete(self.realm_id, entity, entity_id)

    def _check_open_period(self, candidate: dict[str, Any], existing: dict[str, Any] | None) -> None:
        """A transaction dated on or before the closing date (`Preferences.AccountingInfoPrefs.BookCloseDate`,
        set by a bookkeeper) cannot be created, nor one in the closed period edited or moved out of it. QBO lets
        a closing-date password through in its UI; whether the API ever does is not documented, so the sandbox
        always refuses (the stricter reading)."""
        prefs = next(iter(self.all("Preferences")), {})
        closed = (prefs.get("AccountingInfoPrefs") or {}).get("BookCloseDate")
        if not closed:
            return
        dates = [str(candidate.get("TxnDate") or self._today())]
        dates += [str(existing["TxnDate"])] if existing and existing.get("TxnDate") else []
        if any(day <= str(closed) for day in dates):
            raise faults.period_closed()

    def _current(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("Id") is None:
            raise faults.required("Id")
        existing = self.get(entity, str(body["Id"]))
        if existing is None:
            raise faults.object_not_found("Id")
        if body.get("SyncToken") is None:
            raise faults.required("SyncToken")
        if str(body["SyncToken"]) != existing["SyncToken"]:
            raise faults.stale_object()
        return existing

    def _prepare(
        self, entity: str, candidate: dict[str, Any], request: dict[str, Any], allow_duplicate_doc_number: bool
    ) -> dict[str, Any]:
        fields.check_characters(candidate)
        fields.check_lengths(entity, candidate)
        if entity in NAME_LISTS:
            candidate.setdefault("Active", True)
        if entity in rules.PEOPLE:
            candidate["DisplayName"] = rules.display_name(candidate)
            rules.check_person(self, entity, candidate)
            candidate.setdefault("PrintOnCheckName", candidate["DisplayName"])
            if entity == "Customer":
                existing = self.get("Customer", str(candidate["Id"])) if candidate.get("Id") is not None else None
                currencies.check_customer(self, candidate, existing)
                candidate["FullyQualifiedName"] = candidate["DisplayName"]
                candidate.setdefault("Balance", 0)
            return candidate
        if entity == "CompanyCurrency":
            currencies.check_company_currency(self, candidate)
            return candidate
        if entity == "Item":
            rules.check_item(self, candidate)
            candidate["FullyQualifiedName"] = candidate["Name"]
            for key in ("IncomeAccountRef", "AssetAccountRef", "ExpenseAccountRef"):
                if ref_id(candidate.get(key)) is not None:
                    candidate[key] = _named(candidate[key], self.read("Account", ref_id(candidate[key]) or ""), "Name")
            if candidate.get("UnitPrice") is not None:
                candidate["UnitPrice"] = to_decimal(candidate["UnitPrice"])
            return candidate
        if entity in tracking.KINDS:
            tracking.check_list_entry(self, entity, candidate)
            return candidate
        if entity == "PaymentMethod":
            # QBO's default Type when none is sent is not documented (?): the sandbox takes NON_CREDIT_CARD.
            candidate.setdefault("Type", "NON_CREDIT_CARD")
            rules.check_payment_method(self, candidate)
            return candidate
        if entity == "Account":
            rules.check_account(self, candidate)
            candidate["FullyQualifiedName"] = candidate["Name"]
            candidate.setdefault("CurrencyRef", self._home_currency())
            return candidate
        if entity == "Invoice":
            return self._prepare_invoice(candidate, request, allow_duplicate_doc_number)
        if entity == "CreditMemo":
            return self._prepare_credit_memo(candidate, request, allow_duplicate_doc_number)
        if entity == "Deposit":
            deposits.check_deposit(self, candidate)
            settled = deposits.settle(self, candidate)
            settled.setdefault("TxnDate", self._today())
            settled.setdefault("CurrencyRef", self._home_currency())
            return settled
        if entity == "RefundReceipt":
            return self._prepare_refund_receipt(candidate, request, allow_duplicate_doc_number)
        rules.check_payment(self, candidate)
        currencies.check_transaction(self, candidate, self.read("Customer", ref_id(candidate["CustomerRef"]) or ""))
        currencies.check_payment_links(self, candidate)
        currencies.check_deposit_account(self, candidate)
        settled = payments.settle(self, candidate)
        settled["CustomerRef"] = _named(
            settled["CustomerRef"], self.read("Customer", ref_id(settled["CustomerRef"]) or ""), "DisplayName"
        )
        settled.setdefault("TxnDate", self._today())
        settled.setdefault("CurrencyRef", self._home_currency())
        return settled

    def _prepare_invoice(
        self, candidate: dict[str, Any], request: dict[str, Any], allow_duplicate_doc_number: bool
    ) -> dict[str, Any]:
        applied = payments.applied_amount(self, candidate.get("Id", ""))
        priced = self._priced("Invoice", candidate, request, allow_duplicate_doc_number, applied)
        priced.setdefault("DueDate", priced["TxnDate"])
        priced["ARAccountRef"] = {"value": self._receivable(priced)}
        priced["LinkedTxn"] = [
            {"TxnId": pid, "TxnType": "Payment"} for pid in payments.paying_payment_ids(self, candidate.get("Id", ""))
        ]
        return priced

    def _prepare_credit_memo(
        self, candidate: dict[str, Any], request: dict[str, Any], allow_duplicate_doc_number: bool
    ) -> dict[str, Any]:
        """Priced like an invoice; its Balance is the credit not yet applied, also shown as RemainingCredit.
        Changing a memo whose credit is applied is refused: QBO's own behaviour is not documented (?), and
        lowering it under what is applied would leave a negative balance (stricter)."""
        memo_id = candidate.get("Id", "")
        credited = payments.credited_amount(self, memo_id)
        if credited and "Line" in request:
            raise faults.business(f"Credit memo {memo_id} has credit applied; unlink its payments before editing it.")
        priced = self._priced("CreditMemo", candidate, request, allow_duplicate_doc_number, credited)
        priced["RemainingCredit"] = priced["Balance"]
        priced["LinkedTxn"] = [
            {"TxnId": pid, "TxnType": "Payment"} for pid in payments.crediting_payment_ids(self, memo_id)
        ]
        return priced

    def _prepare_refund_receipt(
        self, candidate: dict[str, Any], request: dict[str, Any], allow_duplicate_doc_number: bool
    ) -> dict[str, Any]:
        """Priced like an invoice, paid out at once from `DepositToAccountRef` (required: QBO's API reference
        names it required for a RefundReceipt; a Bank account or Undeposited Funds, as for a payment's deposit,
        the stricter reading of "Bank or Other Current Asset", in its currency or the home one, as a payment's). It
        has no balance and links nothing."""
        if ref_id(candidate.get("DepositToAccountRef")) is None:
            raise faults.required("DepositToAccountRef")
        account = rules.deposit_account(self, candidate["DepositToAccountRef"])
        priced = self._priced("RefundReceipt", candidate, request, allow_duplicate_doc_number, Decimal(0))
        if to_decimal(priced["TotalAmt"]) <= 0:
            raise faults.business("A refund receipt must refund an amount greater than zero.")
        currencies.check_deposit_account(self, priced)
        priced["DepositToAccountRef"] = _named(candidate["DepositToAccountRef"], account, "Name")
        priced["Balance"] = Decimal(0)
        return priced

    def _priced(
        self,
        entity: str,
        candidate: dict[str, Any],
        request: dict[str, Any],
        allow_duplicate_doc_number: bool,
        applied: Decimal,
    ) -> dict[str, Any]:
        """An invoice or credit memo checked and priced, its references named, its defaults filled in."""
        rules.check_invoice(self, candidate, allow_duplicate_doc_number, entity)
        tracking.check_transaction(self, candidate)
        currencies.check_transaction(self, candidate, self.read("Customer", ref_id(candidate.get("CustomerRef")) or ""))
        if candidate.get("DocNumber") is None:
            largest = self._store.largest_number(self.realm_id, entity, "DocNumber")
            candidate["DocNumber"] = str(max(1000, largest or 0) + 1)
        priced = invoicing.price(self, candidate, request, applied, self.keeps_total_tax_override)
        customer = self.read("Customer", ref_id(priced["CustomerRef"]) or "")
        priced["CustomerRef"] = _named(priced["CustomerRef"], customer, "DisplayName")
        for line in priced["Line"]:
            if line.get("DetailType") == invoicing.SALES:
                item = self.read("Item", ref_id(line[invoicing.SALES]["ItemRef"]) or "")
                line[invoicing.SALES]["ItemRef"] = _named(line[invoicing.SALES]["ItemRef"], item, "Name")
            elif line.get("DetailType") == invoicing.DISCOUNT:
                detail = line[invoicing.DISCOUNT]
                account = self.read("Account", ref_id(detail["DiscountAccountRef"]) or "")
                detail["DiscountAccountRef"] = _named(detail["DiscountAccountRef"], account, "Name")
        priced.setdefault("TxnDate", self._today())
        tracking.name_references(self, priced)
        return currencies.with_home_amounts(self, priced)

    def _rebalance_linked(self, payment: dict[str, Any], before: dict[str, Any]) -> None:
        """The invoices and credit memos a payment links (now or before the write) get their new balances."""
        for invoice_id in sorted({i for i, _ in payments.invoice_links(payment) + payments.invoice_links(before)}):
            self._rebalance("Invoice", invoice_id)
        for memo_id in sorted({i for i, _ in payments.credit_links(payment) + payments.credit_links(before)}):
            self._rebalance("CreditMemo", memo_id)

    def _check_not_deposited(self, entity: str, existing: dict[str, Any]) -> None:
        """A payment in a deposit is changed through the deposit (stricter than QBO's UI, which warns first)."""
        if entity == "Payment" and (deposit := deposits.deposited_by(existing)) is not None:
            raise faults.business(
                f"Payment {existing['Id']} is in deposit {deposit}: edit or delete the deposit first."
            )

    def _relink_payments(self, deposit: dict[str, Any], before: dict[str, Any]) -> None:
        """Each payment a deposit takes names it in its own `LinkedTxn`; one it no longer takes is let go."""
        now, then = deposits.linked_payment_ids(deposit), deposits.linked_payment_ids(before)
        for payment_id in sorted(now ^ then):
            payment = self.read("Payment", payment_id)
            others = [t for t in payment.get("LinkedTxn") or [] if t.get("TxnType") != "Deposit"]
            linked = others + ([{"TxnId": deposit["Id"], "TxnType": "Deposit"}] if payment_id in now else [])
            self._save("Payment", {**payment, "LinkedTxn": linked}, payment)

    def _rebalance(self, entity: str, txn_id: str) -> None:
        txn = self.get(entity, txn_id)
        if txn is None:
            return
        if entity == "Invoice":
            applied = payments.applied_amount(self, txn_id)
            linking = payments.paying_payment_ids(self, txn_id)
        else:
            applied = payments.credited_amount(self, txn_id)
            linking = payments.crediting_payment_ids(self, txn_id)
        linked = [{"TxnId": pid, "TxnType": "Payment"} for pid in linking]
        balance = to_decimal(txn["TotalAmt"]) - applied
        if balance != to_decimal(txn.get("Balance", 0)) or linked != txn.get("LinkedTxn", []):
            remaining = {"RemainingCredit": balance} if entity == "CreditMemo" else {}
            rebalanced = currencies.with_home_amounts(
                self, {**txn, "Balance": balance, **remaining, "LinkedTxn": linked}
            )
            self._save(entity, rebalanced, txn)

    def _home_currency(self) -> dict[str, str]:
        return currencies.home(self)

    def _receivable(self, invoice: dict[str, Any]) -> str:
        """The invoice's A/R account: the one it names (in its currency), else its currency's own, which QBO
        creates the first time an invoice is in that currency."""
        named = currencies.check_receivable(self, invoice)
        if named is not None:
            return named
        code = ref_id(invoice["CurrencyRef"]) or ""
        account = currencies.receivable_for(self, code) or self._save(
            "Account", currencies.receivable_account(code), None
        )
        return str(account["Id"])

    def _today(self) -> str:
        return self._clock.now().astimezone(QBO_ZONE).date().isoformat()

    def _save(self, entity: str, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        now: datetime = self._clock.now()
        stamp = qbo_timestamp(now)
        if existing is None:
            saved = {**body, "Id": str(body.get("Id") or self._store.next_id(self.realm_id, entity)), "SyncToken": "0"}
            saved["MetaData"] = {"CreateTime": stamp, "LastUpdatedTime": stamp}
        else:
            saved = {**body, "Id": existing["Id"], "SyncToken": str(int(existing["SyncToken"]) + 1)}
            saved["MetaData"] = {"CreateTime": existing["MetaData"]["CreateTime"], "LastUpdatedTime": stamp}
        saved["domain"] = "QBO"
        saved["sparse"] = False
        for account_id, balance in balances.moved(self, entity, saved, existing).items():
            account = {**self.read("Account", account_id), "CurrentBalance": balance}
            self._store.put(self.realm_id, "Account", {**account, "CurrentBalanceWithSubAccounts": balance})
        self._store.put(self.realm_id, entity, saved)
        return saved
