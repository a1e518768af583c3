"""The seed's card payouts, read back as the sync reads them: each settles card payments out of card clearing into the
operating account, its fees 2.9 % + 0.30 of each, its net its gross less its fees, each payment once."""

from collections import Counter
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.connectors.service_opus.models import BankAccount, BankAccountKind
from ledger_sync.connectors.service_opus.seed import seed
from ledger_sync.core.money import cents
from ledger_sync.state.db import make_engine


def test_payouts_settle_card_payments_once_net_of_their_fees(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    try:
        summary = seed(engine, invoices=300)
        source = ServiceOpusSource(engine)
        payouts = source.payouts(1)
        with engine.connect() as conn:
            banks = {kind: bank_id for bank_id, kind in conn.execute(select(BankAccount.id, BankAccount.kind))}
        assert not payouts.unreadable
        assert len(payouts.records) == summary.payouts >= 5
        settled = Counter(i for payout in payouts.records for i in payout.payment_ids)
        assert set(settled.values()) == {1}
        payments = {p.id: p for p in source.payments(1, after=None, limit=0, ids=sorted(settled)).records}
        for payout in payouts.records:
            paid = [payments[i] for i in payout.payment_ids]
            assert {(p.method, p.status, p.bank_account_id) for p in paid} == {
                ("card", "collected", banks[BankAccountKind.CARD_CLEARING])
            }
            assert payout.gross == sum((p.amount + p.tip for p in paid), Decimal("0.00"))
            assert payout.fees == sum(cents((p.amount + p.tip) * Decimal("0.029") + Decimal("0.30")) for p in paid)
            assert payout.net == payout.gross - payout.fees > 0
            assert (payout.clearing_account_id, payout.deposit_account_id) == (
                banks[BankAccountKind.CARD_CLEARING],
                banks[BankAccountKind.OPERATING],
            )
            assert max(p.collected_at for p in paid if p.collected_at).date() < payout.paid_on
        assert source.payouts(1, skip={payouts.records[0].id}).records == payouts.records[1:]
    finally:
        engine.dispose()
