"""After-sales (售后, A-07, P-01/P-02): the elder's side asks for a refund or a return of one line, with
reason and photos; the selling institution reviews. The sub-order row is held while a request is made
or decided, so concurrent requests queue and together never ask back more than the line was paid."""

from __future__ import annotations

from datetime import datetime

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.mall.aftersales import AfterSale, AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.orders import SubOrder, SubStatus
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import require, visibility
from yiyangkang.services.mall.checkout import refund_money
from yiyangkang.services.mall.common import ORDER_KIND, buyer_side
from yiyangkang.services.mall.views import AfterSaleView
from yiyangkang.services.numbering import next_number
from yiyangkang.services.objects import Upload, load_owned, read_file, store_upload, stored_uploads
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.settlement.split import reverse_split, split_completed

KIND = "售后申请"
MAX_PHOTOS = 6


@frozen(kw_only=True)
class AfterSaleForm:
    sub_order_id: str
    line_no: int
    type: str  # refund | return
    quantity: int = 0  # units given back; 0: money only (a service done badly)
    amount_fen: int | None = None  # default: the units' share of what the line was paid
    reason: str = ""


def request_after_sale(rt: Runtime, principal: Principal, form: AfterSaleForm) -> AfterSaleView:
    with rt.uow() as uow:
        uow.write_first()
        order = _buyers_order(uow, principal, form.sub_order_id)
        if order.paid_at is None or order.status in (SubStatus.CANCELLED, SubStatus.CLOSED):
            raise Conflict("该订单不能申请售后", code="MALL_AFTER_SALE_NOT_ALLOWED",
                           details={"status": order.status.value})
        checks = Checks()
        kind = checks.parse("type", choice(AfterSaleKind, "售后类型应为 refund（仅退款）或 return（退货退款）"),
                            form.type)
        reason = checks.text("reason", form.reason, label="售后原因", max_len=500)
        line = order.line(form.line_no)
        if kind is AfterSaleKind.RETURN:
            checks.require("type", order.fulfilment.is_goods, "服务类订单不能退货，请选择仅退款", "NOT_GOODS")
            checks.require("quantity", form.quantity >= 1, "请填写退货数量", "REQUIRED")
        if form.quantity == 0:
            checks.require("quantity", line.fulfilled > 0 and order.fulfilment.is_service,
                           "请填写退款数量（只有已完成的服务可以只退部分金额）", "REQUIRED")
        checks.require("quantity", 0 <= form.quantity <= line.quantity, "数量超出购买数量", "OUT_OF_RANGE")
        checks.done()
        assert kind is not None
        returning = kind is AfterSaleKind.RETURN
        if form.amount_fen is not None:
            amount = Money(form.amount_fen)
        elif form.quantity:
            amount = line.refund_for(min(form.quantity, line.quantity))
        else:
            raise ValidationFailed([FieldError("amount_fen", "请填写退款金额", "REQUIRED")])
        order.reserve(form.line_no, form.quantity, amount, returning)  # refuses more than the line has left
        now = rt.clock.now()
        item = AfterSale(
            id=rt.ids.new_id(), number=next_number(uow, NumberKind.AFTER_SALE, now), sub_order_id=order.id,
            sub_order_number=order.number, trade_id=order.trade_id, institution_id=order.institution_id,
            elder_id=order.elder_id, line_no=line.line_no, product_name=line.name, type=kind,
            quantity=form.quantity, amount=amount, reason=reason or "", requested_by=principal.account_id,
            created_at=now)
        item.record_created(principal.actor, now, name="requested")
        order.note("after_sale_requested", principal.actor, now, after={"after_sale": item.number,
                                                                        "amount_fen": amount.fen})
        uow.mall_orders.save(order)
        uow.after_sales.add(item)
        uow.commit()
        return AfterSaleView.of(item)


def _buyers_order(uow: UnitOfWork, principal: Principal, ident: str) -> SubOrder:
    """After-sales are asked (and withdrawn, photographed, sent back) by the elder's side only: the elder,
    the family, whoever placed the order for them — never by the seller, who decides them."""
    require(principal, Operation.MALL_AFTER_SALE_REQUEST)
    order = uow.mall_orders.lock(ident)
    if order is None or not buyer_side(uow, principal, order):
        raise NotFound(ORDER_KIND, ident)
    return order


def _both(uow: UnitOfWork, principal: Principal, op: Operation, ident: str) -> tuple[AfterSale, SubOrder]:
    """The request and its sub-order, both held, in that order everywhere (no deadlock between deciders).
    The seller decides (`op` in its scope); the buyer's side acts on its own requests."""
    uow.write_first()
    if op is Operation.MALL_AFTER_SALE_REQUEST:
        require(principal, op)
        item = uow.after_sales.lock(ident)
        order = uow.mall_orders.lock(item.sub_order_id) if item else None
        if item is None or order is None or not buyer_side(uow, principal, order):
            raise NotFound(KIND, ident)
        return item, order
    item = load_owned(uow, principal, op, uow.after_sales.lock(ident), KIND, ident)
    found = uow.mall_orders.lock(item.sub_order_id)
    assert found is not None
    return item, found


