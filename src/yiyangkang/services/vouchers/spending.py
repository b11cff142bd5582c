"""Vouchers in a mall payment (用券支付, PAY ▲): held when the payer chooses to use them, spent when the trade is
paid, released when it closes unpaid, refunded when its orders are. Every step is one ledger posting:

    hold     voucher:<id>  → trade:<trade id>           (voucher_hold,    "voucher-hold:<trade number>")
    spend    trade:<id>    → institution:<seller>        (voucher_spend,   "voucher-spend:<trade number>")
    release  trade:<id>    → voucher:<id> (or the fund)  (voucher_release, "voucher-release:<trade number>")
    refund   institution   → voucher:<id> (or the fund)  (voucher_refund,  "voucher-refund:<refund number>")

Each order line keeps what vouchers paid of it, so a refund of a line goes back to the sources that paid that
line. What goes back to a voucher that has meanwhile expired goes back to its batch's fund instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.mall.orders import OrderLine, SubOrder, TradeOrder
from yiyangkang.domain.money.allocation import refund_by_source
from yiyangkang.domain.money.ledger import Account, Leg, Posting
from yiyangkang.domain.vouchers.spending import Payable, Usable, allocate
from yiyangkang.domain.vouchers.vouchers import SpendStatus, Voucher, VoucherSpend, VoucherStatus
from yiyangkang.ports.clock import IdGenerator
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.ledger import institution_vouchers, trade_hold, voucher_account, voucher_fund

ZERO = Money(0)


class _Legs:
    """The legs of one posting being put together, summed per account."""

    def __init__(self) -> None:
        self.amounts: dict[Account, int] = {}

    def add(self, account: Account, amount: int) -> None:
        self.amounts[account] = self.amounts.get(account, 0) + amount

    def post(self, uow: UnitOfWork, reference: str, kind: str, at: datetime) -> None:
        kept = tuple(Leg(a, n) for a, n in sorted(self.amounts.items()) if n)
        if kept:
            uow.ledger.post(Posting(reference=reference, kind=kind, at=at, legs=kept))


def hold(uow: UnitOfWork, ids: IdGenerator, trade: TradeOrder, subs: Sequence[SubOrder], day: date,
         at: datetime) -> Money:
    """Hold what the elder's usable vouchers can pay of the trade: lines of procurement institutions, each
    voucher only for its categories, soonest to expire first. Sets the trade's and the lines' voucher parts
    and records the spends as held."""
    vouchers = [v for v in uow.vouchers.of_elder(trade.elder_id) if v.usable_on(day)]
    # Parallel payments of one elder queue here, so each sees what the others left.
    balances = uow.ledger.lock_balances(voucher_account(v.id) for v in vouchers)
    usable = [u for v in vouchers if (u := Usable(v, Money(balances[voucher_account(v.id)]))).balance.fen > 0]
    accepted = uow.voucher_institutions.accepting(trade.institution_ids) if usable else frozenset()
    if not accepted:
        return ZERO
    products = uow.products.many(ln.product_id for s in subs for ln in s.lines)
    categories = {p.id: p.live.category_id for p in products.values() if p.live is not None}
    paths = {i: c.path for i in set(categories.values()) if (c := uow.mall_categories.get(i)) is not None}
    payables = []
    for sub in subs:
        for ln in sub.lines:
            category = categories.get(ln.product_id, "")
            if ln.paid.fen > 0:
                payables.append(Payable(sub.id, ln.line_no, sub.institution_id, paths.get(category, ""), ln.paid))
    plan = allocate(usable, payables, accepted)
    by_id = {u.voucher.id: u.voucher for u in usable}
    by_sub = {s.id: s for s in subs}
    legs = _Legs()
    for (sub_id, line_no, voucher_id), amount in sorted(plan.items()):
        sub, voucher = by_sub[sub_id], by_id[voucher_id]
        uow.voucher_spends.add(VoucherSpend(
            id=ids.new_id(), voucher_id=voucher.id, voucher_number=voucher.number, batch_id=voucher.batch_id,
            elder_id=trade.elder_id, institution_id=sub.institution_id, trade_id=trade.id, trade_number=trade.number,
            sub_order_id=sub.id, sub_order_number=sub.number, line_no=line_no, amount=amount, created_at=at))
        sub.line(line_no).voucher_paid += amount
        legs.add(voucher_account(voucher.id), -amount.fen)
        legs.add(trade_hold(trade.id), amount.fen)
    legs.post(uow, f"voucher-hold:{trade.number}", "voucher_hold", at)
    trade.voucher_amount = Money(sum(a.fen for a in plan.values()))
    return trade.voucher_amount


def spend(uow: UnitOfWork, trade: TradeOrder, at: datetime) -> None:
    """The trade is paid: its held vouchers become the sellers' claims on the government."""
    legs = _Legs()
    for s in uow.voucher_spends.of_trade(trade.id):
        if s.status is SpendStatus.HELD:
            s.status, s.spent_at = SpendStatus.SPENT, at
            uow.voucher_spends.save(s)
            legs.add(trade_hold(trade.id), -s.amount.fen)
            legs.add(institution_vouchers(s.institution_id), s.amount.fen)
    legs.post(uow, f"voucher-spend:{trade.number}", "voucher_spend", at)


