"""Splitting completed orders (订单分账, A-09), called inside the unit of work that completes or refunds a
sub-order (the sub-order row is held, so one order's split and its reversals never race).

- `split_completed`: a sub-order that has just reached `completed` shares what its seller holds for it —
  line by line, per purse (cash: paid − voucher part − cash refunded; vouchers: voucher part − voucher
  refunded) — with the suppliers of its lines' products under the relations in force that day, and the
  platform fee of those relations: one posting "split:<number>" from the seller's purses to the parties,
  the shares kept in the split table. Once per sub-order.
- `reverse_split`: before a refund of lines of a split sub-order, the parties give back in proportion what
  the refund leaves the seller without ("split-reversal:<refund number>"), so the seller can pay it. A line's
  refund is divided between its purses as the refund itself will be: in proportion to what each has left."""

from __future__ import annotations

from collections.abc import Mapping

from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.mall.orders import OrderLine, SubOrder, SubStatus
from yiyangkang.domain.money.allocation import refund_by_source
from yiyangkang.domain.money.ledger import Posting, Purse
from yiyangkang.domain.settlement.splits import LineBasis, OrderSplit, RelationTerms, compute_shares, legs
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.runtime import Runtime

SYSTEM = Actor.system("settlement")


def held(line: OrderLine) -> dict[Purse, Money]:
    """What the seller holds of one line, per purse (the voucher part of a line, and its refunds by purse)."""
    return {Purse.CASH: line.paid - line.voucher_paid - line.cash_refunded,
            Purse.VOUCHER: line.voucher_paid - line.voucher_refunded}


def split_completed(rt: Runtime, uow: UnitOfWork, order: SubOrder) -> OrderSplit | None:
    """Split a sub-order that is completed and not split yet (else nothing)."""
    now = rt.clock.now()
    if order.status is not SubStatus.COMPLETED or uow.order_splits.of_sub_order(order.id) is not None:
        return None
    relations = uow.supplier_relations.in_force(order.institution_id, business_date(now))
    lines = []
    for ln in order.lines:
        relation = next((r for r in relations if r.covers(ln.product_id)), None)
        terms = None if relation is None else RelationTerms(
            relation_id=relation.id, supplier_id=relation.supplier_id, supplier_rate_bp=relation.supplier_rate_bp,
            platform_rate_bp=relation.platform_rate_bp)
        purses = held(ln)
        lines.append(LineBasis(line_no=ln.line_no, cash=purses[Purse.CASH], voucher=purses[Purse.VOUCHER],
                               terms=terms))
    item = OrderSplit(id=rt.ids.new_id(), sub_order_id=order.id, sub_order_number=order.number,
                      trade_number=order.trade_number, institution_id=order.institution_id, split_at=now,
                      held_cash=sum(ln.cash.fen for ln in lines), held_voucher=sum(ln.voucher.fen for ln in lines),
                      shares=compute_shares(lines), created_at=now)
    item.record_created(SYSTEM, now, name="split")
    uow.order_splits.add(item)
    moves = item.moves()
    if moves:
        uow.ledger.post(Posting(reference=f"split:{order.number}", kind="split", at=now,
                                legs=legs(order.institution_id, moves, 1), memo=f"订单{order.number}分账"))
    return item


def reverse_split(rt: Runtime, uow: UnitOfWork, order: SubOrder, refund_number: str,
                  amounts: Mapping[int, Money]) -> None:
    """Before `amounts` (line number → amount) of a split sub-order are refunded: take back from its parties
    what the refund leaves the seller without, in proportion (nothing when the order was never split)."""
    if not any(a.fen > 0 for a in amounts.values()):
        return
    item = uow.order_splits.of_sub_order(order.id)
    if item is None or not item.shares:
        return
    remaining: dict[int, dict[Purse, int]] = {}
    for ln in order.lines:
        now_held = held(ln)
        refund = amounts.get(ln.line_no, Money.zero())
        parts = refund_by_source({"cash": now_held[Purse.CASH], "voucher": now_held[Purse.VOUCHER]}, {}, refund)
        remaining[ln.line_no] = {Purse.CASH: (now_held[Purse.CASH] - parts["cash"]).fen,
                                 Purse.VOUCHER: (now_held[Purse.VOUCHER] - parts["voucher"]).fen}
    now, reference = rt.clock.now(), f"split-reversal:{refund_number}"
    moves = item.reverse(remaining, reference, SYSTEM, now)
    if moves:
        uow.ledger.post(Posting(reference=reference, kind="split_reversal", at=now,
                                legs=legs(order.institution_id, moves, -1), memo=f"订单{order.number}退款冲回分账"))
        uow.order_splits.save(item)
