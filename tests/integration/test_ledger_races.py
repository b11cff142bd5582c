"""The ledger under parallel spending (A-12, P-06, PAY): 50 spends of one voucher balance at once never
overdraw it, a replayed reference books nothing, and the books reconcile afterwards."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.racing import race
from yiyangkang.bootstrap import Container
from yiyangkang.domain.money.ledger import Account, InsufficientBalance, Leg, Owner, Posting, Purse
from yiyangkang.services import ledger

T0 = datetime(2026, 11, 25, tzinfo=UTC)
FUND = Account(Owner.GOVERNMENT, "440100", Purse.VOUCHER)
ELDER = Account(Owner.ELDER, "elder-1", Purse.VOUCHER)
SHOP = Account(Owner.INSTITUTION, "inst-1", Purse.VOUCHER)


def _post(rt: Container, posting: Posting) -> bool:
    with rt.uow() as uow:
        uow.write_first()
        booked = uow.ledger.post(posting)
        uow.commit()
        return booked


def test_parallel_spends_never_overdraw_a_voucher_balance(sql_backend: Container) -> None:
    rt = sql_backend
    assert _post(rt, Posting(reference="grant:1", kind="voucher_grant", at=T0,
                             legs=(Leg(FUND, -10_000), Leg(ELDER, 10_000))))
    assert not _post(rt, Posting(reference="grant:1", kind="voucher_grant", at=T0,
                                 legs=(Leg(FUND, -10_000), Leg(ELDER, 10_000))))  # a replay books nothing

    def spend(n: int) -> bool:
        return _post(rt, Posting(reference=f"spend:{n}", kind="voucher_spend", at=T0,
                                 legs=(Leg(ELDER, -300), Leg(SHOP, 300))))

    results = race(50, spend)
    assert all(r is True or isinstance(r, InsufficientBalance) for r in results), results
    assert sum(r is True for r in results) == 10_000 // 300
    with rt.uow() as uow:
        assert (uow.ledger.balance(ELDER), uow.ledger.balance(SHOP)) == (10_000 % 300, 10_000 // 300 * 300)
    assert ledger.reconcile(rt) == []
