"""In-memory points repositories: the same queries as the SQL ones over plain objects. Seat and stock counters
are applied to the committed store as deltas, as the SQL `UPDATE … SET stock = stock - n` would be."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from yiyangkang.adapters.memory.homebed import _Owned
from yiyangkang.adapters.memory.repositories import MemoryRepository, _has, _page
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.identity.policy import Target, Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.points.activities import ActivityStatus, Enrolment, EnrolmentStatus, PointsActivity
from yiyangkang.domain.points.goods import Exchange, ExchangeStatus, PointsGood
from yiyangkang.domain.points.service import ServiceAward

A = TypeVar("A", bound=Aggregate)
Stars = list[int]


class _Counted(_Owned[A]):
    """A counter kept apart from the rows (like the SQL column beside the document)."""

    counter: ClassVar[str]

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        super().__init__(store, touched, committed)
        self.counts: dict[str, int] = store.table(f"{self.name}_{self.counter}")
        self.committed_counts: dict[str, int] = committed.table(f"{self.name}_{self.counter}")
        self.deltas: dict[str, int] = {}

    def _counted(self, item: A | None) -> A | None:
        if item is not None:
            setattr(item, self.counter, self.counts.get(item.id, 0))
        return item

    def add(self, item: A) -> None:
        super().add(item)
        value = int(getattr(item, self.counter))
        self.counts[item.id] = value
        self.deltas[item.id] = self.deltas.get(item.id, 0) + value

    def get(self, ident: str) -> A | None:
        return self._counted(super().get(ident))

    def _all(self) -> list[A]:
        return [i for i in (self._counted(x) for x in super()._all()) if i is not None]

    def _bump(self, ident: str, delta: int) -> None:
        self.counts[ident] = self.counts.get(ident, 0) + delta
        self.deltas[ident] = self.deltas.get(ident, 0) + delta

    def apply(self) -> None:
        super().apply()
        for ident, delta in self.deltas.items():
            self.committed_counts[ident] = self.committed_counts.get(ident, 0) + delta
        self.deltas.clear()


class MemoryActivities(_Counted[PointsActivity]):
    name, counter = "points_activities", "enrolled"

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        status: ActivityStatus | None = None, keyword: str | None = None,
    ) -> Page[PointsActivity]:
        return self._find(visibility, page, lambda a: _has(keyword, a.title), institution_id=institution_id,
                          status=status)

    def take_seat(self, activity_id: str) -> bool:
        item = self.rows.get(activity_id)
        if item is None or item.status is not ActivityStatus.PUBLISHED or (
                self.counts.get(activity_id, 0) >= item.capacity):
            return False
        self._bump(activity_id, 1)
        return True

    def free_seat(self, activity_id: str) -> None:
        if self.counts.get(activity_id, 0) > 0:
            self._bump(activity_id, -1)


class MemoryEnrolments(_Owned[Enrolment]):
    name = "points_enrolments"
    unique = ((lambda e: (e.activity_id, e.elder_id) if e.status is not EnrolmentStatus.CANCELLED else None,
               "POINTS_ALREADY_ENROLLED", "该老人已报名此活动"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, activity_id: str | None = None,
        elder_id: str | None = None, institution_id: str | None = None, status: EnrolmentStatus | None = None,
    ) -> Page[Enrolment]:
        return self._find(visibility, page, lambda e: True, activity_id=activity_id, elder_id=elder_id,
                          institution_id=institution_id, status=status)

    def of_activity(self, activity_id: str, status: EnrolmentStatus) -> Sequence[Enrolment]:
        return sorted((e for e in self._all() if e.activity_id == activity_id and e.status is status),
                      key=lambda e: (e.created_at, e.id))

    def active(self, activity_id: str, elder_id: str) -> Enrolment | None:
        return next((e for e in self._all() if e.activity_id == activity_id and e.elder_id == elder_id
                     and e.status is not EnrolmentStatus.CANCELLED), None)


class MemoryGoods(_Counted[PointsGood]):
    name, counter = "points_goods", "stock"

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        on_shelf: bool | None = None, keyword: str | None = None,
    ) -> Page[PointsGood]:
        return self._find(visibility, page, lambda g: _has(keyword, g.name), institution_id=institution_id,
                          on_shelf=on_shelf)

    def take_stock(self, good_id: str, units: int) -> bool:
        if good_id not in self.rows or self.counts.get(good_id, 0) < units:
            return False
        self._bump(good_id, -units)
        return True

    def put_stock(self, good_id: str, units: int) -> None:
        if good_id in self.rows:
            self._bump(good_id, units)


class MemoryExchanges(_Owned[Exchange]):
    name = "points_exchanges"

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        good_id: str | None = None, institution_id: str | None = None, status: ExchangeStatus | None = None,
    ) -> Page[Exchange]:
        return self._find(visibility, page, lambda e: True, elder_id=elder_id, good_id=good_id,
                          institution_id=institution_id, status=status)

    def units_held(self, good_id: str, elder_id: str) -> int:
        return sum(e.quantity for e in self.rows.values() if e.good_id == good_id and e.elder_id == elder_id
                   and e.status is not ExchangeStatus.CANCELLED)


class MemoryServiceAwards(MemoryRepository[ServiceAward]):
    name = "points_service_awards"
    unique = ((lambda a: (a.staff_id, a.period), "SERVICE_POINTS_AWARDED", "该员工本周期的服务积分已结算"),)

    def of(self, staff_id: str, period: str) -> ServiceAward | None:
        return next((a for a in self._all() if a.staff_id == staff_id and a.period == period), None)

    def list(
        self, visibility: Visibility, page: PageRequest, *, staff_id: str | None = None,
        institution_id: str | None = None, period: str | None = None,
    ) -> Page[ServiceAward]:
        items = [a for a in self._all()
                 if visibility.admits(Target(institution_id=a.institution_id,
                                             institution_path=self._path(a.institution_id)))
                 and all(v is None or getattr(a, k) == v
                         for k, v in (("staff_id", staff_id), ("institution_id", institution_id), ("period", period)))]
        items.sort(key=lambda a: a.staff_id)
        items.sort(key=lambda a: a.period, reverse=True)
        return _page(items, page)

    def ratings_in(self, start: datetime, end: datetime) -> dict[str, Stars]:
        ratings: list[Any] = sorted(self.store.table("mall_ratings").values(),
                                    key=lambda r: (r.staff_id or "", r.created_at, r.id))
        found: dict[str, Stars] = {}
        for r in ratings:
            if r.staff_id is not None and not r.hidden and start <= r.created_at < end:
                found.setdefault(r.staff_id, []).append(r.stars)
        return found


__all__ = ["MemoryActivities", "MemoryEnrolments", "MemoryExchanges", "MemoryGoods", "MemoryServiceAwards"]
