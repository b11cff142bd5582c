"""Points repositories: documents plus query columns; seat and stock counters moved by conditional updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select

from yiyangkang.adapters.sqlalchemy import tables as t
from yiyangkang.adapters.sqlalchemy import tables_mall as m
from yiyangkang.adapters.sqlalchemy import tables_points as p
from yiyangkang.adapters.sqlalchemy.base import keyword_clause, visibility_clause
from yiyangkang.adapters.sqlalchemy.repositories.homebed import DocumentRepository
from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.points.activities import ActivityStatus, Enrolment, EnrolmentStatus, PointsActivity
from yiyangkang.domain.points.goods import Exchange, ExchangeStatus, PointsGood
from yiyangkang.domain.points.service import ServiceAward

A = TypeVar("A", bound=Aggregate)
Stars = list[int]


class _Counted(DocumentRepository[A]):
    """A document with one counter column beside it (seats, stock) that only conditional updates move."""

    counter: str

    def to_row(self, item: A) -> dict[str, Any]:
        row = super().to_row(item)
        row["doc"].pop(self.counter, None)
        return row

    def add(self, item: A) -> None:
        row = {**self.to_row(item), self.counter: getattr(item, self.counter)}
        self._write(lambda: self.conn.execute(self.table.insert().values(row)))
        self.ctx.touched.append(item)

    def from_row(self, row: Any) -> A:
        item = super().from_row(row)
        setattr(item, self.counter, int(getattr(row, self.counter)))
        return item

    def _bump(self, ident: str, delta: int, *condition: Any) -> bool:
        c = self.table.c
        stmt = (self.table.update().where(c.id == ident, *condition)
                .values({self.counter: c[self.counter] + delta}).returning(c.id))
        return self.conn.execute(stmt).first() is not None


class SqlActivities(_Counted[PointsActivity]):
    table, model, counter = p.points_activities, PointsActivity, "enrolled"

    def columns(self, a: PointsActivity) -> dict[str, Any]:
        return {"institution_id": a.institution_id, "title": a.title, "status": a.status.value,
                "starts_at": a.starts_at, "capacity": a.capacity}

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        status: ActivityStatus | None = None, keyword: str | None = None,
    ) -> Page[PointsActivity]:
        stmt = self._owned(visibility, institution_id=institution_id, status=status)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.title)), page)

    def take_seat(self, activity_id: str) -> bool:
        c = self.table.c
        return self._bump(activity_id, 1, c.enrolled < c.capacity, c.status == ActivityStatus.PUBLISHED.value)

    def free_seat(self, activity_id: str) -> None:
        self._bump(activity_id, -1, self.table.c.enrolled > 0)


class SqlEnrolments(DocumentRepository[Enrolment]):
    table, model = p.points_enrolments, Enrolment
    conflicts = {"enrolments_open": ("POINTS_ALREADY_ENROLLED", "该老人已报名此活动"),
                 "activity_id": ("POINTS_ALREADY_ENROLLED", "该老人已报名此活动")}

    def columns(self, e: Enrolment) -> dict[str, Any]:
        return {"activity_id": e.activity_id, "institution_id": e.institution_id, "elder_id": e.elder_id,
                "status": e.status.value}

    def list(
        self, visibility: Visibility, page: PageRequest, *, activity_id: str | None = None,
        elder_id: str | None = None, institution_id: str | None = None, status: EnrolmentStatus | None = None,
    ) -> Page[Enrolment]:
        return self._page(self._owned(visibility, activity_id=activity_id, elder_id=elder_id,
                                      institution_id=institution_id, status=status), page)

    def of_activity(self, activity_id: str, status: EnrolmentStatus) -> Sequence[Enrolment]:
        c = self.table.c
        stmt = select(self.table).where(c.activity_id == activity_id, c.status == status.value)
        if self.conn.dialect.name != "sqlite":
            stmt = stmt.with_for_update()
        return self._rows(stmt.order_by(c.created_at, c.id))

    def active(self, activity_id: str, elder_id: str) -> Enrolment | None:
        c = self.table.c
        rows = self._rows(select(self.table).where(c.activity_id == activity_id, c.elder_id == elder_id,
                                                   c.status != EnrolmentStatus.CANCELLED.value))
        return rows[0] if rows else None


class SqlGoods(_Counted[PointsGood]):
    table, model, counter = p.points_goods, PointsGood, "stock"

    def columns(self, g: PointsGood) -> dict[str, Any]:
        return {"institution_id": g.institution_id, "name": g.name, "on_shelf": g.on_shelf}

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        on_shelf: bool | None = None, keyword: str | None = None,
    ) -> Page[PointsGood]:
        stmt = self._owned(visibility, institution_id=institution_id, on_shelf=on_shelf)
        return self._page(stmt.where(keyword_clause(keyword, self.table.c.name)), page)

    def take_stock(self, good_id: str, units: int) -> bool:
        return self._bump(good_id, -units, self.table.c.stock >= units)

    def put_stock(self, good_id: str, units: int) -> None:
        self._bump(good_id, units)


class SqlExchanges(DocumentRepository[Exchange]):
    table, model = p.points_exchanges, Exchange

    def columns(self, e: Exchange) -> dict[str, Any]:
        return {"good_id": e.good_id, "institution_id": e.institution_id, "elder_id": e.elder_id,
                "status": e.status.value, "quantity": e.quantity}

    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        good_id: str | None = None, institution_id: str | None = None, status: ExchangeStatus | None = None,
    ) -> Page[Exchange]:
        return self._page(self._owned(visibility, elder_id=elder_id, good_id=good_id, institution_id=institution_id,
                                      status=status), page)

    def units_held(self, good_id: str, elder_id: str) -> int:
        c = self.table.c
        stmt = select(func.coalesce(func.sum(c.quantity), 0)).where(
            c.good_id == good_id, c.elder_id == elder_id, c.status != ExchangeStatus.CANCELLED.value)
        return int(self.conn.execute(stmt).scalar_one())


class SqlServiceAwards(DocumentRepository[ServiceAward]):
    table, model = p.points_service_awards, ServiceAward
    conflicts = {"staff_period": ("SERVICE_POINTS_AWARDED", "该员工本周期的服务积分已结算"),
                 "staff_id": ("SERVICE_POINTS_AWARDED", "该员工本周期的服务积分已结算")}

    def columns(self, a: ServiceAward) -> dict[str, Any]:
        return {"staff_id": a.staff_id, "institution_id": a.institution_id, "period": a.period, "points": a.points}

    def of(self, staff_id: str, period: str) -> ServiceAward | None:
        c = self.table.c
        rows = self._rows(select(self.table).where(c.staff_id == staff_id, c.period == period))
        return rows[0] if rows else None

    def list(
        self, visibility: Visibility, page: PageRequest, *, staff_id: str | None = None,
        institution_id: str | None = None, period: str | None = None,
    ) -> Page[ServiceAward]:
        c, i = self.table.c, t.institutions.c
        stmt = select(self.table).join(t.institutions, i.id == c.institution_id).where(
            visibility_clause(visibility, institution_id=c.institution_id, institution_path=i.path))
        for column, value in ((c.staff_id, staff_id), (c.institution_id, institution_id), (c.period, period)):
            if value is not None:
                stmt = stmt.where(column == value)
        return self._page(stmt.order_by(c.period.desc(), c.staff_id), page)

    def ratings_in(self, start: datetime, end: datetime) -> dict[str, Stars]:
        r = m.mall_ratings.c
        stmt = (select(r.staff_id, r.stars).where(r.staff_id.is_not(None), r.hidden == False,  # noqa: E712
                                                  r.created_at >= start, r.created_at < end)
                .order_by(r.staff_id, r.created_at, r.id))
        found: dict[str, Stars] = {}
        for staff_id, stars in self.conn.execute(stmt):
            found.setdefault(staff_id, []).append(int(stars))
        return found


__all__ = ["SqlActivities", "SqlEnrolments", "SqlExchanges", "SqlGoods", "SqlServiceAwards"]
