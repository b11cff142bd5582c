"""Points goods and exchanges on every backend (P-07, P-09, P-10): points spent and stock taken together or not
at all, the per-elder limit, delivery and cancellation (points and stock back), the ledger history newest first
and paged, and who may do what."""

from __future__ import annotations

import pytest

from tests.conftest import FrozenClock, operator
from tests.points.setup import ALL, PointsWorld, build_points
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.errors import Conflict, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services import ledger
from yiyangkang.services.points import goods
from yiyangkang.services.points import ledger as points_ledger
from yiyangkang.services.points.goods import ExchangeForm, GoodForm


@pytest.fixture
def w(backend: Container) -> PointsWorld:
    return build_points(backend)


def test_p09_p10_exchange_deliver_and_cancel(w: PointsWorld, clock: FrozenClock) -> None:
    """P-09: the family exchanges 2 units for elder A (60 points of 100); A delivers one exchange; another is
    cancelled by the elder and its points and stock come back; P-10 lists both, newest first."""
    good = w.good(stock=5, price=30)
    w.grant(w.elder, 100)
    clock.advance(minutes=1)  # the history is ordered by time (then by reference)
    first = goods.exchange(w.rt, w.p("family_F"), ExchangeForm(good_id=good.id, elder_id=w.elder, quantity=2))
    assert (first.status, first.points, first.quantity) == ("placed", 60, 2)
    assert (w.balance(w.elder), w.stock(good.id)) == (40, 3)
    clock.advance(minutes=1)
    second = goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    assert (w.balance(w.elder), w.stock(good.id)) == (10, 2)
    assert goods.deliver(w.rt, w.p("admin_A"), first.id).status == "delivered"
    with pytest.raises(InvalidTransition):
        goods.cancel_exchange(w.rt, w.p("elder_A"), first.id)
    clock.advance(minutes=1)
    back = goods.cancel_exchange(w.rt, w.p("elder_A"), second.id, "不需要了")
    assert (back.status, back.cancel_reason) == ("cancelled", "不需要了")
    assert (w.balance(w.elder), w.stock(good.id)) == (40, 3)
    records = goods.list_exchanges(w.rt, w.p("family_F"), ALL)
    assert [r.id for r in records.items] == [second.id, first.id]
    history = points_ledger.elder_ledger(w.rt, w.p("elder_A"), w.elder, ALL)
    assert [(e.kind, e.points) for e in history.entries] == [
        ("points_refund", 30), ("points_spend", -30), ("points_spend", -60), ("points_earn", 100)]
    assert history.balance == sum(e.points for e in history.entries) == 40
    paged = points_ledger.elder_ledger(w.rt, w.p("elder_A"), w.elder, PageRequest(2, 3))
    assert (paged.total, [e.kind for e in paged.entries]) == (4, ["points_earn"])
    assert ledger.reconcile(w.rt) == []


def test_p09_short_of_points_or_stock_writes_nothing(w: PointsWorld) -> None:
    good = w.good(stock=1, price=50)
    w.grant(w.elder, 40)
    with pytest.raises(Conflict) as poor:
        goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    assert (poor.value.code, poor.value.details) == ("POINTS_INSUFFICIENT", {"balance": 40, "needed": 50})
    w.grant(w.elder, 100)
    with pytest.raises(Conflict) as short:
        goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder, quantity=2))
    assert short.value.code == "POINTS_OUT_OF_STOCK"
    assert (w.balance(w.elder), w.stock(good.id)) == (140, 1)  # the points spent before the refusal came back
    assert goods.list_exchanges(w.rt, w.p("elder_A"), ALL).total == 0
    with pytest.raises(ValidationFailed):
        goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder, quantity=0))
    assert ledger.reconcile(w.rt) == []


