"""A points world on top of `tests.world`: institution A runs an activity and lists goods; helpers to give an
elder points the way elders earn them (an attended activity) and straight from the points fund (races).

    A (越秀) admin_A, staff_A1 (of A1, a station under A)      B (天河) admin_B
    elder_A (A's elder) with family_F                         elder B (no login)
"""

from __future__ import annotations

from datetime import timedelta

from attrs import define

from tests.world import OnWorld, build_world
from yiyangkang.bootstrap import Container
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.money.ledger import Leg, Posting
from yiyangkang.services.points import activities, goods
from yiyangkang.services.points.activities import ActivityForm
from yiyangkang.services.points.common import ISSUER, elder_points
from yiyangkang.services.points.goods import GoodForm
from yiyangkang.services.points.views import ActivityView, GoodView

ALL = PageRequest(1, 100)


@define
class PointsWorld(OnWorld):
    grants: int = 0

    def activity(self, *, login: str = "admin_A", capacity: int = 10, points: int = 20, publish: bool = True,
                 title: str = "重阳节长者健步走") -> ActivityView:
        """An activity of A: enrolment open from an hour ago for two days, held on the third day for two hours."""
        now = self.now
        form = ActivityForm(title=title, place="越秀公园北门", description="沿湖步行3公里，结束后测量血压",
                            enrol_from=now - timedelta(hours=1), enrol_until=now + timedelta(days=2),
                            starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
                            capacity=capacity, points=points)
        view = activities.create_activity(self.rt, self.p(login), form)
        return activities.publish_activity(self.rt, self.p(login), view.id) if publish else view

    def good(self, *, stock: int = 5, price: int = 30, limit: int | None = None, name: str = "电子血压计",
             on_shelf: bool = True) -> GoodView:
        view = goods.create_good(self.rt, self.p("admin_A"), GoodForm(name=name, points_price=price, stock=stock,
                                                                       per_elder_limit=limit,
                                                                       description="欧姆龙上臂式"))
        return goods.set_on_shelf(self.rt, self.p("admin_A"), view.id, True) if on_shelf else view

    def grant(self, elder_id: str, points: int) -> None:
        """Points straight from the fund (a test's shortcut for many attended activities)."""
        self.grants += 1
        with self.rt.uow() as uow:
            uow.write_first()
            assert uow.ledger.post(Posting(reference=f"test-grant:{self.grants}", kind="points_earn", at=self.now,
                                           legs=(Leg(ISSUER, -points), Leg(elder_points(elder_id), points))))
            uow.commit()

    def balance(self, elder_id: str) -> int:
        with self.rt.uow() as uow:
            return uow.ledger.balance(elder_points(elder_id))

    def stock(self, good_id: str) -> int:
        return goods.get_good(self.rt, self.p("admin_A"), good_id).stock


def build_points(rt: Container) -> PointsWorld:
    return PointsWorld(build_world(rt))
