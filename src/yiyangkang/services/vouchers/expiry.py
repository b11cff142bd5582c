"""Expiry of vouchers (服务券过期): after its last valid day what is left on a voucher goes back to its batch's
government fund. A job, safe to re-run: each voucher expires once (its posting's reference is unique)."""

from __future__ import annotations

from collections.abc import Callable

from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.money.ledger import Leg, Posting
from yiyangkang.domain.vouchers.vouchers import VoucherStatus
from yiyangkang.services.ledger import voucher_account, voucher_fund
from yiyangkang.services.mall.common import today
from yiyangkang.services.runtime import Runtime

EXPIRER = Actor.system("voucher-expirer")


def expire_vouchers(rt: Runtime, progress: Callable[[int], None] | None = None) -> int:
    """Expire every active voucher past its last valid day; the number expired."""
    with rt.uow() as uow:
        due = uow.vouchers.expiring(today(rt))
    expired = 0
    for ident in due:
        with rt.uow() as uow:
            uow.write_first()
            voucher = uow.vouchers.lock(ident)
            if voucher is not None and voucher.status is VoucherStatus.ACTIVE:
                now, account = rt.clock.now(), voucher_account(voucher.id)
                left = uow.ledger.lock_balances([account])[account]  # no release or refund slips in meanwhile
                voucher.expire(Money(left), EXPIRER, now)
                if left:
                    fund = voucher_fund(voucher.batch_id)
                    uow.ledger.post(Posting(reference=f"voucher-expiry:{voucher.number}", kind="voucher_expiry",
                                            at=now, legs=(Leg(account, -left), Leg(fund, left))))
                uow.vouchers.save(voucher)
                uow.commit()
                expired += 1
        if progress is not None:
            progress(1)
    return expired
