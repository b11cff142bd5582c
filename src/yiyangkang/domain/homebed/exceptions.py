"""Exception orders (异常单, HB-10, A-08): orders that broke a service rule, raised by a re-runnable
scan and reviewed by the institution. One exception per order and kind, however often the scan runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.homebed.config import BusinessSettings
from yiyangkang.domain.homebed.orders import HomeBedOrder, OrderStatus
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle


class ExceptionKind(StrEnum):
    DISPATCH_TIMEOUT = "dispatch_timeout"  # 派单超时
    LATE_ARRIVAL = "late_arrival"  # 迟到
    OVERTIME = "overtime"  # 超时服务
    TOO_SHORT = "too_short"  # 服务时长不足


EXCEPTION_KIND_LABELS = {
    ExceptionKind.DISPATCH_TIMEOUT: "派单超时", ExceptionKind.LATE_ARRIVAL: "迟到",
    ExceptionKind.OVERTIME: "超时服务", ExceptionKind.TOO_SHORT: "服务时长不足",
}


class ReviewStatus(StrEnum):
    PENDING = "pending"  # 待审核
    ACCEPTED = "accepted"  # 确认异常
    REJECTED = "rejected"  # 驳回（非异常）


REVIEW_STATUS_LABELS = {ReviewStatus.PENDING: "待审核", ReviewStatus.ACCEPTED: "确认异常",
                        ReviewStatus.REJECTED: "不予认定"}
EXCEPTION_LIFECYCLE = Lifecycle.of("homebed_exception", {
    ReviewStatus.PENDING: {ReviewStatus.ACCEPTED, ReviewStatus.REJECTED},
})


@frozen
class Finding:
    kind: ExceptionKind
    detail: str  # for people: what was measured against what


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


ADVANCE_DISPATCH = timedelta(hours=24)


def dispatch_deadline(order: HomeBedOrder, rules: BusinessSettings) -> datetime:
    """When the order must have a worker: the timeout after it was placed, or, for a booking made well
    ahead, a day before the visit (nobody dispatches next week's visits within the hour)."""
    return max(order.created_at + timedelta(minutes=rules.dispatch_timeout_minutes),
               order.scheduled_at - ADVANCE_DISPATCH)


def findings(order: HomeBedOrder, rules: BusinessSettings, now: datetime) -> list[Finding]:
    """Which rules `order` has broken as of `now` (pure: the scan decides what is new)."""
    found: list[Finding] = []
    if order.status is OrderStatus.CANCELLED:
        return found
    if not order.supplementary:
        dispatched = order.first_dispatched_at or (now if order.status is OrderStatus.PENDING_DISPATCH else None)
        if dispatched is not None and dispatched > dispatch_deadline(order, rules):
            waited = _minutes(dispatched - order.created_at)
            found.append(Finding(ExceptionKind.DISPATCH_TIMEOUT,
                                 f"下单后{waited}分钟才派单（阈值{rules.dispatch_timeout_minutes}分钟）"
                                 if order.first_dispatched_at else
                                 f"下单后{waited}分钟仍未派单（阈值{rules.dispatch_timeout_minutes}分钟）"))
        arrived = order.started_at or (now if order.status in (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED)
                                       else None)
        if arrived is not None and arrived - order.scheduled_at > timedelta(minutes=rules.late_arrival_minutes):
            late = _minutes(arrived - order.scheduled_at)
            found.append(Finding(ExceptionKind.LATE_ARRIVAL,
                                 f"{'晚到' if order.started_at else '已超过预约时间'}{late}分钟"
                                 f"（阈值{rules.late_arrival_minutes}分钟）"))
    duration = order.duration_minutes
    if order.status is OrderStatus.COMPLETED and duration is not None:
        if duration > order.standard_minutes + rules.overtime_minutes:
            found.append(Finding(ExceptionKind.OVERTIME,
                                 f"服务{duration}分钟，标准{order.standard_minutes}分钟，超出{rules.overtime_minutes}分钟以上"))
        if duration * 100 < order.standard_minutes * rules.too_short_percent:
            found.append(Finding(ExceptionKind.TOO_SHORT,
                                 f"服务{duration}分钟，不足标准{order.standard_minutes}分钟的{rules.too_short_percent}%"))
    return found


@define(slots=False, kw_only=True)
class ExceptionOrder(Aggregate):
    """异常单: one broken rule of one order, awaiting the institution's review."""

    kind = "homebed_exception"

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
