"""Home-bed service orders (家床服务订单, HB-10/HB-11, S-01…S-03, S-06): place on behalf, dispatch and
re-dispatch, return, start, complete, cancel; supplementary records and their confirmation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from attrs import frozen

from yiyangkang.domain.homebed.contracts import Contract
from yiyangkang.domain.homebed.orders import HomeBedOrder, OrderStatus
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import business_date
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.common import check_worker, current_settings, events_of, load_owned, next_number, today
from yiyangkang.services.homebed.contracts import SYSTEM, load_contract
from yiyangkang.services.homebed.views import OrderView
from yiyangkang.services.institutions import check_location
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

KIND = "家床订单"
MAX_AHEAD = timedelta(days=90)
RECORD_WINDOW = timedelta(days=90)  # a visit is entered afterwards within this window


@frozen(kw_only=True)
class OrderForm:
    contract_id: str
    service_item_id: str
    scheduled_at: datetime
    note: str | None = None


@frozen(kw_only=True)
class RecordForm:
    """补录: a visit done off-system, with who did it and when."""

    contract_id: str
    service_item_id: str
    staff_id: str
    started_at: datetime
    completed_at: datetime
    note: str | None = None


def _load(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = True) -> HomeBedOrder:
    item = uow.homebed_orders.lock(ident) if lock else uow.homebed_orders.get(ident)
    return load_owned(uow, principal, op, item, KIND, ident)


def _priced(uow: UnitOfWork, checks: Checks, contract: Contract, service_item_id: str) -> dict[str, object]:
    """The plan line's item with its price and the contract's subsidy for it, fixed now."""
    item = uow.service_items.get(service_item_id)
    if contract.plan_line(service_item_id) is None or item is None:
        checks.fail("service_item_id", "该服务项目不在签约的服务计划内", "NOT_IN_PLAN")
        return {}
    if not checks.require("service_item_id", item.active, "该服务项目已停用", "INACTIVE_SERVICE_ITEM"):
        return {}
    subsidy_type = uow.subsidy_types.get(contract.terms.subsidy_type_id) if contract.terms.subsidy_type_id else None
    # A subsidy the operator stopped pays nothing on new orders.
    paying = subsidy_type is not None and subsidy_type.active and item.subsidy_eligible
    subsidy = subsidy_type.subsidy_for(item.price) if paying and subsidy_type else Money.zero()
    return {
        "service_item_id": item.id, "item_name": item.name, "standard_minutes": item.standard_minutes,
        "price": item.price, "subsidy": subsidy, "self_pay": item.price - subsidy,
        "subsidy_type_id": contract.terms.subsidy_type_id,
    }


def _new_order(uow: UnitOfWork, rt: Runtime, principal: Principal, contract: Contract, values: dict[str, object],
               **state: object) -> HomeBedOrder:
    now = rt.clock.now()
    order = HomeBedOrder(
        id=rt.ids.new_id(), number=next_number(uow, NumberKind.ORDER, now), institution_id=contract.institution_id,
        elder_id=contract.elder_id, contract_id=contract.id, region_code=contract.region_code,
        placed_by=principal.account_id, created_at=now, **values, **state,  # type: ignore[arg-type]
    )
    order.record_created(principal.actor, now, name="recorded" if order.supplementary else "placed")
    uow.homebed_orders.add(order)
    return order


def place_order(rt: Runtime, principal: Principal, form: OrderForm) -> OrderView:
    """代下单 for an elder whose contract is active (生效中), for an item of its service plan."""
    with rt.uow() as uow:
        # The contract row is held so that a termination cannot slip between the check and the insert.
        contract = load_contract(uow, principal, Operation.HOMEBED_ORDER_PLACE, form.contract_id, lock=True)
        now = rt.clock.now()
        if contract.roll(today(rt), SYSTEM, now):
            uow.contracts.save(contract)
        contract.ensure_accepts_orders()
        checks = Checks()
        values = _priced(uow, checks, contract, form.service_item_id)
        note = checks.text("note", form.note, label="备注", max_len=200, required=False)
        at = form.scheduled_at
        if checks.require("scheduled_at", now - timedelta(hours=1) <= at <= now + MAX_AHEAD,
                          "预约时间应在当前时间至90天内", "OUT_OF_RANGE"):
            checks.require("scheduled_at", business_date(at) <= contract.terms.expiry_date,
                           "预约时间不能晚于签约到期日", "AFTER_EXPIRY")
        checks.done()
        order = _new_order(uow, rt, principal, contract, values, scheduled_at=at, remark=note or "",
                           status=OrderStatus.PENDING_DISPATCH)
        uow.commit()
        return OrderView.of(order)


def dispatch_order(rt: Runtime, principal: Principal, ident: str, staff_id: str,
                   expected_version: int | None = None) -> OrderView:
    """派单, or 改派 while the order waits for service."""
    with rt.uow() as uow:
        order = _load(uow, principal, Operation.HOMEBED_ORDER_DISPATCH, ident)
        order.expect_version(expected_version)
        if principal.role is Role.STAFF and order.status is OrderStatus.DISPATCHED and order.staff_id != staff_id:
            # S-03: staff dispatch the unassigned pool; taking a colleague's order away is the admin's call.
            raise PermissionDenied("已派单的订单须由机构管理员改派", code="HOMEBED_REDISPATCH_BY_ADMIN")
        checks = Checks()
        check_worker(uow, checks, staff_id, order.institution_id)
        checks.done()
        order.dispatch(staff_id, principal.actor, rt.clock.now())
        uow.homebed_orders.save(order)
        uow.commit()
        return OrderView.of(order)


def _location(lng: float | None, lat: float | None) -> GeoPoint | None:
    checks = Checks()
    point = check_location(checks, lng, lat)
    checks.done()
    return point


def _change(rt: Runtime, principal: Principal, op: Operation, ident: str,
            action: Callable[[UnitOfWork, HomeBedOrder, datetime], None]) -> OrderView:
    """One command on one order: load it locked and in scope, act, save, commit."""
    with rt.uow() as uow:
        order = _load(uow, principal, op, ident)
        action(uow, order, rt.clock.now())
        uow.homebed_orders.save(order)
        uow.commit()
        return OrderView.of(order)


def return_order(rt: Runtime, principal: Principal, ident: str, reason: str) -> OrderView:
    """退单 by the assigned worker: back to the dispatch pool with the reason."""
    return _change(rt, principal, Operation.HOMEBED_ORDER_SERVE, ident, lambda _u, order, now: order.return_to_pool(
        principal.staff_id, reason.strip(), principal.actor, now))


def start_order(rt: Runtime, principal: Principal, ident: str, lng: float | None = None,
                lat: float | None = None) -> OrderView:
    """开始服务: check-in time (and place, if the phone gives one)."""
    point = _location(lng, lat)
    return _change(rt, principal, Operation.HOMEBED_ORDER_SERVE, ident,
                   lambda _u, order, now: order.start(principal.staff_id, now, point, principal.actor))


def complete_order(rt: Runtime, principal: Principal, ident: str, lng: float | None = None,
                   lat: float | None = None) -> OrderView:
    """完成服务: check-out time (and place)."""
    point = _location(lng, lat)
    return _change(rt, principal, Operation.HOMEBED_ORDER_SERVE, ident,
                   lambda _u, order, now: order.complete(principal.staff_id, now, point, principal.actor))


def cancel_order(rt: Runtime, principal: Principal, ident: str, reason: str) -> OrderView:
    """取消, until the configured deadline before the appointed time."""

    def cancel(uow: UnitOfWork, order: HomeBedOrder, now: datetime) -> None:
        mine = principal.account_id == order.placed_by or principal.staff_id == order.staff_id
        if principal.role is Role.STAFF and not mine:
            raise PermissionDenied("只能取消自己下的或派给自己的订单", code="HOMEBED_ORDER_NOT_YOURS")
        order.cancel(reason.strip(), current_settings(uow, now).cancel_deadline_minutes, principal.actor, now)

    return _change(rt, principal, Operation.HOMEBED_ORDER_CANCEL, ident, cancel)


def record_service(rt: Runtime, principal: Principal, form: RecordForm) -> OrderView:
    """补录: enter a visit done off-system; it stays unconfirmed until confirmed with the customer."""
    with rt.uow() as uow:
        contract = load_contract(uow, principal, Operation.HOMEBED_ORDER_RECORD, form.contract_id, lock=True)
        now = rt.clock.now()
        checks = Checks()
        values = _priced(uow, checks, contract, form.service_item_id)
        check_worker(uow, checks, form.staff_id, contract.institution_id)
        note = checks.text("note", form.note, label="备注", max_len=200, required=False)
        start, end = form.started_at, form.completed_at
        valid = now - RECORD_WINDOW <= start < end <= now
        if checks.require("completed_at", valid, f"服务时间应在近{RECORD_WINDOW.days}天内，结束晚于开始且不晚于现在",
                          "INVALID_RANGE"):
            checks.require("completed_at", end - start <= timedelta(hours=24), "单次服务不能超过24小时", "TOO_LONG")
            checks.require("started_at", contract.covers(business_date(start)),
                           "服务日期不在签约有效期内", "OUTSIDE_CONTRACT")
        checks.done()
        if uow.homebed_orders.overlapping(contract.elder_id, start, end):
            raise Conflict("该老人在这段时间已有服务记录，不能重复补录", code="HOMEBED_RECORD_OVERLAPS")
        order = _new_order(uow, rt, principal, contract, values, scheduled_at=start, remark=note or "",
                           status=OrderStatus.UNCONFIRMED, supplementary=True, staff_id=form.staff_id,
                           dispatched_by=principal.account_id, started_at=start, completed_at=end)
        uow.commit()
        return OrderView.of(order)


def confirm_record(rt: Runtime, principal: Principal, ident: str, note: str) -> OrderView:
    """补录确认 (S-02): the dispatcher confirmed the visit with the customer."""

    def confirm(uow: UnitOfWork, order: HomeBedOrder, now: datetime) -> None:
        order.ensure_pending_record()
        if principal.account_id == order.placed_by or (principal.staff_id and principal.staff_id == order.staff_id):
            # Four eyes: whoever entered the record or did the visit cannot also vouch for it.
            raise PermissionDenied("补录须由录入人和服务人员以外的派单人员确认", code="HOMEBED_RECORD_SELF_CONFIRM")
        contract = uow.contracts.get(order.contract_id)
        if contract is None or order.started_at is None or not contract.covers(business_date(order.started_at)):
            raise Conflict("服务日期已不在签约有效期内（已解约或变更），不能确认",
                           code="HOMEBED_RECORD_OUTSIDE_CONTRACT")
        order.confirm(note.strip(), principal.actor, now)

    return _change(rt, principal, Operation.HOMEBED_ORDER_CONFIRM, ident, confirm)


def reject_record(rt: Runtime, principal: Principal, ident: str, reason: str) -> OrderView:
    return _change(rt, principal, Operation.HOMEBED_ORDER_CONFIRM, ident,
                   lambda _u, order, now: order.reject_record(reason.strip(), principal.actor, now))


def get_order(rt: Runtime, principal: Principal, ident: str) -> OrderView:
    with rt.uow() as uow:
        return OrderView.of(_load(uow, principal, Operation.HOMEBED_ORDER_READ, ident, lock=False))


def order_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _load(uow, principal, Operation.HOMEBED_ORDER_READ, ident, lock=False)
        return events_of(uow, ident)


def list_orders(
    rt: Runtime, principal: Principal, page: PageRequest, *, status: OrderStatus | None = None,
    institution_id: str | None = None, elder_id: str | None = None, contract_id: str | None = None,
    staff_id: str | None = None, supplementary: bool | None = None, mine: bool = False, keyword: str | None = None,
) -> Page[OrderView]:
    """Order list; `mine` is the staff app's task list (my dispatched orders)."""
    vis = visibility(principal, Operation.HOMEBED_ORDER_READ)
    if mine:
        if principal.staff_id is None:
            raise ValidationFailed([FieldError("mine", "只有服务人员有自己的任务列表", "NOT_STAFF")])
        staff_id = principal.staff_id
    with rt.uow() as uow:
        found = uow.homebed_orders.list(vis, page, status=status, institution_id=institution_id, elder_id=elder_id,
                                        contract_id=contract_id, staff_id=staff_id, supplementary=supplementary,
                                        keyword=keyword)
        return found.map(OrderView.of)
