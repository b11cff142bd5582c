"""Points activities (积分活动, M-07, P-08) and enrolments (活动报名).

An activity is drafted, published (elders see it and enrol within the enrolment window while seats are
left), then closed after it took place (enrolments never checked in are marked absent) or cancelled before
it starts (every enrolment is cancelled). Seats are a counter beside the document, taken by one conditional
update, so parallel enrolments never exceed the capacity. Attendance is checked by the institution once per
enrolment and earns the activity's points."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import Conflict, FieldError
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle

MAX_CAPACITY = 10_000
MAX_ACTIVITY_POINTS = 1_000
MAX_DURATION = timedelta(days=31)


class ActivityStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    PUBLISHED = "published"  # 已发布
    CLOSED = "closed"  # 已结束
    CANCELLED = "cancelled"  # 已取消


ACTIVITY_STATUS_LABELS = {ActivityStatus.DRAFT: "草稿", ActivityStatus.PUBLISHED: "已发布",
                          ActivityStatus.CLOSED: "已结束", ActivityStatus.CANCELLED: "已取消"}

ACTIVITY_LIFECYCLE: Lifecycle[ActivityStatus] = Lifecycle.of("points_activity", {
    ActivityStatus.DRAFT: {ActivityStatus.PUBLISHED, ActivityStatus.CANCELLED},
    ActivityStatus.PUBLISHED: {ActivityStatus.CLOSED, ActivityStatus.CANCELLED},
})


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"  # 已报名
    ATTENDED = "attended"  # 已签到（积分已发放）
    ABSENT = "absent"  # 缺席（活动结束时未签到）
    CANCELLED = "cancelled"  # 已取消


ENROLMENT_STATUS_LABELS = {EnrolmentStatus.ENROLLED: "已报名", EnrolmentStatus.ATTENDED: "已签到",
                           EnrolmentStatus.ABSENT: "缺席", EnrolmentStatus.CANCELLED: "已取消"}

ENROLMENT_LIFECYCLE: Lifecycle[EnrolmentStatus] = Lifecycle.of("points_enrolment", {
    EnrolmentStatus.ENROLLED: {EnrolmentStatus.ATTENDED, EnrolmentStatus.ABSENT, EnrolmentStatus.CANCELLED},
})


def schedule_problems(starts_at: datetime, ends_at: datetime, enrol_from: datetime,
                      enrol_until: datetime) -> list[FieldError]:
    """What is wrong with an activity's times: the enrolment window opens before it closes, closes no later
    than the start, and the activity ends after it starts, within a month."""
    problems = []
    if not enrol_from < enrol_until:
        problems.append(FieldError("enrol_until", "报名截止时间应晚于报名开始时间", "INVALID_WINDOW"))
    if not enrol_until <= starts_at:
        problems.append(FieldError("enrol_until", "报名应在活动开始前截止", "INVALID_WINDOW"))
    if not starts_at < ends_at:
        problems.append(FieldError("ends_at", "活动结束时间应晚于开始时间", "INVALID_SCHEDULE"))
    elif ends_at - starts_at > MAX_DURATION:
        problems.append(FieldError("ends_at", "单次活动不能超过31天", "INVALID_SCHEDULE"))
    return problems


@define(slots=False, kw_only=True)
class PointsActivity(Aggregate):
    """积分活动: published by one institution; `enrolled` is the seat counter (kept beside the document)."""

    kind = "points_activity"

    institution_id: str
    title: str
    description: str = ""
    place: str
    starts_at: datetime
    ends_at: datetime
    enrol_from: datetime
    enrol_until: datetime
    capacity: int
    points: int  # earned per attendance
    status: ActivityStatus = ActivityStatus.DRAFT
    enrolled: int = 0
    created_by: str
    created_at: datetime
    cancel_reason: str = ""

    def snapshot(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description, "place": self.place,
                "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
                "enrol_from": self.enrol_from.isoformat(), "enrol_until": self.enrol_until.isoformat(),
                "capacity": self.capacity, "points": self.points}

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.enrolled, 0)

    def enrolment_open(self, at: datetime) -> bool:
        return self.status is ActivityStatus.PUBLISHED and self.enrol_from <= at <= self.enrol_until

    def edit(self, changes: dict[str, Any], actor: Actor, at: datetime) -> bool:
        """Only a draft changes: what elders enrolled for stays what it was."""
        if self.status is not ActivityStatus.DRAFT:
            raise Conflict("活动发布后不能修改", code="POINTS_ACTIVITY_NOT_DRAFT",
                           details={"status": self.status.value})
        return self.change(changes, actor, at)

    def publish(self, actor: Actor, at: datetime) -> None:
        if self.status is ActivityStatus.DRAFT and at >= self.enrol_until:
            raise Conflict("报名已截止，请先修改报名时间再发布", code="POINTS_ACTIVITY_WINDOW_PASSED")
        ACTIVITY_LIFECYCLE.move(self, ActivityStatus.PUBLISHED, actor=actor, at=at)

    def close(self, actor: Actor, at: datetime) -> None:
        """结束: after it started; attendance can no longer be checked."""
        if self.status is ActivityStatus.PUBLISHED and at < self.starts_at:
            raise Conflict("活动开始后才能结束", code="POINTS_ACTIVITY_NOT_STARTED")
        ACTIVITY_LIFECYCLE.move(self, ActivityStatus.CLOSED, actor=actor, at=at)

    def cancel(self, reason: str, actor: Actor, at: datetime) -> None:
        """取消: before it starts (nobody has earned its points yet)."""
        if self.status is ActivityStatus.PUBLISHED and at >= self.starts_at:
            raise Conflict("活动已开始，不能取消", code="POINTS_ACTIVITY_STARTED")
        ACTIVITY_LIFECYCLE.move(self, ActivityStatus.CANCELLED, actor=actor, at=at, reason=reason)
        self.cancel_reason = reason


@define(slots=False, kw_only=True)
class Enrolment(Aggregate):
    """活动报名: one elder in one activity (at most one not cancelled), owned by the activity's institution."""

    kind = "points_enrolment"

    activity_id: str
    activity_title: str
    institution_id: str
    elder_id: str
    status: EnrolmentStatus = EnrolmentStatus.ENROLLED
    enrolled_by: str  # the account that enrolled the elder
    created_at: datetime
    points_earned: int = 0
    attended_at: datetime | None = None
    attended_by: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""

    def attend(self, points: int, actor: Actor, at: datetime) -> None:
        """签到: once; the points are booked under this enrolment's id, so they are earned once."""
        ENROLMENT_LIFECYCLE.move(self, EnrolmentStatus.ATTENDED, actor=actor, at=at)
        self.points_earned, self.attended_at, self.attended_by = points, at, actor.id

    def mark_absent(self, actor: Actor, at: datetime) -> None:
        ENROLMENT_LIFECYCLE.move(self, EnrolmentStatus.ABSENT, actor=actor, at=at)

    def cancel(self, reason: str, actor: Actor, at: datetime) -> None:
        ENROLMENT_LIFECYCLE.move(self, EnrolmentStatus.CANCELLED, actor=actor, at=at, reason=reason)
        self.cancelled_at, self.cancel_reason = at, reason