def _home(voucher: Voucher | None, spend_: VoucherSpend, at: datetime) -> Account:
    """Where money given back to a voucher goes: the voucher while it is valid, else its batch's fund. Judged
    by the date, not by the expiry job having run: a refund racing the job cannot land on a swept voucher."""
    if voucher is None or voucher.status is VoucherStatus.EXPIRED or voucher.valid_until < business_date(at):
        return voucher_fund(spend_.batch_id)
    return voucher_account(voucher.id)


def release(uow: UnitOfWork, trade: TradeOrder, subs: Sequence[SubOrder], at: datetime) -> None:
    """The trade closed unpaid: its held vouchers get their money back, and the trade no longer counts them."""
    legs = _Legs()
    for s in uow.voucher_spends.of_trade(trade.id):
        if s.status is SpendStatus.HELD:
            s.status = SpendStatus.RELEASED
            uow.voucher_spends.save(s)
            legs.add(trade_hold(trade.id), -s.amount.fen)
            legs.add(_home(uow.vouchers.get(s.voucher_id), s, at), s.amount.fen)
    legs.post(uow, f"voucher-release:{trade.number}", "voucher_release", at)
    trade.voucher_amount = ZERO
    for sub in subs:
        for ln in sub.lines:
            ln.voucher_paid = ZERO


def split_refund(line: OrderLine, amount: Money) -> tuple[Money, Money]:
    """(voucher part, cash part) of a refund of `amount` of one line: in proportion to what each source has
    left of that line, exact to the fen."""
    parts = refund_by_source({"cash": line.paid - line.voucher_paid, "voucher": line.voucher_paid},
                             {"cash": line.cash_refunded, "voucher": line.voucher_refunded}, amount)
    return parts["voucher"], parts["cash"]


def refund(uow: UnitOfWork, sub: SubOrder, amounts: Mapping[int, Money], refund_number: str, at: datetime) -> Money:
    """Refund `amounts` (line number → amount) of a sub-order: each line's voucher part goes back to the
    vouchers that paid that line, in proportion to what each has left of it; the cash part (returned) is for
    the payment channel."""
    spends = [s for s in uow.voucher_spends.of_sub_order(sub.id) if s.status is SpendStatus.SPENT]
    legs, cash = _Legs(), ZERO
    for line_no, amount in sorted(amounts.items()):
        line = sub.line(line_no)
        to_vouchers, in_cash = split_refund(line, amount)
        line.voucher_refunded += to_vouchers
        line.cash_refunded += in_cash
        cash += in_cash
        if to_vouchers.fen:
            mine = [s for s in spends if s.line_no == line_no]
            parts = refund_by_source({s.id: s.amount for s in mine}, {s.id: s.refunded for s in mine}, to_vouchers)
            legs.add(institution_vouchers(sub.institution_id), -to_vouchers.fen)
            for s in mine:
                if parts[s.id].fen:
                    s.refunded += parts[s.id]
                    uow.voucher_spends.save(s)
                    legs.add(_home(uow.vouchers.get(s.voucher_id), s, at), parts[s.id].fen)
    legs.post(uow, f"voucher-refund:{refund_number}", "voucher_refund", at)
    return cash
