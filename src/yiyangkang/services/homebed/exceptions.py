"""Exception orders of the home bed (异常单, HB-10): home-bed visits through the shared engine
(`services.quality`), judged against the home-bed business settings."""

from __future__ import annotations

from yiyangkang.domain.homebed.exceptions import timeline
from yiyangkang.domain.homebed.orders import HomeBedOrder
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.services.homebed.common import current_settings
from yiyangkang.services.quality import Desk, ExceptionSource, ScanReport

__all__ = ["DESK", "ScanReport", "get_exception", "list_exceptions", "review_exception", "scan_exceptions"]

HOMEBED: ExceptionSource[HomeBedOrder] = ExceptionSource(
    name="homebed", read_op=Operation.HOMEBED_EXCEPTION_READ, review_op=Operation.HOMEBED_EXCEPTION_REVIEW,
    exceptions=lambda uow: uow.homebed_exceptions,
    candidates=lambda uow, since: uow.homebed_orders.scan_candidates(since),
    thresholds=current_settings, timeline=timeline,
)
DESK = Desk(HOMEBED)
scan_exceptions, review_exception, get_exception, list_exceptions = DESK.scan, DESK.review, DESK.get, DESK.list
