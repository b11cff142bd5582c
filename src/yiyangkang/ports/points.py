"""Ports of points (积分): activities and enrolments, goods and exchanges, staff service-point records, and
the ratings the service points are judged by. Seat and stock counters move by atomic conditional updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.points.activities import ActivityStatus, Enrolment, EnrolmentStatus, PointsActivity
from yiyangkang.domain.points.goods import Exchange, ExchangeStatus, PointsGood
from yiyangkang.domain.points.service import ServiceAward
from yiyangkang.ports.repositories import Repository

Stars = list[int]  # the stars of one staff member's ratings


class ActivityRepository(Repository[PointsActivity], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        status: ActivityStatus | None = None, keyword: str | None = None,
    ) -> Page[PointsActivity]:
        """Newest first, within `visibility`."""
        ...

    def take_seat(self, activity_id: str) -> bool:
        """One seat of a published activity if one is left (True), else nothing changes (False)."""
        ...

    def free_seat(self, activity_id: str) -> None: ...


class EnrolmentRepository(Repository[Enrolment], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, activity_id: str | None = None,
        elder_id: str | None = None, institution_id: str | None = None, status: EnrolmentStatus | None = None,
    ) -> Page[Enrolment]: ...

    def of_activity(self, activity_id: str, status: EnrolmentStatus) -> Sequence[Enrolment]: ...

    def active(self, activity_id: str, elder_id: str) -> Enrolment | None:
        """The elder's enrolment in the activity that is not cancelled, if any."""
        ...


class GoodRepository(Repository[PointsGood], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        on_shelf: bool | None = None, keyword: str | None = None,
    ) -> Page[PointsGood]: ...

    def take_stock(self, good_id: str, units: int) -> bool:
        """Take `units` if that many are in stock (True), else change nothing (False)."""
        ...

    def put_stock(self, good_id: str, units: int) -> None: ...


class ExchangeRepository(Repository[Exchange], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, elder_id: str | None = None,
        good_id: str | None = None, institution_id: str | None = None, status: ExchangeStatus | None = None,
    ) -> Page[Exchange]: ...

    def units_held(self, good_id: str, elder_id: str) -> int:
        """Units of the good in the elder's exchanges not cancelled (the per-elder limit counts these)."""
        ...


class ServiceAwardRepository(Protocol):
    def add(self, item: ServiceAward) -> None:
        """Conflict SERVICE_POINTS_AWARDED when the staff member's period is already recorded."""
        ...

    def get(self, ident: str) -> ServiceAward | None: ...

    def of(self, staff_id: str, period: str) -> ServiceAward | None: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, staff_id: str | None = None,
        institution_id: str | None = None, period: str | None = None,
    ) -> Page[ServiceAward]:
        """Newest period first, then by staff id."""
        ...

    def ratings_in(self, start: datetime, end: datetime) -> dict[str, Stars]:
        """The stars of the visible ratings of each rated staff member given in [start, end) (mall home visits;
        home-bed orders carry no ratings)."""
        ...
