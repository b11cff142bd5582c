"""Checkout and payment (M-05, A-05 起单/支付): a cart of products and packages becomes one trade order
split into sub-orders per institution and fulfilment type, priced exactly (packages, buy-gift gifts),
checked against each institution's service and delivery areas (A-13), with stock taken atomically. It
is paid through the `PaymentGateway` port; an unpaid trade closes after the configured time and gives
its stock back."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta

from attrs import frozen

from yiyangkang.domain.elders.addresses import Address
from yiyangkang.domain.identity.accounts import Role
from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import Conflict, NotFound
from yiyangkang.domain.kernel.events import Actor
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.numbers import NumberKind
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.mall.catalogue import FULFILMENT_LABELS, Fulfilment, Product
from yiyangkang.domain.mall.config import MallConfig
from yiyangkang.domain.mall.orders import (
    VERIFIED_BY_CODE,
    Destination,
    SubOrder,
    SubStatus,
    TradeOrder,
    TradeStatus,
)
from yiyangkang.domain.mall.pricing import Priced, PricedLine, gift_lines, package_lines, plain_line, total
from yiyangkang.ports.mall import ChargeRequest, RefundRequest
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services import payments as payment_service  # circular, used at call time only
from yiyangkang.services.access import load_elder, require, visibility
from yiyangkang.services.ledger import book_payment, book_refund
from yiyangkang.services.mall.common import code_hash, mall_settings, new_code, today
from yiyangkang.services.mall.views import SubOrderView, TradeView
from yiyangkang.services.numbering import next_number
from yiyangkang.services.runtime import Runtime
from yiyangkang.services.vouchers import spending as voucher_spending

TRADE_KIND = "交易单"
MAX_UNITS = 99
MAX_AHEAD = timedelta(days=90)
MIN_NOTICE = timedelta(minutes=30)  # a home visit is booked at least this far ahead
UNPAID_CLOSER = Actor.system("mall-unpaid-closer")
VOUCHER_CHANNEL = "voucher"  # a trade the vouchers paid whole
log = logging.getLogger("yiyangkang.payments")


@frozen(kw_only=True)
class CartItem:
    product_id: str
    quantity: int = 1
    appointment_at: datetime | None = None  # services: the wished time (上门/到店)


@frozen(kw_only=True)
class CartPackage:
    package_id: str
    quantity: int = 1
    appointment_at: datetime | None = None


@frozen(kw_only=True)
class CheckoutForm:
    elder_id: str
    items: Sequence[CartItem] = ()
    packages: Sequence[CartPackage] = ()
    address_id: str | None = None  # home visits and deliveries
    remark: str | None = None


def priced(product: Product) -> Priced:
    live = product.live
    assert live is not None
    return Priced(id=product.id, institution_id=product.institution_id, fulfilment=product.fulfilment, name=live.name,
                  unit=live.unit, unit_price=live.price, standard_minutes=live.standard_minutes)


@frozen
class _Cart:
    lines: list[PricedLine]
    appointments: dict[tuple[str, Fulfilment], datetime]


def _price_cart(uow: UnitOfWork, checks: Checks, form: CheckoutForm, day: date) -> _Cart:
    """Every line of the cart priced, or field errors naming what cannot be ordered."""
    packages = uow.packages.many(p.package_id for p in form.packages)
    products = uow.products.many([i.product_id for i in form.items]
                                 + [i.product_id for p in packages.values() for i in p.items])
    lines: list[PricedLine] = []
    appointments: dict[tuple[str, Fulfilment], datetime] = {}

    def book(product: Product, at: datetime | None) -> None:
        key = (product.institution_id, product.fulfilment)
        if at is not None and product.fulfilment.is_service:
            appointments[key] = min(at, appointments.get(key, at))

    for n, item in enumerate(form.items):
        product = products.get(item.product_id)
        ok = checks.require(f"items.{n}.quantity", 1 <= item.quantity <= MAX_UNITS, f"数量应在1～{MAX_UNITS}之间",
                            "OUT_OF_RANGE")
        if product is None or not product.orderable:
            checks.fail(f"items.{n}.product_id", "商品不存在、已下架或尚未通过审核，不能下单", "PRODUCT_NOT_ORDERABLE")
        elif ok:
            lines.append(plain_line(priced(product), item.quantity))
            book(product, item.appointment_at)
    for n, cart in enumerate(form.packages):
        package = packages.get(cart.package_id)
        ok = checks.require(f"packages.{n}.quantity", 1 <= cart.quantity <= MAX_UNITS,
                            f"数量应在1～{MAX_UNITS}之间", "OUT_OF_RANGE")
        if package is None or not package.orderable:
            checks.fail(f"packages.{n}.package_id", "服务包不存在、已下架或尚未通过审核", "PACKAGE_NOT_ORDERABLE")
            continue
        members = [products.get(i.product_id) for i in package.items]
        if any(p is None or p.institution_id != package.institution_id for p in members):
            checks.fail(f"packages.{n}.package_id", "服务包只能包含同一机构的商品", "PACKAGE_MIXES_INSTITUTIONS")
        elif any(p is None or not p.orderable for p in members):
            checks.fail(f"packages.{n}.package_id", "服务包中有商品已下架或未通过审核", "PRODUCT_NOT_ORDERABLE")
        elif ok:
            lines += package_lines(package, cart.quantity, {p.id: priced(p) for p in members if p})
            for p in members:
                if p is not None:
                    book(p, cart.appointment_at)
    checks.require("items", bool(form.items or form.packages), "购物车是空的", "EMPTY")
    if checks.errors:
        return _Cart(lines, appointments)
    rules = uow.buy_gifts.in_force({ln.product_id for ln in lines if ln.package_id is None}, day)
    gifts = uow.products.many(r.gift_product_id for r in rules)
    rules = [r for r in rules if (g := gifts.get(r.gift_product_id)) is not None and g.orderable
             and g.institution_id == r.institution_id]
    lines += gift_lines(lines, rules, {p.id: priced(p) for p in gifts.values() if p.orderable}, day)
    return _Cart(lines, appointments)


def _address(uow: UnitOfWork, checks: Checks, form: CheckoutForm, needed: bool) -> Address | None:
    if not needed:
        return None
    address = uow.addresses.get(form.address_id) if form.address_id else None
    if address is None or address.elder_id != form.elder_id:
        checks.fail("address_id", "上门服务和配送须选择老人的服务地址", "ADDRESS_REQUIRED")
        return None
    return address


def _check_reach(uow: UnitOfWork, checks: Checks, groups: dict[tuple[str, Fulfilment], list[PricedLine]],
                 address: Address | None, cart: _Cart, now: datetime) -> dict[str, MallConfig]:
    """A-13: each institution offers the fulfilment type there; visits are booked in time."""
    configs: dict[str, MallConfig] = {}
    for institution_id, fulfilment in groups:
        config = uow.mall_configs.get(institution_id)
        institution = uow.institutions.get(institution_id)
        name, label = (institution.name if institution else "该机构"), FULFILMENT_LABELS[fulfilment]
        area = config.area_for(fulfilment) if config else None
        place = config.place_for(fulfilment) if config else None
        if fulfilment in (Fulfilment.HOME_VISIT, Fulfilment.DELIVERY):
            if area is None or area.empty:
                checks.fail("items", f"{name}尚未开通{label}（未设置服务区域）", "MALL_NOT_OFFERED")
            elif address is not None and not area.covers(address.region_code, address.location):
                checks.fail("address_id", f"该地址不在{name}的{label}范围内", "OUTSIDE_SERVICE_AREA")
        elif place is None or not place.address:
            checks.fail("items", f"{name}尚未设置{label}地址", "MALL_NOT_OFFERED")
        at = cart.appointments.get((institution_id, fulfilment))
        if fulfilment is Fulfilment.HOME_VISIT and at is None:
            checks.fail("items", f"请为{name}的上门服务选择预约时间", "APPOINTMENT_REQUIRED")
        elif at is not None and not now + MIN_NOTICE <= at <= now + MAX_AHEAD:
            checks.fail("items", "预约时间应在30分钟后至90天内", "OUT_OF_RANGE")
        if config is not None:
            configs[institution_id] = config
    return configs


def _take_stock(uow: UnitOfWork, lines: list[PricedLine], names: dict[str, str]) -> list[PricedLine]:
    """Take the goods' stock in product order (no deadlocks between checkouts); a gift the stock cannot
    cover is left out rather than failing the purchase."""
    wanted: dict[str, int] = {}
    for ln in lines:
        if ln.fulfilment.is_goods and ln.gift_rule_id is None:
            wanted[ln.product_id] = wanted.get(ln.product_id, 0) + ln.quantity
    for product_id in sorted(wanted):
        if not uow.products.take_stock(product_id, wanted[product_id]):
            raise Conflict(f"“{names.get(product_id, '')}”库存不足", code="MALL_OUT_OF_STOCK",
                           details={"product_id": product_id})
    return [ln for ln in lines if ln.gift_rule_id is None or not ln.fulfilment.is_goods
            or uow.products.take_stock(ln.product_id, ln.quantity)]


def checkout(rt: Runtime, principal: Principal, form: CheckoutForm) -> TradeView:
    """下单 for an elder (the elder, a family member, or staff and admins on their behalf: 起单)."""
    require(principal, Operation.MALL_BUY)
    with rt.uow() as uow:
        uow.write_first()
        elder = load_elder(uow, principal, Operation.MALL_BUY, form.elder_id)
        now, day = rt.clock.now(), today(rt)
        settings = mall_settings(uow, now)
        checks = Checks()
        remark = checks.text("remark", form.remark, label="备注", max_len=200, required=False)
        cart = _price_cart(uow, checks, form, day)
        groups: dict[tuple[str, Fulfilment], list[PricedLine]] = {}
        for ln in cart.lines:
            groups.setdefault((ln.institution_id, ln.fulfilment), []).append(ln)
        address = _address(uow, checks, form, any(f in (Fulfilment.HOME_VISIT, Fulfilment.DELIVERY)
                                                   for _, f in groups))
        configs = _check_reach(uow, checks, groups, address, cart, now) if not checks.errors else {}
        checks.done()
        lines = _take_stock(uow, cart.lines, {ln.product_id: ln.name for ln in cart.lines})
        groups = {}
        for ln in lines:
            groups.setdefault((ln.institution_id, ln.fulfilment), []).append(ln)
        trade_id, number = rt.ids.new_id(), next_number(uow, NumberKind.TRADE, now)
        destination = None if address is None else Destination(
            region_code=address.region_code, detail=address.detail, contact_name=address.contact_name,
            contact_phone=address.contact_phone, location=address.location)
        subs = []
        for (institution_id, fulfilment), group in sorted(groups.items()):
            config = configs.get(institution_id)
            sub = SubOrder(
                id=rt.ids.new_id(), number=next_number(uow, NumberKind.MALL_ORDER, now), trade_id=trade_id,
                trade_number=number, institution_id=institution_id, elder_id=elder.id, fulfilment=fulfilment,
                lines=SubOrder.lines_from(group), appointment_at=cart.appointments.get((institution_id, fulfilment)),
                destination=destination if fulfilment in (Fulfilment.HOME_VISIT, Fulfilment.DELIVERY) else None,
                place=config.place_for(fulfilment) if config else None, remark=remark or "", created_at=now)
            sub.record_created(principal.actor, now, name="placed")
            subs.append(sub)
        on_behalf = principal.role not in (Role.ELDER, Role.FAMILY)
        trade = TradeOrder(
            id=trade_id, number=number, elder_id=elder.id, buyer_account_id=principal.account_id, on_behalf=on_behalf,
            institution_ids=tuple(sorted({s.institution_id for s in subs})), sub_order_ids=tuple(s.id for s in subs),
            list_total=sum((ln.list_amount for ln in lines), Money.zero()), total=total(lines),
            pay_deadline=now + timedelta(minutes=settings.unpaid_close_minutes), remark=remark or "", created_at=now)
        trade.record_created(principal.actor, now, name="placed_on_behalf" if on_behalf else "placed")
        uow.trades.add(trade)
        for sub in subs:
            uow.mall_orders.add(sub)
        if trade.total.fen == 0:  # everything free (a package at ¥0.00 is refused, but gifts alone could be)
            _confirm(rt, uow, trade, "free", f"FREE-{number}", trade.cash_due, principal.actor, now)
        uow.commit()
        return _trade_view(uow, trade, principal)


def _confirm(rt: Runtime, uow: UnitOfWork, trade: TradeOrder, channel: str, transaction_id: str, amount: Money,
             actor: Actor, at: datetime) -> bool:
    """The payment arrived: the trade is paid, its sub-orders go to fulfilment with their verification codes,
    and the products' sales count. Idempotent: a repeated notification changes nothing."""
    if not trade.mark_paid(channel, transaction_id, amount, actor, at):
        return False
    uow.trades.save(trade)
    subs = uow.mall_orders.of_trade(trade.id, lock=True)
    shares: dict[str, Money] = {}
    for sub in subs:
        shares[sub.institution_id] = shares.get(sub.institution_id, Money.zero()) + sub.cash_paid
    book_payment(uow, f"pay:{trade.number}", channel, shares, at)
    voucher_spending.spend(uow, trade, at)
    for sub in subs:
        sub.paid_now(actor, at)
        if sub.fulfilment in VERIFIED_BY_CODE:
            sub.code = new_code()
            sub.code_hash = code_hash(rt, sub.code)
        for ln in sub.lines:
            if not ln.gift:
                uow.products.add_sales(ln.product_id, ln.quantity)
        uow.mall_orders.save(sub)
    return True


