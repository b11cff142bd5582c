"""The points part of the demo (积分演示数据): October's rated home visits of two workers and their service
points (S-10: 越秀's worker averaged 5.00 → 3 points, 天河's nurse 4.75 → 1 point — never rounded up); 越秀's
walk held on 15 November with attendance checked (one elder absent), a fall-prevention talk still
taking enrolments, 天河's draft; points goods and the exchanges of the morning of 25 November 2026 (one delivered,
one waiting to be handed over)."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs

from apps.cli.demo_homebed import DemoClock, _principal
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.services import addresses
from yiyangkang.services.mall import checkout, fulfilment, ratings
from yiyangkang.services.mall.checkout import CartItem, CheckoutForm
from yiyangkang.services.mall.ratings import RatingForm
from yiyangkang.services.points import activities, goods, service_points
from yiyangkang.services.points.activities import ActivityForm
from yiyangkang.services.points.goods import ExchangeForm, GoodForm

MORNING = datetime(2026, 11, 25, 8, 40, tzinfo=SHANGHAI)
# October's rated home visits: (institution, product name, worker login, elder logins, stars)
OCTOBER = [
    ("yuexiu", "上门助浴（失能长者）", "yuexiu_service_worker_3", ["elder01", "elder02", "elder07"], [5, 5, 5]),
    ("tianhe", "家庭医生上门巡诊", "tianhe_nurse_3", ["elder04", "elder10", "elder04", "elder10"], [5, 5, 5, 4]),
]
REMARKS = {5: "非常专业，老人很满意", 4: "服务不错，到得稍晚"}


def _sh(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def seed_points(base: Container) -> dict[str, int]:
    clock = DemoClock(datetime(2026, 10, 8, 9, 0, tzinfo=SHANGHAI))
    rt = attrs.evolve(base, clock=clock)
    op = _principal(rt, "operator")
    counts = {"rated_visits": _october(rt, clock, op)}
    clock.to(datetime(2026, 11, 1, 0, 30, tzinfo=SHANGHAI))
    counts["service_points"] = service_points.award_service_points(rt, op, "2026-10").points
    counts |= _activities(rt, clock)
    counts["exchanges"] = _goods(rt, clock)
    clock.to(MORNING)
    return counts


def _product(rt: Container, name: str) -> str:
    with rt.uow() as uow:
        found = uow.products.list(Visibility(everything=True), PageRequest(1, 5), keyword=name)
    return next(p.id for p in found.items if p.shown.name == name)


def _october(rt: Container, clock: DemoClock, op: Principal) -> int:
    """Home visits in October, served and rated (the service points of October are judged by these)."""
    n = 0
    for key, product_name, worker_login, elder_logins, stars in OCTOBER:
        admin, worker = _principal(rt, f"admin_{key}"), _principal(rt, worker_login)
        product = _product(rt, product_name)
        for day, (login, star) in enumerate(zip(elder_logins, stars, strict=True)):
            elder = _principal(rt, login)
            elder_id = sorted(elder.elder_ids)[0]
            address = addresses.list_addresses(rt, op, elder_id)[0].id
            clock.to(datetime(2026, 10, 9 + 4 * day, 9, 0, tzinfo=SHANGHAI))
            at = clock.now() + timedelta(hours=5)
            trade = checkout.checkout(rt, elder, CheckoutForm(elder_id=elder_id, address_id=address, items=[
                CartItem(product_id=product, appointment_at=at)]))
            sub = checkout.pay(rt, elder, trade.id).sub_orders[0]
            clock.to(clock.now() + timedelta(minutes=20))
            fulfilment.dispatch(rt, admin, sub.id, str(worker.staff_id))
            clock.to(at)
            fulfilment.start_visit(rt, worker, sub.id, str(sub.verify_code))
            clock.to(at + timedelta(minutes=50))
            fulfilment.complete_visit(rt, worker, sub.id, "服务完成，已向家属说明注意事项")
            clock.to(at + timedelta(hours=3))
            ratings.rate(rt, elder, RatingForm(sub_order_id=sub.id, stars=star, text=REMARKS[star]))
            n += 1
    return n


def _activities(rt: Container, clock: DemoClock) -> dict[str, int]:
    yuexiu, tianhe = _principal(rt, "admin_yuexiu"), _principal(rt, "admin_tianhe")
    clock.to(datetime(2026, 11, 5, 10, 0, tzinfo=SHANGHAI))
    walk = activities.create_activity(rt, yuexiu, ActivityForm(
        title="长者健步走·越秀公园", place="越秀公园北门集合", description="沿东秀湖步行约3公里，结束后免费测量血压",
        enrol_from=clock.now(), enrol_until=datetime(2026, 11, 14, 18, 0, tzinfo=SHANGHAI),
        starts_at=datetime(2026, 11, 15, 9, 0, tzinfo=SHANGHAI), ends_at=datetime(2026, 11, 15, 11, 0, tzinfo=SHANGHAI),
        capacity=30, points=20))
    activities.publish_activity(rt, yuexiu, walk.id)
    enrolled = []
    for n, login in enumerate(["elder01", "family02", "elder07"]):
        clock.to(datetime(2026, 11, 6 + n, 15, 0, tzinfo=SHANGHAI))
        who = _principal(rt, login)
        enrolled.append(activities.enrol(rt, who, walk.id, sorted(who.elder_ids)[0]))
    clock.to(datetime(2026, 11, 15, 9, 10, tzinfo=SHANGHAI))
    checker = _principal(rt, "yuexiu_service_worker_3")
    for e in enrolled[:2]:
        activities.check_attendance(rt, checker, e.id)
    clock.to(datetime(2026, 11, 15, 11, 30, tzinfo=SHANGHAI))
    activities.close_activity(rt, yuexiu, walk.id)  # elder07 did not come: absent
    clock.to(datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI))
    talk = activities.create_activity(rt, yuexiu, ActivityForm(
        title="防跌倒健康讲座", place="越秀区东风中路437号二楼活动室", description="康复治疗师讲解居家防跌倒要点",
        enrol_from=clock.now(), enrol_until=datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI),
        starts_at=datetime(2026, 11, 28, 14, 30, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 11, 28, 16, 0, tzinfo=SHANGHAI), capacity=40, points=10))
    activities.publish_activity(rt, yuexiu, talk.id)
    for n, login in enumerate(["elder01", "elder08"]):
        clock.to(datetime(2026, 11, 21 + n, 11, 0, tzinfo=SHANGHAI))
        who = _principal(rt, login)
        activities.enrol(rt, who, talk.id, sorted(who.elder_ids)[0])
    clock.to(datetime(2026, 11, 24, 16, 0, tzinfo=SHANGHAI))
    activities.create_activity(rt, tianhe, ActivityForm(
        title="冬季养生义诊", place="天河区五山路371号门诊大厅", enrol_from=_sh(12, 1, 9), enrol_until=_sh(12, 9, 18),
        starts_at=_sh(12, 10, 9), ends_at=_sh(12, 10, 12), capacity=60, points=15))  # a draft
    return {"activities": 3, "enrolments": 5}


def _goods(rt: Container, clock: DemoClock) -> int:
    yuexiu = _principal(rt, "admin_yuexiu")
    clock.to(datetime(2026, 11, 16, 9, 0, tzinfo=SHANGHAI))
    listed = {}
    for name, price, stock, limit, text in [
        ("颐康定制保温杯", 15, 20, None, "304不锈钢，500毫升"),
        ("老花镜（+200度）", 20, 10, 1, "树脂镜片，附眼镜盒；每人限兑1副"),
        ("电子血压计", 300, 3, 1, "上臂式，语音播报"),
    ]:
        made = goods.create_good(rt, yuexiu, GoodForm(name=name, points_price=price, stock=stock,
                                                      per_elder_limit=limit, description=text))
        listed[name] = goods.set_on_shelf(rt, yuexiu, made.id, True).id
    elder01, family02 = _principal(rt, "elder01"), _principal(rt, "family02")
    clock.to(datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI))
    cup = goods.exchange(rt, elder01, ExchangeForm(good_id=listed["颐康定制保温杯"],
                                                   elder_id=sorted(elder01.elder_ids)[0]))
    clock.to(datetime(2026, 11, 18, 14, 0, tzinfo=SHANGHAI))
    goods.deliver(rt, yuexiu, cup.id)
    clock.to(datetime(2026, 11, 24, 19, 0, tzinfo=SHANGHAI))
    goods.exchange(rt, family02, ExchangeForm(good_id=listed["老花镜（+200度）"],
                                              elder_id=sorted(family02.elder_ids)[0]))  # to be handed over
    return 2


__all__ = ["seed_points"]
