"""Splitting completed orders on every backend (A-09, A-10): completion posts the split once, from what the
seller holds for the order, by the lines the supplier supplies; refunds afterwards take the shares back in
proportion first, so the seller can always pay; no balance ever goes negative and the books reconcile."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.conftest import FrozenClock
from tests.settlement.setup import PLATFORM, balance, cash, refund, serve_visit, supplied_world
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict
from yiyangkang.domain.mall.orders import SubStatus
from yiyangkang.domain.money.ledger import Account, Leg, Owner, Posting, Purse
from yiyangkang.services import ledger
from yiyangkang.services.mall import fulfilment
from yiyangkang.services.mall.views import SubOrderView, TradeView
from yiyangkang.services.settlement import relations
from yiyangkang.services.settlement.split import split_completed


def _subs(trade: TradeView) -> dict[str, SubOrderView]:
    return {s.fulfilment: s for s in trade.sub_orders}


def test_a09_completion_splits_once_and_refunds_reverse_in_proportion(backend: Container,
                                                                        clock: FrozenClock) -> None:
    w, _ = supplied_world(backend)
    a, b = w.world.inst["A"], w.world.inst["B"]
    trade = w.buy(("bath", 1), ("rehab", 2), ("diapers", 1))
    subs = _subs(trade)
    paid = 15000 + 40000 + 8000
    assert balance(backend, cash(a)) == paid

    # The visit completes: 30 % of ¥150 to B, 5 % to the platform, once.
    assert serve_visit(w, subs["home_visit"]).status == "completed"
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (4500, 750)
    with backend.uow() as uow:
        order = uow.mall_orders.get(subs["home_visit"].id)
        assert order is not None and order.status is SubStatus.COMPLETED
        assert split_completed(backend, uow, order) is None  # split already: nothing more
        uow.commit()
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (4500, 750)

    # Rehab: one session used, the other refunded before use — the refund completes the order, which is then
    # split from what A still holds for it (¥200).
    rehab = subs["in_store"]
    assert rehab.verify_code is not None
    fulfilment.verify(w.rt, w.p("admin_A"), rehab.verify_code, {1: 1})
    refund(w, rehab.id, quantity=1)
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (4500 + 6000, 750 + 1000)

    # The parcel is not supplied by B: nothing is shared.
    parcel = subs["delivery"]
    fulfilment.ship(w.rt, w.p("admin_A"), parcel.id, fulfilment.ShipForm(
        carrier="顺丰速运", tracking_no="SF1234567890"))
    fulfilment.confirm_delivery(w.rt, w.p("elder_A"), parcel.id)
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (10500, 1750)

    # ¥100 of the ¥150 visit back: B and the platform give back what ¥50 left no longer carries.
    refund(w, subs["home_visit"].id, amount_fen=10000)
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (6000 + 1500, 1000 + 250)
    # The rest back: every share of the visit is returned, to the fen.
    refund(w, subs["home_visit"].id, amount_fen=5000)
    assert (balance(backend, cash(b)), balance(backend, PLATFORM)) == (6000, 1000)
    assert balance(backend, cash(a)) == paid - 20000 - 15000 - 6000 - 1000
    with backend.uow() as uow:
        assert all(v >= 0 for acc, v in uow.ledger.stored_balances().items() if not acc.may_go_negative)
    assert ledger.reconcile(backend) == []


def test_a10_no_relation_in_force_no_split(backend: Container, clock: FrozenClock) -> None:
    """A terminated relation shares nothing with orders completed afterwards; the order keeps a split record
    with no shares (the detail report lists it) and no posting is made."""
    w, relation_id = supplied_world(backend)
    relations.terminate(backend, w.p("admin_B"), relation_id, "合作结束")
    trade = w.buy(("bath", 1))
    serve_visit(w, trade.sub_orders[0])
    assert balance(backend, cash(w.world.inst["B"])) == 0 and balance(backend, PLATFORM) == 0
    with backend.uow() as uow:
        split = uow.order_splits.of_sub_order(trade.sub_orders[0].id)
        assert split is not None and split.shares == [] and split.held_cash == 15000
    refund(w, trade.sub_orders[0].id, amount_fen=15000)  # nothing to reverse; the seller pays in full
    assert balance(backend, cash(w.world.inst["A"])) == 0
    assert ledger.reconcile(backend) == []


def test_a10_the_split_follows_the_relation_in_force_at_completion(backend: Container, clock: FrozenClock) -> None:
    """An order paid under one relation and completed after it ended is split by what is in force then."""
    w, relation_id = supplied_world(backend)
    trade = w.buy(("bath", 1))
    relations.terminate(backend, w.p("admin_A"), relation_id, "改由本机构服务")
    applied = relations.apply(backend, w.p("admin_B"), relations.ApplyForm(
        client_id=w.world.inst["A"], supplier_rate_bp=1000, platform_rate_bp=0, product_ids=[w.products["bath"]]))
    relations.review(backend, w.p("admin_A"), applied.id, approve=True)
    serve_visit(w, trade.sub_orders[0])
    assert (balance(backend, cash(w.world.inst["B"])), balance(backend, PLATFORM)) == (1500, 0)


def test_a09_a_supplier_that_spent_its_share_blocks_the_refund_not_the_books(sql_backend: Container,
                                                                              clock: FrozenClock) -> None:
    """If a supplier's purse no longer holds its share (moved elsewhere), the reversal — and with it the refund —
    is refused whole: nothing is refunded, nothing goes negative (the CHECK and the conditional update)."""
    rt = sql_backend
    w, _ = supplied_world(rt)
    trade = w.buy(("bath", 1))
    serve_visit(w, trade.sub_orders[0])
    b = w.world.inst["B"]
    with rt.uow() as uow:  # B's share leaves its purse (a payout, say)
        uow.ledger.post(Posting(reference="payout:test", kind="payout", at=datetime(2026, 11, 25, tzinfo=UTC),
                                legs=(Leg(cash(b), -4500), Leg(Account(Owner.PROVIDER, "bank", Purse.CASH), 4500))))
        uow.commit()
    with pytest.raises(Conflict):
        refund(w, trade.sub_orders[0].id, amount_fen=15000)
    assert balance(rt, cash(b)) == 0 and balance(rt, cash(w.world.inst["A"])) == 15000 - 5250
    assert ledger.reconcile(rt) == []
