"""Parallel refunds of one split order on the real databases (A-09): approvals of five after-sales requests at
once queue on the sub-order's row; every one that goes through first takes the parties' proportional shares
back, so no balance goes negative, the shares left are exactly the proportion of what is left, and the books
reconcile. (SQLite may answer a loser 409 CONCURRENT_UPDATE where PostgreSQL queues it.)"""

from __future__ import annotations

from tests.conftest import FrozenClock
from tests.racing import race
from tests.settlement.setup import PLATFORM, balance, cash, serve_visit, supplied_world
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import ConcurrentUpdate
from yiyangkang.services import ledger
from yiyangkang.services.mall import aftersales
from yiyangkang.services.mall.aftersales import AfterSaleForm


def test_a09_parallel_refunds_of_a_split_order_never_overdraw(sql_backend: Container, clock: FrozenClock) -> None:
    rt = sql_backend
    w, _ = supplied_world(rt)
    trade = w.buy(("bath", 1))
    visit = trade.sub_orders[0]
    serve_visit(w, visit)
    asked = [aftersales.request_after_sale(rt, w.p("elder_A"), AfterSaleForm(
        sub_order_id=visit.id, line_no=1, type="refund", quantity=0, amount_fen=3000, reason=f"第{n}次")).id
        for n in range(5)]
    admin = w.p("admin_A")
    results = race(5, lambda n: aftersales.review_after_sale(rt, admin, asked[n], approve=True, note="同意"))
    done = [r for r in results if not isinstance(r, Exception)]
    assert all(isinstance(r, ConcurrentUpdate) for r in results if isinstance(r, Exception)), results
    assert done
    assert rt.engine is not None
    if rt.engine.dialect.name == "postgresql":
        assert len(done) == 5  # PostgreSQL queues them on the row lock: every one goes through
    left = 15000 - 3000 * len(done)
    b, a = w.world.inst["B"], w.world.inst["A"]
    assert balance(rt, cash(b)) == 4500 * left // 15000
    assert balance(rt, PLATFORM) == 750 * left // 15000
    assert balance(rt, cash(a)) == left - 4500 * left // 15000 - 750 * left // 15000
    with rt.uow() as uow:
        assert all(v >= 0 for acc, v in uow.ledger.stored_balances().items() if not acc.may_go_negative)
    assert ledger.reconcile(rt) == []
