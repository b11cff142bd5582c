"""Exception orders (异常单, HB-10, A-08) of every order kind, through one engine: the re-runnable scan that
raises each broken rule once per order, the institutions' review, the list and its export rows.

An `ExceptionSource` tells the engine where one order kind keeps its orders and exceptions, which
thresholds judge it, and how an order reads as a `Timeline`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any, Generic, Protocol, TypeVar

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.quality.exceptions import (
    EXCEPTION_KIND_LABELS,
    REVIEW_STATUS_LABELS,
    ExceptionKind,
    ExceptionOrder,
    ReviewStatus,
    Thresholds,
    Timeline,
    judge,
)
from yiyangkang.ports.homebed import ExceptionRepository
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import visibility
from yiyangkang.services.names import Names
from yiyangkang.services.objects import load_owned
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import ExceptionView

KIND = "异常单"
Rows = list[list[Any]]
LOOKBACK = timedelta(days=7)  # finished orders are judged for a week after they end
BATCH = 500


class Judged(Protocol):
    """What an order must offer to be judged and named in an exception."""

    @property
    def id(self) -> str: ...

    @property
    def number(self) -> str: ...

    @property
    def institution_id(self) -> str: ...

    @property
    def elder_id(self) -> str: ...

    @property
    def staff_id(self) -> str | None: ...


J = TypeVar("J", bound=Judged)


@frozen(kw_only=True)
class ExceptionSource(Generic[J]):
    name: str  # e.g. "homebed", "mall"
    read_op: Operation
    review_op: Operation
    exceptions: Callable[[UnitOfWork], ExceptionRepository]
    candidates: Callable[[UnitOfWork, datetime], Iterable[J]]
    thresholds: Callable[[UnitOfWork, datetime], Thresholds]
    timeline: Callable[[J], Timeline]


@frozen
class ScanReport:
    examined: int
    raised: int
    by_type: dict[str, int]


def scan(rt: Runtime, source: ExceptionSource[Any], progress: Callable[[int], None] | None = None) -> ScanReport:
    """Raise an exception order for every broken rule not raised before (one per order and kind), so a second
    run changes nothing."""
    now = rt.clock.now()
    actor = Actor.system(f"{source.name}-exception-scan")
    examined = raised = 0
    by_type: dict[str, int] = {}
    with rt.uow() as uow:
        rules = source.thresholds(uow, now)
        for batch in _batches(source.candidates(uow, now - LOOKBACK)):
            raised += _raise(rt, uow, source, batch, rules, now, actor, by_type)
            examined += len(batch)
            if progress:
                progress(examined)
        uow.commit()
    return ScanReport(examined, raised, by_type)


def _batches(items: Iterable[J]) -> Iterator[list[J]]:
    batch: list[J] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _raise(rt: Runtime, uow: UnitOfWork, source: ExceptionSource[Any], orders: list[Any], rules: Thresholds,
           now: datetime, actor: Actor, by_type: dict[str, int]) -> int:
    repo = source.exceptions(uow)
    known = repo.raised_for(o.id for o in orders)
    fresh = 0
    for order in orders:
        for finding in judge(source.timeline(order), rules, now):
            if (order.id, finding.kind) in known:
                continue
            item = ExceptionOrder(
                id=rt.ids.new_id(), order_id=order.id, order_number=order.number, institution_id=order.institution_id,
                elder_id=order.elder_id, staff_id=order.staff_id, type=finding.kind, detail=finding.detail,
                detected_at=now, created_at=now,
            )
            item.record_created(actor, now, name="raised")
            repo.add(item)
            by_type[finding.kind.value] = by_type.get(finding.kind.value, 0) + 1
            fresh += 1
    return fresh


def review(rt: Runtime, principal: Principal, source: ExceptionSource[Any], ident: str, *, accept: bool,
           note: str = "", expected_version: int | None = None) -> ExceptionOrder:
    """审核: accept (a real exception) or reject (not the worker's fault), with a note."""
    with rt.uow() as uow:
        repo = source.exceptions(uow)
        item = load_owned(uow, principal, source.review_op, repo.lock(ident), KIND, ident)
        item.expect_version(expected_version)
        item.review(accept, note.strip()[:500], principal.actor, rt.clock.now())
        repo.save(item)
        uow.commit()
        return item


def get(rt: Runtime, principal: Principal, source: ExceptionSource[Any], ident: str) -> ExceptionOrder:
    with rt.uow() as uow:
        return load_owned(uow, principal, source.read_op, source.exceptions(uow).get(ident), KIND, ident)


def find(rt: Runtime, principal: Principal, source: ExceptionSource[Any], page: PageRequest, *,
         status: ReviewStatus | None = None, type: ExceptionKind | None = None, institution_id: str | None = None,
         order_id: str | None = None) -> Page[ExceptionOrder]:
    vis = visibility(principal, source.read_op)
    with rt.uow() as uow:
        return source.exceptions(uow).list(vis, page, status=status, type=type, institution_id=institution_id,
                                           order_id=order_id)


EXPORT_HEADER = ["订单编号", "异常类型", "异常说明", "发现时间", "机构", "服务人员", "审核状态", "审核意见", "审核时间"]


def export_rows(rt: Runtime, principal: Principal, source: ExceptionSource[Any], *,
                status: ReviewStatus | None = None, type: ExceptionKind | None = None,
                institution_id: str | None = None) -> list[list[Any]]:
    """Every exception in the caller's scope as spreadsheet rows (Shanghai times), header first."""
    vis = visibility(principal, source.read_op)
    rows: list[list[Any]] = [EXPORT_HEADER]
    with rt.uow() as uow:
        repo, n = source.exceptions(uow), 1
        names = Names(uow)
        while True:
            page = repo.list(vis, PageRequest(n, 200), status=status, type=type, institution_id=institution_id)
            for e in page.items:
                rows.append([e.order_number, EXCEPTION_KIND_LABELS[e.type], e.detail, _local(e.detected_at),
                             names.institution(e.institution_id), names.staff(e.staff_id),
                             REVIEW_STATUS_LABELS[e.status], e.review_note, _local(e.reviewed_at)])
            if n * 200 >= page.total:
                return rows
            n += 1


def _local(at: datetime | None) -> str:
    return local_text(at) if at else ""




@frozen
class Desk:
    """The exception use cases of one order kind, bound to its source."""

    source: ExceptionSource[Any]

    def scan(self, rt: Runtime, progress: Callable[[int], None] | None = None) -> ScanReport:
        return scan(rt, self.source, progress)

    def review(self, rt: Runtime, principal: Principal, ident: str, *, accept: bool, note: str = "",
               expected_version: int | None = None) -> ExceptionView:
        return ExceptionView.of(review(rt, principal, self.source, ident, accept=accept, note=note,
                                       expected_version=expected_version))

    def get(self, rt: Runtime, principal: Principal, ident: str) -> ExceptionView:
        return ExceptionView.of(get(rt, principal, self.source, ident))

    def list(self, rt: Runtime, principal: Principal, page: PageRequest, *, status: ReviewStatus | None = None,
             type: ExceptionKind | None = None, institution_id: str | None = None,
             order_id: str | None = None) -> Page[ExceptionView]:
        return find(rt, principal, self.source, page, status=status, type=type, institution_id=institution_id,
                    order_id=order_id).map(ExceptionView.of)

    def export_rows(self, rt: Runtime, principal: Principal, *, status: ReviewStatus | None = None,
                    type: ExceptionKind | None = None, institution_id: str | None = None) -> Rows:
        return export_rows(rt, principal, self.source, status=status, type=type, institution_id=institution_id)
