"""Which vouchers pay for which part of an order (用券抵扣): vouchers first, the soonest to expire first, each
only for the services of its categories at procurement institutions; what they leave is paid in cash."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen

from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.vouchers.vouchers import Voucher


@frozen
class Payable:
    """A line of a sub-order as vouchers see it: who sells it, what kind of service, what it costs."""

    sub_order_id: str
    line_no: int
    institution_id: str
    category_path: str
    amount: Money


@frozen
class Usable:
    voucher: Voucher
    balance: Money


def allocate(usable: Sequence[Usable], payables: Sequence[Payable], accepted: frozenset[str]
             ) -> dict[tuple[str, int, str], Money]:
    """(sub-order id, line number, voucher id) → amount paid by that voucher. Greedy over the payables in order,
    each taking from the eligible vouchers soonest to expire first: no voucher pays beyond its balance, no payable
    beyond its amount, and a payable left partly unpaid has no eligible voucher with anything left. (Greedy is not
    always the most vouchers can pay: a general voucher spent on a bath may leave a bath-only voucher unused;
    spending the soonest-expiring first is the rule elders are told.)"""
    left = {u.voucher.id: u.balance.fen for u in usable}
    order = sorted(usable, key=lambda u: (u.voucher.valid_until, u.voucher.created_at, u.voucher.id))
    paid: dict[tuple[str, int, str], int] = {}
    for p in payables:
        if p.institution_id not in accepted:
            continue
        due = p.amount.fen
        for u in order:
            if due == 0:
                break
            take = min(due, left[u.voucher.id])
            if take > 0 and u.voucher.pays_for(p.category_path):
                left[u.voucher.id] -= take
                due -= take
                key = (p.sub_order_id, p.line_no, u.voucher.id)
                paid[key] = paid.get(key, 0) + take
    return {k: Money(v) for k, v in paid.items()}
