"""Points goods and exchanges (积分商品与兑换, P-09, P-10).

An institution lists goods for points; an elder's side exchanges them: in one unit of work the points are spent
(the ledger's conditional update on the elder's balance, which is also the lock that makes the per-elder limit
hold under parallel exchanges), the limit is checked, and the stock is taken (`UPDATE … WHERE stock >= n`). Any
refusal rolls all of it back. The institution delivers (发放) an exchange; until then the elder's side or the
institution may cancel it, which gives the points and the stock back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.points.goods import (
    EXCHANGE_STATUS_LABELS,
    MAX_POINTS_PRICE,
    MAX_STOCK,
    MAX_UNITS,
    Exchange,
    ExchangeStatus,
    PointsGood,
)
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import allows, load_elder, owner_target, require
from yiyangkang.services.access import visibility as scope_visibility
from yiyangkang.services.objects import events_of
from yiyangkang.services.points.common import (
    EXCHANGE_KIND,
    GOOD_KIND,
    ISSUER,
    book,
    create_owned,
    elder_names,
    elder_points,
    load,
    not_found_code,
)
from yiyangkang.services.points.views import ExchangeView, GoodView
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.views import AuditEventView

EXPORT_HEADER = ["兑换单号", "兑换时间", "机构", "商品", "数量", "积分", "老人", "状态", "发放时间", "取消原因"]


@frozen(kw_only=True)
class GoodForm:
    """Create: `name`, `points_price` (and `stock`, 0 by default). Edit: any but the stock (see adjust_stock)."""

    institution_id: str | None = None
    name: str | None = None
    description: str | None = None
    points_price: int | None = None
    stock: int | None = None
    per_elder_limit: int | None = None
    clear_limit: bool = False  # edit: remove the per-elder limit


def _values(checks: Checks, form: GoodForm, base: PointsGood | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if base is None or form.name is not None:
        values["name"] = checks.text("name", form.name, label="商品名称", max_len=60)
    if form.description is not None:
        values["description"] = checks.text("description", form.description, label="商品介绍", max_len=2000,
                                            required=False) or ""
    if base is None or form.points_price is not None:
        checks.require("points_price", form.points_price is not None and 1 <= form.points_price <= MAX_POINTS_PRICE,
                       f"兑换积分应在1～{MAX_POINTS_PRICE}之间", "OUT_OF_RANGE")
        values["points_price"] = form.points_price
    if form.per_elder_limit is not None:
        checks.require("per_elder_limit", 1 <= form.per_elder_limit <= MAX_UNITS,
                       f"每人限兑数量应在1～{MAX_UNITS}之间", "OUT_OF_RANGE")
        values["per_elder_limit"] = form.per_elder_limit
    elif form.clear_limit and base is not None:
        values["per_elder_limit"] = None
    if base is None:
        stock = form.stock or 0
        checks.require("stock", 0 <= stock <= MAX_STOCK, f"库存应在0～{MAX_STOCK}之间", "OUT_OF_RANGE")
        values["stock"] = stock
    else:
        checks.require("stock", form.stock is None, "库存请用“调整库存”修改", "IMMUTABLE")
    return values


def _good(uow: UnitOfWork, principal: Principal, ident: str, *, lock: bool = False) -> PointsGood:
    found = uow.points_goods.lock(ident) if lock else uow.points_goods.get(ident)
    return load(uow, principal, Operation.POINTS_MANAGE, found, GOOD_KIND, ident)


def _fresh(uow: UnitOfWork, item: PointsGood) -> GoodView:
    return GoodView.of(uow.points_goods.get(item.id) or item)


def create_good(rt: Runtime, principal: Principal, form: GoodForm) -> GoodView:
    """上架积分商品 (off the shelf until put on it)."""
    item = create_owned(rt, principal, form.institution_id, lambda checks: _values(checks, form, None),
                        PointsGood, lambda uow, g: uow.points_goods.add(g))
    return GoodView.of(item)


def update_good(rt: Runtime, principal: Principal, ident: str, form: GoodForm,
                expected_version: int | None = None) -> GoodView:
    """A new price or limit counts for exchanges from now on; those placed keep what they paid."""
    with rt.uow() as uow:
        uow.write_first()
        item = _good(uow, principal, ident, lock=True)
        item.expect_version(expected_version)
        checks = Checks()
        checks.require("institution_id", form.institution_id in (None, item.institution_id), "商品不能换机构",
                       "IMMUTABLE")
        values = _values(checks, form, item)
        checks.done()
        item.change(values, principal.actor, rt.clock.now())
        uow.points_goods.save(item)
        uow.commit()
        return _fresh(uow, item)


def set_on_shelf(rt: Runtime, principal: Principal, ident: str, on_shelf: bool) -> GoodView:
    with rt.uow() as uow:
        uow.write_first()
        item = _good(uow, principal, ident, lock=True)
        item.set_on_shelf(on_shelf, principal.actor, rt.clock.now())
        uow.points_goods.save(item)
        uow.commit()
        return _fresh(uow, item)


def adjust_stock(rt: Runtime, principal: Principal, ident: str, delta: int, reason: str = "") -> GoodView:
    """Restock (+) or write off (−); the stock never goes below zero."""
    with rt.uow() as uow:
        uow.write_first()
        item = _good(uow, principal, ident, lock=True)
        checks = Checks()
        checks.require("delta", delta != 0 and item.stock + delta <= MAX_STOCK,
                       f"调整数量应为非零，调整后库存不超过{MAX_STOCK}", "OUT_OF_RANGE")
        checks.done()
        if delta > 0:
            uow.points_goods.put_stock(item.id, delta)
        elif not uow.points_goods.take_stock(item.id, -delta):
            raise Conflict("库存不足，不能减少这么多", code="POINTS_OUT_OF_STOCK")
        item.note("stock_adjusted", principal.actor, rt.clock.now(), after={"delta": delta}, reason=reason[:200])
        uow.points_goods.save(item)
        uow.commit()
        return _fresh(uow, item)


def _shown(uow: UnitOfWork, principal: Principal, item: PointsGood | None, ident: str) -> PointsGood:
    """Goods on the shelf for everyone signed in; the rest only for their institution's managers."""
    require(principal, Operation.POINTS_BROWSE)
    if item is not None and (item.on_shelf or allows(principal, Operation.POINTS_MANAGE,
                                                     owner_target(uow, item.institution_id))):
        return item
    raise NotFound(GOOD_KIND, ident, code=not_found_code(GOOD_KIND))


