"""Fulfilment of sub-orders (A-05, P-01/P-02): dispatch and re-dispatch of home visits, the worker's
start (with the elder's verification code), return (返单) and completion, supplementary records (补录);
verification (核销) in store and at pickup; shipping, logistics edits and delivery confirmation;
cancellation of a paid sub-order not yet started (refunded at once)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from attrs import frozen

from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.orders import SubOrder, SubStatus
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, owner_target, visibility
from yiyangkang.services.institutions import check_location
from yiyangkang.services.mall.checkout import refund_money
from yiyangkang.services.mall.common import code_hash, load_order, mall_settings, not_found_code, parse_code
from yiyangkang.services.mall.views import SubOrderView
from yiyangkang.services.objects import events_of
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.settlement.split import split_completed
from yiyangkang.services.staff import check_worker
from yiyangkang.services.views import AuditEventView

ELDER_SIDE = (Role.ELDER, Role.FAMILY)


def view(principal: Principal, order: SubOrder, uow: UnitOfWork | None = None) -> SubOrderView:
    """The address and phone in full only in a detail (`uow` given) for the elder's side and for those who
    fulfil the order (a worker must find the door); auditors and lists see them masked. The verification
    code only ever reaches the elder's side."""
    elder_side = principal.role in ELDER_SIDE
    reveal = uow is not None and (elder_side or allows(
        principal, Operation.MALL_ORDER_FULFIL, owner_target(uow, order.institution_id, order.elder_id)))
    return SubOrderView.of(order, reveal=reveal, show_code=elder_side)


def list_orders(rt: Runtime, principal: Principal, page: PageRequest, *, goods: bool | None = None,
                status: SubStatus | None = None, fulfilment: Fulfilment | None = None,
                institution_id: str | None = None, elder_id: str | None = None, mine: bool = False,
                keyword: str | None = None) -> Page[SubOrderView]:
    """P-01 (services) / P-02 (goods) by status for the elder's side; A-05 for institutions; `mine`: the
    home visits dispatched to the calling worker."""
    vis = visibility(principal, Operation.MALL_ORDER_READ)
    with rt.uow() as uow:
        found = uow.mall_orders.list(vis, page, status=status, fulfilment=fulfilment, goods=goods,
                                     institution_id=institution_id, elder_id=elder_id, keyword=keyword,
                                     staff_id=(principal.staff_id or "\x00") if mine else None)
        return found.map(lambda o: view(principal, o))


def get_order(rt: Runtime, principal: Principal, ident: str) -> SubOrderView:
    with rt.uow() as uow:
        return view(principal, load_order(uow, principal, Operation.MALL_ORDER_READ, ident), uow)


def order_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        load_order(uow, principal, Operation.MALL_ORDER_READ, ident)
        return events_of(uow, ident)


def _act(rt: Runtime, principal: Principal, op: Operation, ident: str,
         action: Callable[[UnitOfWork, SubOrder, datetime], None], expected_version: int | None = None,
         *, buyer_may: bool = False) -> SubOrderView:
    """One command on one sub-order: load it locked and in scope, act, save, commit."""
    with rt.uow() as uow:
        uow.write_first()
        order = load_order(uow, principal, op, ident, lock=True, buyer_may=buyer_may)
        order.expect_version(expected_version)
        action(uow, order, rt.clock.now())
        split_completed(rt, uow, order)  # a completed order is shared with its suppliers and the platform
        uow.mall_orders.save(order)
        uow.commit()
        return view(principal, order, uow)


def _location(lng: float | None, lat: float | None) -> GeoPoint | None:
    checks = Checks()
    point = check_location(checks, lng, lat)
    checks.done()
    return point


