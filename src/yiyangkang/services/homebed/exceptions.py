"""Exception orders (异常单, HB-10, A-08): the scan that raises them, safe to re-run, and their review."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from attrs import frozen

from yiyangkang.domain.homebed.config import BusinessSettings
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ExceptionOrder, ReviewStatus, findings
from yiyangkang.domain.homebed.orders import HomeBedOrder
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.common import current_settings, load_owned
from yiyangkang.services.homebed.views import ExceptionView
from yiyangkang.services.runtime import Runtime

KIND = "异常单"
SCANNER = Actor.system("homebed-exception-scan")
LOOKBACK = timedelta(days=7)  # finished orders are judged for a week after they end
BATCH = 500


@frozen
class ScanReport:
    examined: int
    raised: int
    by_type: dict[str, int]


def scan_exceptions(rt: Runtime, progress: Callable[[int], None] | None = None) -> ScanReport:
    """Raise an exception order for every broken rule not raised before (one per order and kind), so a
    second run changes nothing. Thresholds come from the business settings."""
    now = rt.clock.now()
    examined = raised = 0
    by_type: dict[str, int] = {}
    with rt.uow() as uow:
        rules = current_settings(uow, now)
        batch = []
        for order in uow.homebed_orders.scan_candidates(now - LOOKBACK):
            batch.append(order)
            if len(batch) >= BATCH:
                raised += _raise(rt, uow, batch, rules, now, by_type)
                examined += len(batch)
                batch = []
                if progress:
                    progress(examined)
        raised += _raise(rt, uow, batch, rules, now, by_type)
        examined += len(batch)
        uow.commit()
    return ScanReport(examined, raised, by_type)


def _raise(rt: Runtime, uow: UnitOfWork, orders: list[HomeBedOrder], rules: BusinessSettings, now: datetime,
           by_type: dict[str, int]) -> int:
    known = uow.homebed_exceptions.raised_for(o.id for o in orders)
    fresh = 0
    for order in orders:
        for finding in findings(order, rules, now):
            if (order.id, finding.kind) in known:
                continue
            item = ExceptionOrder(
                id=rt.ids.new_id(), order_id=order.id, order_number=order.number, institution_id=order.institution_id,
                elder_id=order.elder_id, staff_id=order.staff_id, type=finding.kind, detail=finding.detail,
                detected_at=now, created_at=now,
            )
            item.record_created(SCANNER, now, name="raised")
            uow.homebed_exceptions.add(item)
            by_type[finding.kind.value] = by_type.get(finding.kind.value, 0) + 1
            fresh += 1
    return fresh


def review_exception(rt: Runtime, principal: Principal, ident: str, *, accept: bool, note: str = "",
                     expected_version: int | None = None) -> ExceptionView:
    """审核: accept (a real exception) or reject (not the worker's fault), with a note."""
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.HOMEBED_EXCEPTION_REVIEW, uow.homebed_exceptions.lock(ident),
                          KIND, ident)
        item.expect_version(expected_version)
        item.review(accept, note.strip()[:500], principal.actor, rt.clock.now())
        uow.homebed_exceptions.save(item)
        uow.commit()
        return ExceptionView.of(item)


def get_exception(rt: Runtime, principal: Principal, ident: str) -> ExceptionView:
    with rt.uow() as uow:
        return ExceptionView.of(load_owned(uow, principal, Operation.HOMEBED_EXCEPTION_READ,
                                           uow.homebed_exceptions.get(ident), KIND, ident))


def list_exceptions(
    rt: Runtime, principal: Principal, page: PageRequest, *, status: ReviewStatus | None = None,
    type: ExceptionKind | None = None, institution_id: str | None = None, order_id: str | None = None,
) -> Page[ExceptionView]:
    vis = visibility(principal, Operation.HOMEBED_EXCEPTION_READ)
    with rt.uow() as uow:
        return uow.homebed_exceptions.list(vis, page, status=status, type=type, institution_id=institution_id,
                                           order_id=order_id).map(ExceptionView.of)
