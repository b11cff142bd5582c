"""The four fulfilment types walked through the use cases on every backend (M-05, A-05, P-01/P-02)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import FrozenClock
from tests.mall.setup import ALL, build_mall
from yiyangkang.bootstrap import Container
from yiyangkang.services.mall import fulfilment


def test_each_fulfilment_type_end_to_end(backend: Container, clock: FrozenClock) -> None:
    w = build_mall(backend)
    trade = w.buy(("bath", 1), ("rehab", 2), ("diapers", 2), ("walker", 1))
    assert trade.status == "paid"
    assert trade.total_fen == 15000 + 40000 + 16000 + 26000
    subs = {s.fulfilment: s for s in trade.sub_orders}
    assert {s: subs[s].status for s in subs} == {
        "home_visit": "pending_dispatch", "in_store": "pending_use", "delivery": "pending_shipment",
        "pickup": "pending_pickup"}
    admin, staff = w.p("admin_A"), w.p("staff_A")
    visit = subs["home_visit"]
    fulfilment.dispatch(w.rt, admin, visit.id, w.staff_A)
    clock.advance(hours=4)
    assert visit.verify_code is not None
    fulfilment.start_visit(w.rt, staff, visit.id, visit.verify_code)
    clock.advance(minutes=55)
    done = fulfilment.complete_visit(w.rt, staff, visit.id, "洗浴、更衣，皮肤无破损")
    assert done.status == "completed"
    store = subs["in_store"]
    assert store.verify_code is not None
    assert fulfilment.verify(w.rt, admin, store.verify_code, {1: 1}).status == "pending_use"
    assert fulfilment.verify(w.rt, admin, store.verify_code).status == "completed"
    parcel = subs["delivery"]
    fulfilment.ship(w.rt, admin, parcel.id, fulfilment.ShipForm(carrier="顺丰速运", tracking_no="SF1234567890"))
    assert fulfilment.confirm_delivery(w.rt, w.p("elder_A"), parcel.id).status == "completed"
    pickup = subs["pickup"]
    assert pickup.verify_code is not None
    assert fulfilment.verify(w.rt, admin, pickup.verify_code).status == "completed"
    mine = fulfilment.list_orders(w.rt, w.p("elder_A"), ALL, goods=True)
    assert {o.status for o in mine.items} == {"completed"}
    assert clock.now() > w.now - timedelta(days=1)