def load_trade(uow: UnitOfWork, principal: Principal, op: Operation, ident: str, *, lock: bool = False) -> TradeOrder:
    """A trade is the buyer's: the elder's side, whoever placed it, and operators."""
    require(principal, op)
    trade = uow.trades.lock(ident) if lock else uow.trades.get(ident)
    if trade is None or not (principal.role is Role.PLATFORM_OPERATOR or trade.buyer_account_id == principal.account_id
                             or trade.elder_id in principal.elder_ids):
        raise NotFound(TRADE_KIND, ident)
    return trade


def _trade_view(uow: UnitOfWork, trade: TradeOrder, principal: Principal, pay_url: str = "",
                pay_params: Mapping[str, str] | None = None) -> TradeView:
    show = principal.role in (Role.ELDER, Role.FAMILY)
    subs = [SubOrderView.of(s, reveal=True, show_code=show) for s in uow.mall_orders.of_trade(trade.id)]
    return TradeView.of(trade, subs, pay_url, pay_params)


def pay(rt: Runtime, principal: Principal, ident: str, channel: str | None = None, *,
        use_vouchers: bool = False, payer_openid: str = "") -> TradeView:
    """支付: charge the trade through the configured payment gateway (the sandbox confirms at once; WeChat Pay
    Native answers a code to scan, and the payment arrives by notification). With `use_vouchers` the elder's
    elderly-care vouchers pay first, as far as they may (procurement institutions, their categories), and are
    held until the rest arrives; a trade they pay whole is paid at once (mixed payment, PAY ▲)."""
    gateway = rt.payments.get(channel)  # CHANNEL_UNAVAILABLE unless enabled; None: the default channel
    with rt.uow() as uow:
        uow.write_first()
        trade = load_trade(uow, principal, Operation.MALL_BUY, ident, lock=True)
        now = rt.clock.now()
        if trade.status is not TradeStatus.UNPAID:
            raise Conflict("该订单不是待付款状态", code="MALL_TRADE_NOT_UNPAID", details={"status": trade.status.value})
        if now > trade.pay_deadline:
            raise Conflict("订单已超过付款时限，请重新下单", code="MALL_TRADE_EXPIRED")
        subs = uow.mall_orders.of_trade(trade.id, lock=True)
        if use_vouchers and trade.voucher_amount.fen == 0 \
                and voucher_spending.hold(uow, rt.ids, trade, subs, today(rt), now).fen:
            if trade.pay_url:  # a code for the whole amount is out: it could still be paid (nothing is written)
                raise Conflict("该订单已生成付款码，不能再改用养老服务券；如需用券，请取消订单后重新下单",
                               code="MALL_PAY_CODE_ISSUED", details={"channel": trade.pay_channel})
            for sub in subs:
                uow.mall_orders.save(sub)
            uow.trades.save(trade)
        if trade.pay_url and trade.pay_channel == gateway.channel and not payer_openid:  # the same code again
            return _trade_view(uow, trade, principal, trade.pay_url)
        if trade.cash_due.fen == 0:  # the vouchers paid it all
            _confirm(rt, uow, trade, VOUCHER_CHANNEL, f"VOUCHER-{trade.number}", trade.cash_due, principal.actor, now)
            uow.commit()
            return _trade_view(uow, trade, principal)
        channel = gateway.channel
        charge = payment_service.charge(rt, trade, ChargeRequest(
            trade_number=trade.number, amount=trade.cash_due, description=f"医养康商城订单{trade.number}",
            channel=channel, payer_openid=payer_openid, expires_at=trade.pay_deadline, placed_at=trade.created_at))
        if charge.paid:
            # Our clock, not the provider's, stamps the payment: every deadline is measured on one clock.
            _confirm(rt, uow, trade, channel, charge.transaction_id, trade.cash_due, principal.actor, now)
        else:  # the payer scans the code; the money arrives by notification (receive_notice)
            trade.pay_channel, trade.pay_url = channel, charge.pay_url
            uow.trades.save(trade)
        uow.commit()
        return _trade_view(uow, trade, principal, charge.pay_url, charge.pay_params)