def test_p09_per_elder_limit_counts_units_not_cancelled(w: PointsWorld) -> None:
    good = w.good(stock=10, price=10, limit=2)
    w.grant(w.elder, 100)
    one = goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder, quantity=2))
    with pytest.raises(Conflict) as limit:
        goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    assert limit.value.code == "POINTS_LIMIT_REACHED"
    assert w.balance(w.elder) == 80
    goods.cancel_exchange(w.rt, w.p("admin_A"), one.id, "库存登记有误")
    goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    assert (w.balance(w.elder), w.stock(good.id)) == (90, 9)


def test_goods_shelf_edit_and_stock(w: PointsWorld) -> None:
    hidden = w.good(on_shelf=False, name="老花镜")
    shown = w.good(name="保温杯")
    with pytest.raises(NotFound) as off:
        goods.get_good(w.rt, w.p("elder_A"), hidden.id)
    assert off.value.code == "POINTS_GOOD_NOT_FOUND"
    w.grant(w.elder, 100)
    with pytest.raises(NotFound):
        goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=hidden.id, elder_id=w.elder))
    assert [g.name for g in goods.list_goods(w.rt, w.p("elder_A"), ALL).items] == ["保温杯"]
    assert {g.name for g in goods.list_goods(w.rt, w.p("admin_A"), ALL, manage=True).items} == {"老花镜", "保温杯"}
    assert goods.list_goods(w.rt, w.p("admin_B"), ALL, manage=True).total == 0
    edited = goods.update_good(w.rt, w.p("admin_A"), shown.id, GoodForm(points_price=45, per_elder_limit=1))
    assert (edited.points_price, edited.per_elder_limit, edited.stock) == (45, 1, 5)
    assert goods.update_good(w.rt, w.p("admin_A"), shown.id, GoodForm(clear_limit=True)).per_elder_limit is None
    with pytest.raises(ValidationFailed):
        goods.update_good(w.rt, w.p("admin_A"), shown.id, GoodForm(stock=99))
    assert goods.adjust_stock(w.rt, w.p("admin_A"), shown.id, 7, "补货").stock == 12
    with pytest.raises(Conflict) as negative:
        goods.adjust_stock(w.rt, w.p("admin_A"), shown.id, -13)
    assert negative.value.code == "POINTS_OUT_OF_STOCK"
    assert w.stock(shown.id) == 12
    assert [e.name for e in goods.good_events(w.rt, w.p("admin_A"), shown.id)][-1] == "points_good.stock_adjusted"


def test_scope_other_institutions_and_other_elders_are_refused(w: PointsWorld) -> None:
    good = w.good()
    w.grant(w.world.elders["B"], 100)
    with pytest.raises(NotFound) as other_elder:
        goods.exchange(w.rt, w.p("family_F"), ExchangeForm(good_id=good.id, elder_id=w.world.elders["B"]))
    assert other_elder.value.code == "ELDER_NOT_FOUND"
    with pytest.raises(PermissionDenied):
        goods.exchange(w.rt, w.p("admin_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    with pytest.raises(NotFound):
        goods.update_good(w.rt, w.p("admin_B"), good.id, GoodForm(points_price=1))
    with pytest.raises(PermissionDenied):
        goods.create_good(w.rt, w.p("family_F"), GoodForm(name="x", points_price=1))
    w.grant(w.elder, 100)
    ex = goods.exchange(w.rt, w.p("elder_A"), ExchangeForm(good_id=good.id, elder_id=w.elder))
    for login in ("admin_B",):
        with pytest.raises(NotFound):
            goods.deliver(w.rt, w.p(login), ex.id)
        with pytest.raises(NotFound):
            goods.cancel_exchange(w.rt, w.p(login), ex.id)
        with pytest.raises(NotFound):
            goods.get_exchange(w.rt, w.p(login), ex.id)
    with pytest.raises(PermissionDenied):
        goods.deliver(w.rt, w.p("elder_A"), ex.id)
    assert goods.list_exchanges(w.rt, w.p("admin_B"), ALL).total == 0
    assert goods.get_exchange(w.rt, operator(), ex.id).status == "placed"
    assert w.balance(w.elder) == 70
