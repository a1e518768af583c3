"""Tips, the rule: a tip is the technicians' money, owed to them (the mapped Tips liability account), never revenue,
and it is not part of the invoice: Service Opus's invoice total excludes it, and the ledger's invoice must equal it
to the cent. Neither ledger's payment can carry money beyond what it applies to invoices without making it customer
credit (QBO keeps the excess as an unapplied amount on the customer's receivable; Xero refuses a payment over the
amount due). So a tip reaches the ledger as its own stamped document into the payment's deposit account, credited
to the Tips account (QBO: a Deposit; Xero: a RECEIVE bank transaction), once its payment is in the ledger. Each bank
account's ledger balance is then what Service Opus routed there: the payment plus its tip.
"""

from ledger_sync.core.mapping import AccountRole, LedgerMapping
from ledger_sync.core.money import cents
from ledger_sync.core.records import PaymentRecord, TipRecord
from ledger_sync.core.snapshots import SourcePayment
from ledger_sync.core.transform import TransformProblem


def tip_record(payment: SourcePayment, synced: PaymentRecord, mapping: LedgerMapping) -> TipRecord:
    """The tip of `payment`, whose own record `synced` is in the ledger: into the same deposit account."""
    tips = mapping.accounts.get(AccountRole.TIPS)
    if tips is None:
        raise TransformProblem(f"Payment carries a tip of {cents(payment.tip)}, and no Tips account is mapped")
    if payment.tip < 0 or cents(payment.tip) != payment.tip:
        raise TransformProblem(f"Tip {payment.tip.normalize()} is not a positive whole number of cents")
    return TipRecord(
        source_id=payment.id,
        customer_ref=synced.customer_ref,
        amount=cents(payment.tip),
        paid_on=synced.paid_on,
        deposit_account_ref=synced.deposit_account_ref,
        tips_account_ref=tips,
        payment_external_id=synced.external_id,
    )
