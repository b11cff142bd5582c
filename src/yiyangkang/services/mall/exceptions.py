"""Exception orders of the mall (异常单, A-08): paid home visits (dispatch timeout, late arrival, overtime,
too short) and deliveries (shipping timeout), through the engine the home bed uses (`services.quality`),
judged against the platform's mall settings."""

from __future__ import annotations

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.mall.orders import SubOrder
from yiyangkang.services.mall.common import mall_settings
from yiyangkang.services.quality import Desk, ExceptionSource

MALL: ExceptionSource[SubOrder] = ExceptionSource(
    name="mall", read_op=Operation.MALL_EXCEPTION_READ, review_op=Operation.MALL_EXCEPTION_REVIEW,
    exceptions=lambda uow: uow.mall_exceptions,
    candidates=lambda uow, since: uow.mall_orders.scan_candidates(since),
    thresholds=mall_settings, timeline=SubOrder.timeline,
)
DESK = Desk(MALL)