def _reason(text: str, label: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ValidationFailed([FieldError("reason", f"请填写{label}", "REQUIRED")])
    return cleaned[:200]


def dispatch(rt: Runtime, principal: Principal, ident: str, staff_id: str,
             expected_version: int | None = None) -> SubOrderView:
    """派单 a home visit to a worker of the selling institution, or 改派 it before it starts."""
    def act(uow: UnitOfWork, order: SubOrder, now: datetime) -> None:
        if principal.role is Role.STAFF and order.status is SubStatus.DISPATCHED and order.staff_id != staff_id:
            raise PermissionDenied("已派单的订单须由机构管理员改派", code="MALL_REDISPATCH_BY_ADMIN")
        checks = Checks()
        check_worker(uow, checks, staff_id, order.institution_id)
        checks.done()
        order.dispatch(staff_id, principal.actor, now)

    return _act(rt, principal, Operation.MALL_ORDER_FULFIL, ident, act, expected_version)


def return_order(rt: Runtime, principal: Principal, ident: str, reason: str) -> SubOrderView:
    """返单 by the assigned worker: the visit goes back to the dispatch pool."""
    why = _reason(reason, "返单原因")
    return _act(rt, principal, Operation.MALL_ORDER_SERVE, ident,
                lambda _u, order, now: order.return_to_pool(principal.staff_id, why, principal.actor, now))


def start_visit(rt: Runtime, principal: Principal, ident: str, code: str, lng: float | None = None,
                lat: float | None = None) -> SubOrderView:
    """开始服务 at the door: the worker enters the elder's verification code (上门核销) and checks in."""
    digits, point = parse_code(code), _location(lng, lat)

    def act(_u: UnitOfWork, order: SubOrder, now: datetime) -> None:
        if principal.staff_id is None or principal.staff_id != order.staff_id:  # before the code: no oracle
            raise PermissionDenied("只有被派单的服务人员可以操作该订单", code="MALL_ORDER_NOT_YOURS")
        if order.code_hash != code_hash(rt, digits):
            raise ValidationFailed([FieldError("code", "核销码不正确", "WRONG_CODE")])
        order.start(principal.staff_id, point, principal.actor, now)

    return _act(rt, principal, Operation.MALL_ORDER_SERVE, ident, act)


def complete_visit(rt: Runtime, principal: Principal, ident: str, record: str, lng: float | None = None,
                   lat: float | None = None) -> SubOrderView:
    """完成服务 (签出) with the service record."""
    point = _location(lng, lat)
    text = record.strip()[:2000]
    return _act(rt, principal, Operation.MALL_ORDER_SERVE, ident,
                lambda _u, order, now: order.complete(principal.staff_id, text, point, principal.actor, now))


def supplement(rt: Runtime, principal: Principal, ident: str, record: str) -> SubOrderView:
    """补录: add to a served order's record afterwards (the history keeps who and when)."""
    text = _reason(record, "补录内容")
    return _act(rt, principal, Operation.MALL_ORDER_FULFIL, ident,
                lambda _u, order, now: order.supplement(text, principal.actor, now))


def find_by_code(rt: Runtime, principal: Principal, code: str) -> SubOrderView:
    """What a code will verify, before verifying it (staff scan first, then confirm)."""
    digits = parse_code(code)
    with rt.uow() as uow:
        return view(principal, _coded(rt, uow, principal, digits, lock=False), uow)


def _coded(rt: Runtime, uow: UnitOfWork, principal: Principal, digits: str, *, lock: bool) -> SubOrder:
    order = uow.mall_orders.by_code(code_hash(rt, digits), lock=lock)
    # Another institution's code is answered like a code that does not exist.
    if order is None or not allows(principal, Operation.MALL_ORDER_FULFIL,
                                   owner_target(uow, order.institution_id, order.elder_id)):
        raise not_found_code()
    return order


def verify(rt: Runtime, principal: Principal, code: str, units: dict[int, int] | None = None) -> SubOrderView:
    """核销 in store or at pickup: all open units, or the given units per line (a course of sessions is
    verified one visit at a time)."""
    digits = parse_code(code)
    with rt.uow() as uow:
        uow.write_first()
        order = _coded(rt, uow, principal, digits, lock=True)
        order.verify(units, principal.actor, rt.clock.now())
        split_completed(rt, uow, order)
        uow.mall_orders.save(order)
        uow.commit()
        return view(principal, order, uow)


@frozen(kw_only=True)
class ShipForm:
    carrier: str
    tracking_no: str
    units: dict[int, int] | None = None  # line number → units; None: everything still open


def _logistics(carrier: str, tracking_no: str) -> tuple[str, str]:
    checks = Checks()
    c = checks.text("carrier", carrier, label="承运商", max_len=30)
    t = checks.text("tracking_no", tracking_no, label="运单号", max_len=40)
    checks.require("tracking_no", not t or t.replace("-", "").isalnum(), "运单号只能包含字母和数字", "INVALID")
    checks.done()
    return c or "", t or ""


def ship(rt: Runtime, principal: Principal, ident: str, form: ShipForm) -> SubOrderView:
    """发货: part or all of the goods, with a carrier and tracking number."""
    carrier, tracking = _logistics(form.carrier, form.tracking_no)
    return _act(rt, principal, Operation.MALL_ORDER_FULFIL, ident,
                lambda _u, order, now: order.ship(carrier, tracking, form.units, principal.actor, now))


def edit_logistics(rt: Runtime, principal: Principal, ident: str, index: int, carrier: str,
                   tracking_no: str) -> SubOrderView:
    c, t = _logistics(carrier, tracking_no)
    return _act(rt, principal, Operation.MALL_ORDER_FULFIL, ident,
                lambda _u, order, now: order.edit_logistics(index, c, t, principal.actor, now))


def confirm_delivery(rt: Runtime, principal: Principal, ident: str) -> SubOrderView:
    """确认收货 by the elder's side (or by the institution when the elder confirms by phone)."""
    op = Operation.MALL_ORDER_CANCEL if principal.role in ELDER_SIDE else Operation.MALL_ORDER_FULFIL
    return _act(rt, principal, op, ident, lambda _u, order, now: order.confirm_delivery(principal.actor, now),
                buyer_may=True)


def cancel_order(rt: Runtime, principal: Principal, ident: str, reason: str) -> SubOrderView:
    """取消 a paid sub-order not yet started: refunded in full at once, stock back. The elder's side is
    bound by the cancellation deadline before a home visit; the institution (which cannot serve) is not."""
    why = _reason(reason, "取消原因")

    def act(uow: UnitOfWork, order: SubOrder, now: datetime) -> None:
        if order.status is SubStatus.PENDING_PAYMENT:
            raise ValidationFailed([FieldError("id", "待付款的订单请整单取消", "UNPAID")])
        seller = allows(principal, Operation.MALL_ORDER_FULFIL, owner_target(uow, order.institution_id, order.elder_id))
        deadline = 0 if seller else mall_settings(uow, now).cancel_deadline_minutes
        order.ensure_cancellable(now, deadline)
        units = {ln.line_no: ln.quantity - ln.cancelled for ln in order.lines}
        left = {ln.line_no: ln.paid - ln.refunded for ln in order.lines}  # what each line gives back
        amount = order.cancel_paid(why, principal.actor, now)
        if order.fulfilment.is_goods:
            for ln in order.lines:
                if units[ln.line_no]:
                    uow.products.put_stock(ln.product_id, units[ln.line_no])
        if amount.fen:
            refund_money(rt, uow, order, left, f"{order.number}C", why)

    return _act(rt, principal, Operation.MALL_ORDER_CANCEL, ident, act, buyer_may=True)
