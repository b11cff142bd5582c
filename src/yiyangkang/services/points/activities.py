"""Points activities (积分活动, M-07, P-08): an institution drafts, publishes, closes or cancels its activities;
elders (or their families, or the institutions on their behalf) enrol within the enrolment window while seats
are left; the institution checks attendance, which earns the elder the activity's points once.

Locks are taken in one order — the activity, then its enrolments, then the ledger — so that enrolling,
cancelling, checking attendance and closing never deadlock one another on PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import ensure_utc, instant_problem
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.points.activities import (
    MAX_ACTIVITY_POINTS,
    MAX_CAPACITY,
    ActivityStatus,
    Enrolment,
    EnrolmentStatus,
    PointsActivity,
    schedule_problems,
)
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, load_elder, owner_target, require
from yiyangkang.services.access import visibility as scope_visibility
from yiyangkang.services.objects import events_of
from yiyangkang.services.points.common import (
    ACTIVITY_KIND,
    ENROLMENT_KIND,
    ISSUER,
    book,
    create_owned,
    elder_names,
    elder_points,
    load,
    not_found_code,
)
from yiyangkang.services.points.views import ActivityView, EnrolmentView
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

TIMES = ("starts_at", "ends_at", "enrol_from", "enrol_until")


@frozen(kw_only=True)
class ActivityForm:
    """Create: every field but `description` (and `institution_id` for the caller's own). Edit: any of them."""

    institution_id: str | None = None
    title: str | None = None
    description: str | None = None
    place: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    enrol_from: datetime | None = None
    enrol_until: datetime | None = None
    capacity: int | None = None
    points: int | None = None


def _values(checks: Checks, form: ActivityForm, base: PointsActivity | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if base is None or form.title is not None:
        values["title"] = checks.text("title", form.title, label="活动名称", max_len=60)
    if base is None or form.place is not None:
        values["place"] = checks.text("place", form.place, label="活动地点", max_len=100)
    if form.description is not None:
        values["description"] = checks.text("description", form.description, label="活动介绍", max_len=2000,
                                            required=False) or ""
    if base is None or form.capacity is not None:
        checks.require("capacity", form.capacity is not None and 1 <= form.capacity <= MAX_CAPACITY,
                       f"名额应在1～{MAX_CAPACITY}之间", "OUT_OF_RANGE")
        values["capacity"] = form.capacity
    if base is None or form.points is not None:
        checks.require("points", form.points is not None and 1 <= form.points <= MAX_ACTIVITY_POINTS,
                       f"签到积分应在1～{MAX_ACTIVITY_POINTS}之间", "OUT_OF_RANGE")
        values["points"] = form.points
    times: dict[str, datetime] = {}
    for name in TIMES:
        given: datetime | None = getattr(form, name)
        if given is None:
            if base is None:
                checks.fail(name, "请填写时间", "REQUIRED")
            else:
                times[name] = getattr(base, name)
            continue
        problem = instant_problem(given)
        if problem:
            checks.fail(name, problem, "INVALID_TIME")
        else:
            times[name] = values[name] = ensure_utc(given)
    if len(times) == len(TIMES):
        checks.errors.extend(schedule_problems(times["starts_at"], times["ends_at"], times["enrol_from"],
                                               times["enrol_until"]))
    return values


def _activity(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False
              ) -> PointsActivity:
    found = uow.points_activities.lock(ident) if lock else uow.points_activities.get(ident)
    return load(uow, principal, op, found, ACTIVITY_KIND, ident)


def create_activity(rt: Runtime, principal: Principal, form: ActivityForm) -> ActivityView:
    """发布积分活动 (as a draft first)."""
    item = create_owned(rt, principal, form.institution_id, lambda checks: _values(checks, form, None),
                        PointsActivity, lambda uow, a: uow.points_activities.add(a))
    return ActivityView.of(item)


def update_activity(rt: Runtime, principal: Principal, ident: str, form: ActivityForm,
                    expected_version: int | None = None) -> ActivityView:
    with rt.uow() as uow:
        uow.write_first()
        item = _activity(uow, principal, Operation.POINTS_MANAGE, ident, lock=True)
        item.expect_version(expected_version)
        checks = Checks()
        checks.require("institution_id", form.institution_id in (None, item.institution_id), "活动不能换机构",
                       "IMMUTABLE")
        values = _values(checks, form, item)
        checks.done()
        item.edit(values, principal.actor, rt.clock.now())
        uow.points_activities.save(item)
        uow.commit()
        return ActivityView.of(item)


def publish_activity(rt: Runtime, principal: Principal, ident: str) -> ActivityView:
    """发布: elders see it and may enrol within its window."""
    with rt.uow() as uow:
        uow.write_first()
        item = _activity(uow, principal, Operation.POINTS_MANAGE, ident, lock=True)
        item.publish(principal.actor, rt.clock.now())
        uow.points_activities.save(item)
        uow.commit()
        return ActivityView.of(item)


def close_activity(rt: Runtime, principal: Principal, ident: str) -> ActivityView:
    """结束: after it started; enrolments never checked in are marked absent (缺席)."""
    with rt.uow() as uow:
        uow.write_first()
        item = _activity(uow, principal, Operation.POINTS_MANAGE, ident, lock=True)
        now = rt.clock.now()
        item.close(principal.actor, now)
        uow.points_activities.save(item)
        for enrolment in uow.points_enrolments.of_activity(item.id, EnrolmentStatus.ENROLLED):
            enrolment.mark_absent(principal.actor, now)
            uow.points_enrolments.save(enrolment)
        uow.commit()
        return ActivityView.of(item)


def cancel_activity(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> ActivityView:
    """取消: before it starts; every enrolment is cancelled with it."""
    with rt.uow() as uow:
        uow.write_first()
        item = _activity(uow, principal, Operation.POINTS_MANAGE, ident, lock=True)
        checks = Checks()
        why = checks.text("reason", reason, label="取消原因", max_len=200)
        checks.done()
        now = rt.clock.now()
        item.cancel(why or "", principal.actor, now)
        uow.points_activities.save(item)
        for enrolment in uow.points_enrolments.of_activity(item.id, EnrolmentStatus.ENROLLED):
            enrolment.cancel(f"活动取消：{why}", principal.actor, now)
            uow.points_enrolments.save(enrolment)
        uow.commit()
        return ActivityView.of(item)


def _readable(uow: UnitOfWork, principal: Principal, item: PointsActivity | None, ident: str) -> PointsActivity:
    """Everyone signed in sees what was published; drafts only their institution's managers."""
    require(principal, Operation.POINTS_BROWSE)
    if item is not None and item.status is not ActivityStatus.DRAFT:
        return item
    if item is None or not allows(principal, Operation.POINTS_MANAGE, owner_target(uow, item.institution_id)):
        raise NotFound(ACTIVITY_KIND, ident, code=not_found_code(ACTIVITY_KIND))
    return item


def get_activity(rt: Runtime, principal: Principal, ident: str) -> ActivityView:
    with rt.uow() as uow:
        return ActivityView.of(_readable(uow, principal, uow.points_activities.get(ident), ident))


def list_activities(rt: Runtime, principal: Principal, page: PageRequest, *, manage: bool = False,
                    institution_id: str | None = None, status: ActivityStatus | None = None,
                    keyword: str | None = None) -> Page[ActivityView]:
    """M-07: published activities (by default) for everyone; with `manage`, the caller's institutions' own in
    any state, drafts included."""
    if manage:
        vis = scope_visibility(principal, Operation.POINTS_MANAGE)
    else:
        require(principal, Operation.POINTS_BROWSE)
        vis, status = Visibility(everything=True), status or ActivityStatus.PUBLISHED
        if status is ActivityStatus.DRAFT:
            return Page([], 0, page.page, page.size)
    with rt.uow() as uow:
        return uow.points_activities.list(vis, page, institution_id=institution_id, status=status,
                                          keyword=keyword).map(ActivityView.of)


def activity_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _activity(uow, principal, Operation.POINTS_MANAGE, ident)
        return events_of(uow, ident)


# -- enrolments (活动报名) -----------------------------------------------------------------------------------

def _view(uow: UnitOfWork, item: Enrolment) -> EnrolmentView:
    return EnrolmentView.of(item, elder_names(uow, [item.elder_id]).get(item.elder_id))


def enrol(rt: Runtime, principal: Principal, activity_id: str, elder_id: str) -> EnrolmentView:
    """活动报名 for an elder: within the window, while seats are left, once per elder (cancelled ones aside)."""
    require(principal, Operation.POINTS_ENROL)
    with rt.uow() as uow:
        uow.write_first()
        elder = load_elder(uow, principal, Operation.POINTS_ENROL, elder_id)
        activity = _readable(uow, principal, uow.points_activities.get(activity_id), activity_id)
        now = rt.clock.now()
        if not activity.enrolment_open(now):
            raise Conflict("该活动当前不在报名时间内", code="POINTS_ENROLMENT_CLOSED",
                           details={"status": activity.status.value})
        if uow.points_enrolments.active(activity.id, elder.id) is not None:
            raise Conflict("该老人已报名此活动", code="POINTS_ALREADY_ENROLLED")
        if not uow.points_activities.take_seat(activity.id):  # the seat counter's conditional update
            raise Conflict("活动名额已满", code="POINTS_ACTIVITY_FULL")
        item = Enrolment(id=rt.ids.new_id(), activity_id=activity.id, activity_title=activity.title,
                         institution_id=activity.institution_id, elder_id=elder.id,
                         enrolled_by=principal.account_id, created_at=now)
        item.record_created(principal.actor, now, name="enrolled")
        uow.points_enrolments.add(item)  # the open-enrolment unique index refuses a parallel twin
        uow.commit()
        return EnrolmentView.of(item, elder.name)


def _locked_enrolment(uow: UnitOfWork, principal: Principal, op: Operation, ident: str
                      ) -> tuple[PointsActivity, Enrolment]:
    """The activity, then the enrolment, both locked (in that order), the enrolment within the caller's scope."""
    uow.write_first()
    found = uow.points_enrolments.get(ident)
    load(uow, principal, op, found, ENROLMENT_KIND, ident)
    assert found is not None
    activity = uow.points_activities.lock(found.activity_id)
    item = uow.points_enrolments.lock(ident)
    assert activity is not None
    assert item is not None
    return activity, item


def cancel_enrolment(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> EnrolmentView:
    """取消报名 before the activity starts; the seat comes back."""
    with rt.uow() as uow:
        activity, item = _locked_enrolment(uow, principal, Operation.POINTS_ENROL, ident)
        now = rt.clock.now()
        if now >= activity.starts_at:
            raise Conflict("活动已开始，不能取消报名", code="POINTS_ACTIVITY_STARTED")
        item.cancel(reason.strip()[:200] or "报名人取消", principal.actor, now)
        uow.points_enrolments.save(item)
        uow.points_activities.free_seat(activity.id)
        uow.commit()
        return _view(uow, item)


def check_attendance(rt: Runtime, principal: Principal, ident: str) -> EnrolmentView:
    """签到 by the institution's staff or admin, from the activity's start until it is closed: the elder earns
    the activity's points, once (ledger reference "points-activity:<enrolment id>")."""
    with rt.uow() as uow:
        activity, item = _locked_enrolment(uow, principal, Operation.POINTS_MANAGE, ident)
        now = rt.clock.now()
        if activity.status is not ActivityStatus.PUBLISHED:
            raise Conflict("活动不在进行中，不能签到", code="POINTS_ACTIVITY_NOT_OPEN",
                           details={"status": activity.status.value})
        if now < activity.starts_at:
            raise Conflict("活动开始后才能签到", code="POINTS_ACTIVITY_NOT_STARTED")
        item.attend(activity.points, principal.actor, now)
        uow.points_enrolments.save(item)
        book(uow, reference=f"points-activity:{item.id}", kind="points_earn", source=ISSUER,
             target=elder_points(item.elder_id), points=activity.points, at=now, memo=f"参加活动：{activity.title}")
        uow.commit()
        return _view(uow, item)


def get_enrolment(rt: Runtime, principal: Principal, ident: str) -> EnrolmentView:
    with rt.uow() as uow:
        item = load(uow, principal, Operation.POINTS_READ, uow.points_enrolments.get(ident), ENROLMENT_KIND, ident)
        return _view(uow, item)


def list_enrolments(rt: Runtime, principal: Principal, page: PageRequest, *, activity_id: str | None = None,
                    elder_id: str | None = None, status: EnrolmentStatus | None = None) -> Page[EnrolmentView]:
    """P-08 (活动记录): the elder's side sees its elders' enrolments; institutions those of their activities."""
    vis = scope_visibility(principal, Operation.POINTS_READ)
    with rt.uow() as uow:
        found = uow.points_enrolments.list(vis, page, activity_id=activity_id, elder_id=elder_id, status=status)
        names = elder_names(uow, [e.elder_id for e in found.items])
        return found.map(lambda e: EnrolmentView.of(e, names.get(e.elder_id)))


def enrolment_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        load(uow, principal, Operation.POINTS_READ, uow.points_enrolments.get(ident), ENROLMENT_KIND, ident)
        return events_of(uow, ident)
