"""Exception orders of the home bed (异常单, HB-10): a home-bed visit as the shared rule engine sees it
(`domain.quality.exceptions`), judged against the home-bed business settings."""

from __future__ import annotations

from datetime import datetime

from yiyangkang.domain.homebed.config import BusinessSettings
from yiyangkang.domain.homebed.orders import HomeBedOrder, OrderStatus
from yiyangkang.domain.quality.exceptions import (
    EXCEPTION_KIND_LABELS,
    REVIEW_STATUS_LABELS,
    ExceptionKind,
    ExceptionOrder,
    Finding,
    ReviewStatus,
    Timeline,
    judge,
)

__all__ = ["EXCEPTION_KIND_LABELS", "REVIEW_STATUS_LABELS", "ExceptionKind", "ExceptionOrder", "Finding",
           "ReviewStatus", "findings", "timeline"]


def timeline(order: HomeBedOrder) -> Timeline:
    """A supplementary record (补录) had no dispatch or arrival to judge: only its duration counts."""
    completed = order.status is OrderStatus.COMPLETED
    return Timeline(
        cancelled=order.status is OrderStatus.CANCELLED, created_at=order.created_at,
        dispatched=not order.supplementary, scheduled_at=order.scheduled_at,
        first_dispatched_at=order.first_dispatched_at,
        awaiting_dispatch=order.status is OrderStatus.PENDING_DISPATCH,
        awaiting_arrival=order.status in (OrderStatus.PENDING_DISPATCH, OrderStatus.DISPATCHED),
        started_at=order.started_at if completed or not order.supplementary else None,
        completed_at=order.completed_at if completed else None, standard_minutes=order.standard_minutes,
    )


def findings(order: HomeBedOrder, rules: BusinessSettings, now: datetime) -> list[Finding]:
    """Which rules `order` has broken as of `now` (pure: the scan decides what is new)."""
    return judge(timeline(order), rules, now)
