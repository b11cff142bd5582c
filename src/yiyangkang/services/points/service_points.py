"""Staff service points (服务积分, S-10): the monthly award job and what staff and admins read of it.

The settlement period is a calendar month in Asia/Shanghai; a period is awarded only once it is over (so no
rating of it can still arrive). Each rated staff member's visible ratings given in the month are averaged
exactly (`domain.points.service`: 5.00 → 3 points, ≥ 4 → 1, else 0; 4.96 is not 5) and recorded, and the
points are posted from the points fund to `staff:<id>:points` under "service-points:<staff id>:<YYYY-MM>":
earned once, whatever re-runs (a re-run finds the record and changes nothing). Only mall home visits carry a
worker's rating; home-bed orders have no ratings."""

from __future__ import annotations

from collections.abc import Callable

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Scope, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.points.service import Period, ServiceAward, average_text
from yiyangkang.services.access import load_staff, require
from yiyangkang.services.names import Names
from yiyangkang.services.points.common import ISSUER, book, staff_points
from yiyangkang.services.points.views import AwardRunView, ServiceAwardView
from yiyangkang.services.runtime import Runtime

STAFF_KIND = "员工"


def parse_period(text: str) -> Period:
    checks = Checks()
    period = checks.parse("period", Period.parse, text)
    checks.done()
    assert period is not None
    return period


def award_service_points(rt: Runtime, principal: Principal, period: str,
                         progress: Callable[[int, int], None] | None = None) -> AwardRunView:
    """累计服务积分 for one finished month, one unit of work per staff member (a failure stops nothing already
    recorded; a re-run completes what is missing and changes nothing else). `progress(done, total)`."""
    require(principal, Operation.SERVICE_POINTS_AWARD)
    month = parse_period(period)
    now = rt.clock.now()
    if month.end > now:
        raise ValidationFailed([FieldError("period", "该结算周期尚未结束，月底之后才能结算", "PERIOD_NOT_OVER")])
    with rt.uow() as uow:
        ratings = uow.service_awards.ratings_in(month.start, month.end)
    awarded = already = points = 0
    for n, staff_id in enumerate(sorted(ratings), start=1):
        try:
            earned = _award_one(rt, principal, month, staff_id, ratings[staff_id])
        except Conflict as exc:
            if exc.code != "SERVICE_POINTS_AWARDED":
                raise
            earned = None  # a parallel run recorded it first
        if earned is None:
            already += 1
        else:
            awarded, points = awarded + 1, points + earned
        if progress:
            progress(n, len(ratings))
    return AwardRunView(month.text, len(ratings), awarded, already, points)


def _award_one(rt: Runtime, principal: Principal, month: Period, staff_id: str, stars: list[int]) -> int | None:
    """The points recorded for the staff member now, or None when the period was recorded before."""
    with rt.uow() as uow:
        uow.write_first()
        if uow.service_awards.of(staff_id, month.text) is not None:
            return None
        member = uow.staff.get(staff_id)
        if member is None:
            return None
        now = rt.clock.now()
        award = ServiceAward.judge(id=rt.ids.new_id(), staff_id=staff_id, institution_id=member.institution_id,
                                   period=month, stars=stars, at=now)
        award.record_created(principal.actor, now, name="awarded")
        uow.service_awards.add(award)
        if award.points:
            book(uow, reference=award.reference, kind="service_points", source=ISSUER,
                 target=staff_points(staff_id), points=award.points, at=now,
                 memo=f"{month.text} 服务积分：{award.rating_count} 条评价，平均 "
                      f"{average_text(award.stars_sum, award.rating_count)} 星")
        uow.commit()
        return award.points


@frozen
class StaffPointsView:
    """What a staff member (and their admins) see: the service-points balance and the periods, newest first."""

    staff_id: str
    staff_name: str
    institution_id: str
    balance: int
    periods: list[ServiceAwardView]
    total: int
    page: int
    page_size: int


def staff_service_points(rt: Runtime, principal: Principal, staff_id: str, page: PageRequest) -> StaffPointsView:
    """The staff member themself; the admins of their institution (and its parents); operators."""
    scope = require(principal, Operation.SERVICE_POINTS_READ)
    with rt.uow() as uow:
        if scope is Scope.SELF:
            member = uow.staff.get(staff_id) if staff_id == principal.staff_id else None
            if member is None:
                raise NotFound(STAFF_KIND, staff_id)
        else:
            member = load_staff(uow, principal, Operation.SERVICE_POINTS_READ, staff_id)
        found = uow.service_awards.list(Visibility(everything=True), page, staff_id=member.id)
        return StaffPointsView(member.id, member.name, member.institution_id,
                               uow.ledger.balance(staff_points(member.id)),
                               [ServiceAwardView.of(a, member.name) for a in found.items], found.total, found.page,
                               found.size)


def list_service_points(rt: Runtime, principal: Principal, page: PageRequest, *, period: str | None = None,
                        institution_id: str | None = None, staff_id: str | None = None) -> Page[ServiceAwardView]:
    """Admins: their subtree's staff, by period; staff: their own periods only."""
    scope = require(principal, Operation.SERVICE_POINTS_READ)
    month = parse_period(period).text if period else None
    if scope is Scope.SELF:
        if principal.staff_id is None or staff_id not in (None, principal.staff_id):
            return Page([], 0, page.page, page.size)
        vis, staff_id = Visibility(everything=True), principal.staff_id
    else:
        vis = Visibility.of(principal, scope)
    with rt.uow() as uow:
        found = uow.service_awards.list(vis, page, staff_id=staff_id, institution_id=institution_id, period=month)
        names = Names(uow).staff_members({a.staff_id for a in found.items})
        return found.map(lambda a: ServiceAwardView.of(a, names.get(a.staff_id, "")))
