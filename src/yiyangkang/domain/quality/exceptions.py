"""The exception-rule engine (异常规则, HB-10, A-08): one engine, several order kinds.

Each kind of order describes itself as a `Timeline`; `judge` says which rules it has broken as of now,
against thresholds the platform configures. The scan that raises `ExceptionOrder`s is re-runnable: one
exception per order and kind, however often it runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle


class ExceptionKind(StrEnum):
    DISPATCH_TIMEOUT = "dispatch_timeout"  # 派单超时
    LATE_ARRIVAL = "late_arrival"  # 迟到
    OVERTIME = "overtime"  # 超时服务
    TOO_SHORT = "too_short"  # 服务时长不足
    SHIPPING_TIMEOUT = "shipping_timeout"  # 发货超时


EXCEPTION_KIND_LABELS = {
    ExceptionKind.DISPATCH_TIMEOUT: "派单超时", ExceptionKind.LATE_ARRIVAL: "迟到",
    ExceptionKind.OVERTIME: "超时服务", ExceptionKind.TOO_SHORT: "服务时长不足",
    ExceptionKind.SHIPPING_TIMEOUT: "发货超时",
}


class ReviewStatus(StrEnum):
    PENDING = "pending"  # 待审核
    ACCEPTED = "accepted"  # 确认异常
    REJECTED = "rejected"  # 驳回（非异常）


REVIEW_STATUS_LABELS = {ReviewStatus.PENDING: "待审核", ReviewStatus.ACCEPTED: "确认异常",
                        ReviewStatus.REJECTED: "不予认定"}
EXCEPTION_LIFECYCLE = Lifecycle.of("order_exception", {
    ReviewStatus.PENDING: {ReviewStatus.ACCEPTED, ReviewStatus.REJECTED},
})


class Thresholds(Protocol):
    """The platform's limits (minutes unless named otherwise)."""

    @property
    def dispatch_timeout_minutes(self) -> int: ...

    @property
    def late_arrival_minutes(self) -> int: ...

    @property
    def overtime_minutes(self) -> int: ...

    @property
    def too_short_percent(self) -> int: ...


class ShippingThresholds(Thresholds, Protocol):
    @property
    def shipping_timeout_hours(self) -> int: ...


@frozen(kw_only=True)
class Timeline:
    """What the rules look at in one order. `None` means "has not happened (yet)"."""

    cancelled: bool = False
    created_at: datetime  # placed (or paid: the moment the institution could act)
    # Visits (home-bed or mall home visits): dispatch, arrival, duration.
    dispatched: bool = False  # whether the order is judged on dispatch and arrival at all
    scheduled_at: datetime | None = None  # appointed time
    first_dispatched_at: datetime | None = None
    awaiting_dispatch: bool = False  # nobody assigned now
    awaiting_arrival: bool = False  # not started now
    started_at: datetime | None = None
    completed_at: datetime | None = None
    standard_minutes: int | None = None
    # Parcels: shipping.
    shipped: bool = False  # whether the order is judged on shipping at all
    shipped_at: datetime | None = None


@frozen
class Finding:
    kind: ExceptionKind
    detail: str  # for people: what was measured against what


ADVANCE_DISPATCH = timedelta(hours=24)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def dispatch_deadline(line: Timeline, rules: Thresholds) -> datetime:
    """When the order must have a worker: the timeout after it was placed, or, for a booking made well
    ahead, a day before the visit (nobody dispatches next week's visits within the hour)."""
    due = line.created_at + timedelta(minutes=rules.dispatch_timeout_minutes)
    return max(due, line.scheduled_at - ADVANCE_DISPATCH) if line.scheduled_at else due


def judge(line: Timeline, rules: Thresholds, now: datetime) -> list[Finding]:
    """Which rules the order has broken as of `now` (pure: the scan decides what is new)."""
    if line.cancelled:
        return []
    found: list[Finding] = []
    if line.dispatched:
        found += _dispatch_and_arrival(line, rules, now)
    if line.started_at is not None and line.completed_at is not None and line.standard_minutes:
        found += _duration(_minutes(line.completed_at - line.started_at), line.standard_minutes, rules)
    if line.shipped:
        found += _shipping(line, rules, now)
    return found


def _dispatch_and_arrival(line: Timeline, rules: Thresholds, now: datetime) -> list[Finding]:
    found: list[Finding] = []
    dispatched = line.first_dispatched_at or (now if line.awaiting_dispatch else None)
    if dispatched is not None and dispatched > dispatch_deadline(line, rules):
        waited = _minutes(dispatched - line.created_at)
        found.append(Finding(ExceptionKind.DISPATCH_TIMEOUT,
                             f"下单后{waited}分钟才派单（阈值{rules.dispatch_timeout_minutes}分钟）"
                             if line.first_dispatched_at else
                             f"下单后{waited}分钟仍未派单（阈值{rules.dispatch_timeout_minutes}分钟）"))
    arrived = line.started_at or (now if line.awaiting_arrival else None)
    if (arrived is not None and line.scheduled_at is not None
            and arrived - line.scheduled_at > timedelta(minutes=rules.late_arrival_minutes)):
        late = _minutes(arrived - line.scheduled_at)
        found.append(Finding(ExceptionKind.LATE_ARRIVAL,
                             f"{'晚到' if line.started_at else '已超过预约时间'}{late}分钟"
                             f"（阈值{rules.late_arrival_minutes}分钟）"))
    return found


def _duration(duration: int, standard: int, rules: Thresholds) -> list[Finding]:
    found: list[Finding] = []
    if duration > standard + rules.overtime_minutes:
        found.append(Finding(ExceptionKind.OVERTIME,
                             f"服务{duration}分钟，标准{standard}分钟，超出{rules.overtime_minutes}分钟以上"))
    if duration * 100 < standard * rules.too_short_percent:
        found.append(Finding(ExceptionKind.TOO_SHORT,
                             f"服务{duration}分钟，不足标准{standard}分钟的{rules.too_short_percent}%"))
    return found


def _shipping(line: Timeline, rules: Thresholds, now: datetime) -> list[Finding]:
    hours = getattr(rules, "shipping_timeout_hours", None)
    if hours is None:
        return []
    shipped = line.shipped_at or now
    if shipped - line.created_at <= timedelta(hours=hours):
        return []
    waited = int((shipped - line.created_at).total_seconds() // 3600)
    return [Finding(ExceptionKind.SHIPPING_TIMEOUT,
                    f"付款后{waited}小时{'才发货' if line.shipped_at else '仍未发货'}（阈值{hours}小时）")]


@define(slots=False, kw_only=True)
class ExceptionOrder(Aggregate):
    """异常单: one broken rule of one order, awaiting the institution's review."""

    kind = "order_exception"

    order_id: str
    order_number: str
    institution_id: str
    elder_id: str
    staff_id: str | None
    type: ExceptionKind
    detail: str
    detected_at: datetime
    status: ReviewStatus = ReviewStatus.PENDING
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"order_number": self.order_number, "type": self.type.value, "detail": self.detail}

    def review(self, accept: bool, note: str, actor: Actor, at: datetime) -> None:
        target = ReviewStatus.ACCEPTED if accept else ReviewStatus.REJECTED
        EXCEPTION_LIFECYCLE.move(self, target, actor=actor, at=at, reason=note, event="reviewed")
        self.review_note, self.reviewed_by, self.reviewed_at = note, actor.id, at