def _refund(rt: Runtime, uow: UnitOfWork, item: AfterSale, order: SubOrder, principal: Principal,
            now: datetime) -> None:
    """The money goes back now; unshipped or returned goods go back to stock."""
    reverse_split(rt, uow, order, item.number, {item.line_no: item.amount})  # a split's shares first
    refund_id = refund_money(rt, uow, order, {item.line_no: item.amount}, item.number, item.reason)
    item.refunded(refund_id, now)
    order.refund_settled(item.line_no, item.quantity, item.amount, item.returning, principal.actor, now)
    split_completed(rt, uow, order)  # a refund of the last open units may complete the order
    line = order.line(item.line_no)
    if order.fulfilment.is_goods and item.quantity:
        uow.products.put_stock(line.product_id, item.quantity)


def _finish(uow: UnitOfWork, item: AfterSale, order: SubOrder) -> AfterSaleView:
    uow.after_sales.save(item)
    uow.mall_orders.save(order)
    uow.commit()
    return AfterSaleView.of(item)


def review_after_sale(rt: Runtime, principal: Principal, ident: str, *, approve: bool, note: str = "",
                      expected_version: int | None = None) -> AfterSaleView:
    """A-07: the selling institution approves (refund now, or wait for the goods) or rejects with a reason."""
    with rt.uow() as uow:
        item, order = _both(uow, principal, Operation.MALL_AFTER_SALE_REVIEW, ident)
        item.expect_version(expected_version)
        now, note = rt.clock.now(), note.strip()[:500]
        if approve:
            if item.approve(note, principal.actor, now):
                _refund(rt, uow, item, order, principal, now)
        else:
            if not note:
                raise ValidationFailed([FieldError("note", "驳回须填写原因", "REQUIRED")])
            item.reject(note, principal.actor, now)
            order.release(item.line_no, item.quantity, item.amount, item.returning)
        return _finish(uow, item, order)


def send_return(rt: Runtime, principal: Principal, ident: str, tracking_no: str) -> AfterSaleView:
    """The elder's side tells the seller how the goods come back (退货运单号)."""
    with rt.uow() as uow:
        item, order = _both(uow, principal, Operation.MALL_AFTER_SALE_REQUEST, ident)
        checks = Checks()
        tracking = checks.text("tracking_no", tracking_no, label="退货运单号", max_len=40)
        checks.require("id", item.status is AfterSaleStatus.AWAITING_RETURN, "该申请不在待退货状态", "NOT_AWAITING")
        checks.done()
        item.change({"return_tracking": tracking}, principal.actor, rt.clock.now(), name="return_sent")
        return _finish(uow, item, order)


def receive_return(rt: Runtime, principal: Principal, ident: str) -> AfterSaleView:
    """The seller got the goods back: stock returns and the money goes back."""
    with rt.uow() as uow:
        item, order = _both(uow, principal, Operation.MALL_AFTER_SALE_REVIEW, ident)
        now = rt.clock.now()
        item.received(principal.actor, now)
        _refund(rt, uow, item, order, principal, now)
        return _finish(uow, item, order)


def withdraw_after_sale(rt: Runtime, principal: Principal, ident: str) -> AfterSaleView:
    with rt.uow() as uow:
        item, order = _both(uow, principal, Operation.MALL_AFTER_SALE_REQUEST, ident)
        item.withdraw(principal.actor, rt.clock.now())
        order.release(item.line_no, item.quantity, item.amount, item.returning)
        return _finish(uow, item, order)


def attach_photo(rt: Runtime, principal: Principal, ident: str, upload: Upload) -> AfterSaleView:
    with rt.uow() as uow:
        item, order = _both(uow, principal, Operation.MALL_AFTER_SALE_REQUEST, ident)
        checks = Checks()
        checks.require("file", item.status is AfterSaleStatus.PENDING, "审核后不能再补充照片", "NOT_PENDING")
        checks.require("file", len(item.photos) < MAX_PHOTOS, f"照片最多{MAX_PHOTOS}张", "TOO_MANY")
        checks.done()
        with stored_uploads(rt) as refs:
            refs.append(store_upload(rt, "after-sales", upload))
            item.photos = (*item.photos, refs[0])
            item.note("photo_added", principal.actor, rt.clock.now(), after={"name": refs[0].name})
            return _finish(uow, item, order)


def photo(rt: Runtime, principal: Principal, ident: str, key: str) -> tuple[FileRef, bytes]:
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.MALL_AFTER_SALE_READ, uow.after_sales.get(ident), KIND, ident)
        return read_file(rt, next((p for p in item.photos if p.key == key), None), key)


def get_after_sale(rt: Runtime, principal: Principal, ident: str) -> AfterSaleView:
    with rt.uow() as uow:
        return AfterSaleView.of(load_owned(uow, principal, Operation.MALL_AFTER_SALE_READ,
                                           uow.after_sales.get(ident), KIND, ident))


def list_after_sales(rt: Runtime, principal: Principal, page: PageRequest, *, status: AfterSaleStatus | None = None,
                     type: AfterSaleKind | None = None, institution_id: str | None = None,
                     sub_order_id: str | None = None, elder_id: str | None = None) -> Page[AfterSaleView]:
    vis = visibility(principal, Operation.MALL_AFTER_SALE_READ)
    with rt.uow() as uow:
        return uow.after_sales.list(vis, page, status=status, type=type, institution_id=institution_id,
                                    sub_order_id=sub_order_id, elder_id=elder_id).map(AfterSaleView.of)