def get_good(rt: Runtime, principal: Principal, ident: str) -> GoodView:
    with rt.uow() as uow:
        return GoodView.of(_shown(uow, principal, uow.points_goods.get(ident), ident))


def list_goods(rt: Runtime, principal: Principal, page: PageRequest, *, manage: bool = False,
               institution_id: str | None = None, on_shelf: bool | None = None,
               keyword: str | None = None) -> Page[GoodView]:
    """P-09: goods on the shelf for everyone; with `manage`, the caller's institutions' own, on the shelf or not."""
    if manage:
        vis = scope_visibility(principal, Operation.POINTS_MANAGE)
    else:
        require(principal, Operation.POINTS_BROWSE)
        if on_shelf is False:
            return Page([], 0, page.page, page.size)
        vis, on_shelf = Visibility(everything=True), True
    with rt.uow() as uow:
        return uow.points_goods.list(vis, page, institution_id=institution_id, on_shelf=on_shelf,
                                     keyword=keyword).map(GoodView.of)


def good_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _good(uow, principal, ident)
        return events_of(uow, ident)


# -- exchanges (兑换) ----------------------------------------------------------------------------------------

@frozen(kw_only=True)
class ExchangeForm:
    good_id: str
    elder_id: str
    quantity: int = 1


def exchange(rt: Runtime, principal: Principal, form: ExchangeForm) -> ExchangeView:
    """兑换 a good for an elder's points: points spent and stock taken together, or nothing at all."""
    require(principal, Operation.POINTS_EXCHANGE)
    with rt.uow() as uow:
        uow.write_first()
        elder = load_elder(uow, principal, Operation.POINTS_EXCHANGE, form.elder_id)
        checks = Checks()
        checks.require("quantity", 1 <= form.quantity <= MAX_UNITS, f"数量应在1～{MAX_UNITS}之间", "OUT_OF_RANGE")
        checks.done()
        good = uow.points_goods.get(form.good_id)
        if good is None or not good.on_shelf:
            raise NotFound(GOOD_KIND, form.good_id, code=not_found_code(GOOD_KIND))
        now, ident = rt.clock.now(), rt.ids.new_id()
        points = good.points_price * form.quantity
        # The points first: their row is the elder's lock, so the limit below sees every earlier exchange.
        book(uow, reference=f"points-exchange:{ident}", kind="points_spend", source=elder_points(elder.id),
             target=ISSUER, points=points, at=now, memo=f"兑换：{good.name} × {form.quantity}")
        if not good.within_limit(uow.points_exchanges.units_held(good.id, elder.id), form.quantity):
            raise Conflict(f"该商品每人限兑{good.per_elder_limit}件", code="POINTS_LIMIT_REACHED",
                           details={"per_elder_limit": good.per_elder_limit})
        if not uow.points_goods.take_stock(good.id, form.quantity):
            raise Conflict(f"“{good.name}”库存不足", code="POINTS_OUT_OF_STOCK", details={"good_id": good.id})
        item = Exchange(id=ident, good_id=good.id, good_name=good.name, institution_id=good.institution_id,
                        elder_id=elder.id, quantity=form.quantity, points=points, placed_by=principal.account_id,
                        created_at=now)
        item.record_created(principal.actor, now, name="placed")
        uow.points_exchanges.add(item)
        uow.commit()
        return ExchangeView.of(item, elder.name)