def confirm_payment(rt: Runtime, trade_number: str, transaction_id: str, amount: Money, channel: str) -> bool:
    """A provider's payment (支付回调 or the reconciliation's query, services/payments.py), its signature already
    checked by the adapter: records the payment once under the trade's lock (True), or recognises a repeat (False).
    An amount that differs is refused."""
    with rt.uow() as uow:
        uow.write_first()
        trade = uow.trades.by_number(trade_number)
        if trade is None:
            raise NotFound(TRADE_KIND, trade_number)
        fresh = _confirm(rt, uow, trade, channel, transaction_id, amount, Actor.system(f"payment-{channel}"),
                         rt.clock.now())
        uow.commit()
        return fresh


def _give_back_stock(uow: UnitOfWork, sub: SubOrder, units: Callable[[int], int] | None = None) -> None:
    if sub.fulfilment.is_goods:
        for ln in sub.lines:
            n = units(ln.line_no) if units else ln.quantity
            if n:
                uow.products.put_stock(ln.product_id, n)


def cancel_trade(rt: Runtime, principal: Principal, ident: str, reason: str = "") -> TradeView:
    """取消 an unpaid trade: every sub-order is cancelled and the stock comes back."""
    with rt.uow() as uow:
        uow.write_first()
        trade = load_trade(uow, principal, Operation.MALL_ORDER_CANCEL, ident, lock=True)
        _close(uow, trade, reason.strip()[:200] or "买家取消", principal.actor, rt.clock.now())
        payment_service.close_code(rt, trade)  # the payer must not pay a cancelled trade by its code
        uow.commit()
        return _trade_view(uow, trade, principal)


