"""Booking money movements (记账) and proving the books (对账): every payment and refund the mall takes is
a posting; reconciliation compares each stored balance with the sum of its entries."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.money.ledger import Account, Leg, Owner, Posting, Purse
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.runtime import Runtime


def provider_account(channel: str) -> Account:
    """Where a payment channel's money sits until settled (in transit from the provider)."""
    return Account(Owner.PROVIDER, channel, Purse.CASH)


def institution_cash(institution_id: str) -> Account:
    """What the platform holds for an institution from its sales."""
    return Account(Owner.INSTITUTION, institution_id, Purse.CASH)


def institution_vouchers(institution_id: str) -> Account:
    """What the government owes an institution for the vouchers spent there."""
    return Account(Owner.INSTITUTION, institution_id, Purse.VOUCHER)


def voucher_account(voucher_id: str) -> Account:
    """What is left on one voucher granted to an elder."""
    return Account(Owner.VOUCHER, voucher_id, Purse.VOUCHER)


def voucher_fund(batch_id: str) -> Account:
    """The government's fund a batch of vouchers is granted from (and unspent value returns to)."""
    return Account(Owner.GOVERNMENT, batch_id, Purse.VOUCHER)


def trade_hold(trade_id: str) -> Account:
    """Vouchers held for a trade while its cash part is pending."""
    return Account(Owner.TRADE, trade_id, Purse.VOUCHER)


def book_payment(uow: UnitOfWork, reference: str, channel: str, shares: dict[str, Money], at: datetime) -> None:
    """A payment received through `channel`, owed to the selling institutions by `shares`."""
    legs = [Leg(institution_cash(i), m.fen) for i, m in sorted(shares.items()) if m.fen]
    total = sum(leg.amount for leg in legs)
    if total:
        uow.ledger.post(Posting(reference=reference, kind="payment", at=at,
                                legs=(Leg(provider_account(channel), -total), *legs)))


def book_refund(uow: UnitOfWork, reference: str, channel: str, institution_id: str, amount: Money,
                at: datetime) -> None:
    """Money going back to the payer through the channel it came by, out of the institution's share."""
    if amount.fen:
        uow.ledger.post(Posting(reference=reference, kind="refund", at=at, legs=(
            Leg(institution_cash(institution_id), -amount.fen), Leg(provider_account(channel), amount.fen))))


@frozen
class Difference:
    account: str
    stored: int
    summed: int


def reconcile(rt: Runtime) -> list[Difference]:
    """Accounts whose stored balance differs from the sum of their entries (empty: the books hold)."""
    with rt.uow() as uow:
        stored, summed = uow.ledger.stored_balances(), uow.ledger.summed_balances()
    return [Difference(a.key, stored.get(a, 0), summed.get(a, 0)) for a in sorted(set(stored) | set(summed))
            if stored.get(a, 0) != summed.get(a, 0)]