def _exchange(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> Exchange:
    found = uow.points_exchanges.lock(ident) if lock else uow.points_exchanges.get(ident)
    return load(uow, principal, op, found, EXCHANGE_KIND, ident)


def _view(uow: UnitOfWork, item: Exchange) -> ExchangeView:
    return ExchangeView.of(item, elder_names(uow, [item.elder_id]).get(item.elder_id))


def deliver(rt: Runtime, principal: Principal, ident: str) -> ExchangeView:
    """发放: the institution hands the good over."""
    with rt.uow() as uow:
        uow.write_first()
        item = _exchange(uow, principal, Operation.POINTS_MANAGE, ident, lock=True)
        item.deliver(principal.actor, rt.clock.now())
        uow.points_exchanges.save(item)
        uow.commit()
        return _view(uow, item)


def _may_cancel(uow: UnitOfWork, principal: Principal, item: Exchange) -> bool:
    target = owner_target(uow, item.institution_id, item.elder_id)
    return allows(principal, Operation.POINTS_EXCHANGE, target) or allows(principal, Operation.POINTS_MANAGE, target)


def cancel_exchange(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> ExchangeView:
    """取消 an exchange not yet delivered (the elder's side or the institution): points and stock come back."""
    with rt.uow() as uow:
        uow.write_first()
        item = uow.points_exchanges.lock(ident)
        if item is None or not _may_cancel(uow, principal, item):
            load(uow, principal, Operation.POINTS_READ, None, EXCHANGE_KIND, ident)  # 403 without a cell, else 404
        assert item is not None
        now = rt.clock.now()
        item.cancel(reason.strip()[:200] or "兑换人取消", principal.actor, now)
        uow.points_exchanges.save(item)
        book(uow, reference=f"points-exchange-cancel:{item.id}", kind="points_refund", source=ISSUER,
             target=elder_points(item.elder_id), points=item.points, at=now, memo=f"取消兑换：{item.good_name}")
        uow.points_goods.put_stock(item.good_id, item.quantity)
        uow.commit()
        return _view(uow, item)


def get_exchange(rt: Runtime, principal: Principal, ident: str) -> ExchangeView:
    with rt.uow() as uow:
        return _view(uow, _exchange(uow, principal, Operation.POINTS_READ, ident))


def exchange_events(rt: Runtime, principal: Principal, ident: str) -> list[AuditEventView]:
    with rt.uow() as uow:
        _exchange(uow, principal, Operation.POINTS_READ, ident)
        return events_of(uow, ident)


def list_exchanges(rt: Runtime, principal: Principal, page: PageRequest, *, elder_id: str | None = None,
                   good_id: str | None = None, institution_id: str | None = None,
                   status: ExchangeStatus | None = None) -> Page[ExchangeView]:
    """P-10 (兑换记录): the elder's side sees its elders' exchanges; institutions those of their goods."""
    vis = scope_visibility(principal, Operation.POINTS_READ)
    with rt.uow() as uow:
        found = uow.points_exchanges.list(vis, page, elder_id=elder_id, good_id=good_id,
                                          institution_id=institution_id, status=status)
        names = elder_names(uow, [e.elder_id for e in found.items])
        return found.map(lambda e: ExchangeView.of(e, names.get(e.elder_id)))


def export_rows(rt: Runtime, principal: Principal, *, institution_id: str | None = None,
                status: ExchangeStatus | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[list[Any]]:
    """Exchange records for a spreadsheet, newest first (Shanghai times, elders' names masked), read in one
    unit of work a page at a time; `progress(done, total)` after each page."""
    vis = scope_visibility(principal, Operation.POINTS_READ)
    rows: list[list[Any]] = [list(EXPORT_HEADER)]
    with rt.uow() as uow:
        n, names, places = 1, dict[str, str](), dict[str, str]()
        while True:
            found = uow.points_exchanges.list(vis, PageRequest(n, 100), institution_id=institution_id,
                                              status=status)
            names |= elder_names(uow, [e.elder_id for e in found.items if e.elder_id not in names])
            for e in found.items:
                if e.institution_id not in places:
                    inst = uow.institutions.get(e.institution_id)
                    places[e.institution_id] = inst.name if inst else e.institution_id
                rows.append([e.id, local_text(e.created_at), places[e.institution_id], e.good_name, e.quantity,
                             e.points, mask_name(names.get(e.elder_id)) or "", EXCHANGE_STATUS_LABELS[e.status],
                             local_text(e.delivered_at) if e.delivered_at else "", e.cancel_reason])
            if progress:
                progress(len(rows) - 1, found.total)
            if n * 100 >= found.total:
                return rows
            n += 1