def _close(uow: UnitOfWork, trade: TradeOrder, reason: str, actor: Actor, at: datetime) -> None:
    if trade.status is not TradeStatus.UNPAID:
        raise Conflict("只有待付款的订单可以整单取消；已付款的订单请按子订单取消或申请售后",
                       code="MALL_TRADE_NOT_UNPAID", details={"status": trade.status.value})
    trade.close(reason, actor, at)
    subs = uow.mall_orders.of_trade(trade.id, lock=True)
    voucher_spending.release(uow, trade, subs, at)
    uow.trades.save(trade)
    for sub in subs:
        if sub.status is SubStatus.PENDING_PAYMENT:
            sub.cancel_unpaid(reason, actor, at)
            _give_back_stock(uow, sub)
            uow.mall_orders.save(sub)


def close_unpaid(rt: Runtime) -> int:
    """Close the unpaid trades past their payment deadline (a job; safe to re-run)."""
    now, closed = rt.clock.now(), 0
    with rt.uow() as uow:
        due = uow.trades.unpaid_due(now)
    for ident in due:
        with rt.uow() as uow:
            uow.write_first()
            trade = uow.trades.lock(ident)
            if trade is not None and trade.status is TradeStatus.UNPAID:
                _close(uow, trade, "超时未付款，订单自动关闭", UNPAID_CLOSER, now)
                uow.commit()
                closed += 1
    return closed


def refund_money(rt: Runtime, uow: UnitOfWork, sub: SubOrder, amounts: Mapping[int, Money], refund_number: str,
                 reason: str) -> str:
    """Send `amounts` (line number → amount) of a sub-order back where each line's money came from — its
    vouchers and the payment channel, in proportion — and return the refund's id at the provider ("" when no
    cash moves: a gift given back, or a part the vouchers paid)."""
    if not any(a.fen for a in amounts.values()):
        return ""
    trade = uow.trades.get(sub.trade_id)
    assert trade is not None
    now = rt.clock.now()
    cash = voucher_spending.refund(uow, sub, {n: a for n, a in amounts.items() if a.fen}, refund_number, now)
    if cash.fen == 0:
        return ""
    result = payment_service.refund(rt, uow, trade, RefundRequest(
        trade_number=trade.number, transaction_id=trade.transaction_id, refund_number=refund_number, amount=cash,
        total=trade.cash_due, reason=reason))
    if not result.succeeded:
        raise Conflict(f"退款失败：{result.message}", code="MALL_REFUND_FAILED")
    book_refund(uow, f"refund:{refund_number}", trade.pay_channel, sub.institution_id, cash, now)
    return result.refund_id


def pay_url(rt: Runtime, principal: Principal, ident: str) -> str:
    """What the payer scans for a trade waiting for its payment (a back-office order shown as a QR code)."""
    with rt.uow() as uow:
        trade = load_trade(uow, principal, Operation.MALL_ORDER_READ, ident)
        if trade.status is not TradeStatus.UNPAID or not trade.pay_url:
            raise Conflict("该订单没有待扫码的付款码，请先发起支付", code="MALL_NO_PAY_CODE")
        return trade.pay_url


def get_trade(rt: Runtime, principal: Principal, ident: str) -> TradeView:
    with rt.uow() as uow:
        return _trade_view(uow, load_trade(uow, principal, Operation.MALL_ORDER_READ, ident), principal)


def list_trades(rt: Runtime, principal: Principal, page: PageRequest, *, status: TradeStatus | None = None,
                elder_id: str | None = None) -> Page[TradeView]:
    vis = visibility(principal, Operation.MALL_ORDER_READ)
    if principal.role not in (Role.ELDER, Role.FAMILY, Role.PLATFORM_OPERATOR):
        vis = Visibility(account_id=principal.account_id)  # staff and admins: the trades they placed
    with rt.uow() as uow:
        found = uow.trades.list(vis, page, status=status, elder_id=elder_id)
        return found.map(lambda t: _trade_view(uow, t, principal))
