"""Mall orders (M-05, A-05, P-01, P-02): a trade order (交易单: one checkout, one payment) split into
sub-orders (子订单), one per institution and fulfilment type.

Sub-order states by fulfilment type (every sub-order starts pending payment):

    home visit  pending_dispatch ─dispatch─▶ dispatched ─start (核销码)─▶ in_service ─complete─▶ completed
                      ▲ return (返单) ─────────────┘ (re-dispatch keeps the state)
    in store    pending_use ─verify (核销, part of the units or all)─▶ completed
    delivery    pending_shipment ─ship (part or all)─▶ shipped ─confirm delivery─▶ completed
    pickup      pending_pickup ─verify (核销码)─▶ completed

A sub-order not yet started may be cancelled (its lines refunded); one whose every unit was refunded or
returned is closed. Lines count units: fulfilled, shipped, cancelled (refunded before fulfilment) and
returned, and money: paid, refunded and reserved by after-sales requests still open. So partial
fulfilment and partial refunds are plain arithmetic, and refunded + reserved never exceeds paid."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define, field, frozen

from yiyangkang.domain.kernel.errors import Conflict, FieldError, InvalidTransition, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.masking import mask_address, mask_name, mask_phone
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.config import Place
from yiyangkang.domain.mall.pricing import PricedLine, gifts_earned, unit_refund
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.domain.quality.exceptions import Timeline


class TradeStatus(StrEnum):
    UNPAID = "unpaid"  # 待付款
    PAID = "paid"  # 已付款
    CLOSED = "closed"  # 已关闭（未付款取消或超时）


TRADE_STATUS_LABELS = {TradeStatus.UNPAID: "待付款", TradeStatus.PAID: "已付款", TradeStatus.CLOSED: "已关闭"}
TRADE_LIFECYCLE = Lifecycle.of("mall_trade", {TradeStatus.UNPAID: {TradeStatus.PAID, TradeStatus.CLOSED}})


class SubStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # 待付款
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 待上门
    IN_SERVICE = "in_service"  # 服务中
    PENDING_USE = "pending_use"  # 待核销（到店）
    PENDING_SHIPMENT = "pending_shipment"  # 待发货
    SHIPPED = "shipped"  # 待收货
    PENDING_PICKUP = "pending_pickup"  # 待自提
    COMPLETED = "completed"  # 已完成
    CANCELLED = "cancelled"  # 已取消
    CLOSED = "closed"  # 已关闭（全部退款/退货）


SUB_STATUS_LABELS = {
    SubStatus.PENDING_PAYMENT: "待付款", SubStatus.PENDING_DISPATCH: "待派单", SubStatus.DISPATCHED: "待上门",
    SubStatus.IN_SERVICE: "服务中", SubStatus.PENDING_USE: "待核销", SubStatus.PENDING_SHIPMENT: "待发货",
    SubStatus.SHIPPED: "待收货", SubStatus.PENDING_PICKUP: "待自提", SubStatus.COMPLETED: "已完成",
    SubStatus.CANCELLED: "已取消", SubStatus.CLOSED: "已关闭",
}
S = SubStatus
FIRST_STATE = {Fulfilment.HOME_VISIT: S.PENDING_DISPATCH, Fulfilment.IN_STORE: S.PENDING_USE,
               Fulfilment.DELIVERY: S.PENDING_SHIPMENT, Fulfilment.PICKUP: S.PENDING_PICKUP}
NOT_STARTED = frozenset({S.PENDING_DISPATCH, S.DISPATCHED, S.PENDING_USE, S.PENDING_SHIPMENT, S.PENDING_PICKUP})
SUB_LIFECYCLE = Lifecycle.of("mall_order", {
    S.PENDING_PAYMENT: {*FIRST_STATE.values(), S.CANCELLED},
    S.PENDING_DISPATCH: {S.DISPATCHED, S.CANCELLED, S.CLOSED},
    S.DISPATCHED: {S.PENDING_DISPATCH, S.IN_SERVICE, S.CANCELLED, S.CLOSED},
    S.IN_SERVICE: {S.COMPLETED, S.CLOSED},
    S.PENDING_USE: {S.COMPLETED, S.CANCELLED, S.CLOSED},
    S.PENDING_SHIPMENT: {S.SHIPPED, S.CANCELLED, S.CLOSED, S.COMPLETED},
    S.SHIPPED: {S.COMPLETED, S.CLOSED},
    S.PENDING_PICKUP: {S.COMPLETED, S.CANCELLED, S.CLOSED},
    S.COMPLETED: {S.CLOSED},
})
ZERO = Money(0)
VERIFY_QR_PREFIX = "yyk:verify:"  # a verification code as a QR payload: the prefix, then the 12 digits
# Where a verification code (核销码) is used, and what it does there.
VERIFIED_BY_CODE = {Fulfilment.HOME_VISIT, Fulfilment.IN_STORE, Fulfilment.PICKUP}


@frozen(kw_only=True)
class Destination:
    """Where a home visit goes or a parcel is sent: a snapshot of the elder's address at checkout."""

    region_code: str
    detail: str
    contact_name: str
    contact_phone: str
    location: GeoPoint | None = None

    def masked(self) -> dict[str, Any]:
        return {"region_code": self.region_code, "detail": mask_address(self.detail),
                "contact_name": mask_name(self.contact_name), "contact_phone": mask_phone(self.contact_phone)}


@define(kw_only=True)
class OrderLine:
    """One line of a sub-order and what became of its units and money."""

    line_no: int
    product_id: str
    name: str
    unit: str
    unit_price: Money
    quantity: int
    paid: Money  # the line's share of the payment (0 for gifts)
    standard_minutes: int | None = None
    package_id: str | None = None
    package_name: str = ""
    gift_rule_id: str | None = None
    gift_of: int | None = None  # a gift: the line whose units earned it
    gift_terms: tuple[int, int, int | None] | None = None  # buy N, get M, at most
    fulfilled: int = 0  # served, verified, delivered or picked up
    shipped: int = 0  # goods handed to the carrier
    cancelled: int = 0  # refunded before fulfilment: will not be fulfilled
    returned: int = 0  # sent back after shipment or pickup
    reserved_units: int = 0  # not yet fulfilled, held by refund requests still open
    reserved_returns: int = 0  # held by return requests still open
    refunded: Money = ZERO
    reserved: Money = ZERO  # held by after-sales requests still open
    voucher_paid: Money = ZERO  # the part of `paid` from elderly-care vouchers (the rest came in cash)
    voucher_refunded: Money = ZERO  # the part of `refunded` that went back to the vouchers
    cash_refunded: Money = ZERO  # the part of `refunded` that went back through the payment channel

    @property
    def gift(self) -> bool:
        return self.gift_rule_id is not None

    @property
    def kept(self) -> int:
        """Units the buyer keeps: not cancelled, not returned, not held by an open request."""
        return self.quantity - self.cancelled - self.returned - self.reserved_units - self.reserved_returns

    @property
    def refundable(self) -> Money:
        """What may still be asked back: paid, less refunded, less what open requests hold."""
        return self.paid - self.refunded - self.reserved

    @property
    def open_units(self) -> int:
        """Units still to fulfil (not cancelled, not yet fulfilled or shipped, not held by a request)."""
        return self.quantity - self.cancelled - max(self.fulfilled, self.shipped) - self.reserved_units

    @property
    def units_out(self) -> int:
        """Units the elder holds (shipped or picked up) that could still be returned."""
        return max(self.fulfilled, self.shipped) - self.returned - self.reserved_returns

    def refund_for(self, units: int) -> Money:
        """The default amount for `units` more units given back (cumulative floors: all units sum to paid)."""
        done = self.cancelled + self.returned + self.reserved_units + self.reserved_returns
        return min(unit_refund(self.paid, self.quantity, min(done, self.quantity - units), units), self.refundable)


@frozen(kw_only=True)
class Shipment:
    carrier: str  # 承运商, e.g. 顺丰速运
    tracking_no: str  # 运单号
    units: tuple[tuple[int, int], ...]  # (line_no, units)
    shipped_at: datetime
    edited_at: datetime | None = None


@define(slots=False, kw_only=True)
class TradeOrder(Aggregate):
    """交易单: one checkout of one elder, paid once; `sub_order_ids` are its parts."""

    kind = "mall_trade"

    number: str
    elder_id: str
    buyer_account_id: str  # who checked out: the elder, a family member, or staff (起单)
    on_behalf: bool = False  # 代下单 (起单) by staff or an admin
    institution_ids: tuple[str, ...]  # sellers (for scope: each seller sees its own sub-orders only)
    sub_order_ids: tuple[str, ...]
    list_total: Money  # before packages and gifts
    total: Money  # what is to be paid
    voucher_amount: Money = ZERO  # the part held from (and, once paid, spent from) elderly-care vouchers
    status: TradeStatus = TradeStatus.UNPAID
    pay_channel: str = ""
    pay_url: str = ""  # what the payer opens or scans (a Native code_url) while the payment is pending
    transaction_id: str = ""
    paid_at: datetime | None = None
    pay_deadline: datetime
    close_reason: str = ""
    remark: str = ""
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "total_fen": self.total.fen, "list_total_fen": self.list_total.fen,
                "on_behalf": self.on_behalf, "sub_orders": list(self.sub_order_ids)}

    @property
    def cash_due(self) -> Money:
        """What the payment channel must bring: the total less the vouchers."""
        return self.total - self.voucher_amount

    def mark_paid(self, channel: str, transaction_id: str, amount: Money, actor: Actor, at: datetime) -> bool:
        """Record the cash payment (`amount` = cash_due); False when it was already recorded (notifications
        repeat)."""
        if self.status is TradeStatus.PAID and self.transaction_id == transaction_id:
            return False
        if self.status is not TradeStatus.UNPAID:  # closed, or paid otherwise: this money is not ours to keep
            raise InvalidTransition(TRADE_LIFECYCLE.name, self.status.value, TradeStatus.PAID.value)
        if amount != self.cash_due:
            raise Conflict("支付金额与订单金额不符", code="MALL_PAYMENT_AMOUNT_MISMATCH",
                           details={"expected_fen": self.cash_due.fen, "paid_fen": amount.fen})
        TRADE_LIFECYCLE.move(self, TradeStatus.PAID, actor=actor, at=at, event="paid")
        self.pay_channel, self.transaction_id, self.paid_at = channel, transaction_id, at
        return True

    def close(self, reason: str, actor: Actor, at: datetime) -> None:
        TRADE_LIFECYCLE.move(self, TradeStatus.CLOSED, actor=actor, at=at, reason=reason, event="closed")
        self.close_reason = reason


@define(slots=False, kw_only=True)
class SubOrder(Aggregate):
    """子订单: the part of a trade that one institution fulfils in one way."""

    kind = "mall_order"

    number: str
    trade_id: str
    trade_number: str
    institution_id: str
    elder_id: str
    fulfilment: Fulfilment
    lines: list[OrderLine] = field(factory=list)
    status: SubStatus = SubStatus.PENDING_PAYMENT
    appointment_at: datetime | None = None  # services: 预约时间
    destination: Destination | None = None  # home visit and delivery
    place: Place | None = None  # in store and pickup: where to go (from the mall configuration)
    code: str | None = None  # 核销码, shown to the elder's side only (the document is sealed)
    code_hash: str | None = None  # its keyed hash, by which staff's typed code finds the order
    staff_id: str | None = None
    first_dispatched_at: datetime | None = None
    dispatched_at: datetime | None = None
    return_count: int = 0
    return_reason: str = ""
    started_at: datetime | None = None
    start_location: GeoPoint | None = None
    completed_at: datetime | None = None
    end_location: GeoPoint | None = None
    service_record: str = ""  # 服务记录 / 补录 notes and what was done
    shipments: list[Shipment] = field(factory=list)
    delivered_at: datetime | None = None
    paid_at: datetime | None = None
    cancel_reason: str = ""
    rated: bool = False
    remark: str = ""
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "fulfilment": self.fulfilment.value, "staff_id": self.staff_id,
                "lines": [[ln.product_id, ln.quantity, ln.paid.fen] for ln in self.lines],
                "appointment_at": self.appointment_at.isoformat() if self.appointment_at else None}

    @classmethod
    def lines_from(cls, priced: list[PricedLine]) -> list[OrderLine]:
        """Lines numbered from 1; a gift line points at the plain line of the product that earned it."""
        plain = {p.product_id: n for n, p in reversed(list(enumerate(priced, start=1)))
                 if p.package_id is None and p.gift_rule_id is None}
        return [OrderLine(line_no=n, product_id=p.product_id, name=p.name, unit=p.unit, unit_price=p.unit_price,
                          quantity=p.quantity, paid=p.amount, standard_minutes=p.standard_minutes,
                          package_id=p.package_id, package_name=p.package_name, gift_rule_id=p.gift_rule_id,
                          gift_of=plain.get(p.gift_for) if p.gift_for else None, gift_terms=p.gift_terms)
                for n, p in enumerate(priced, start=1)]

    # -- reading ---------------------------------------------------------------------------------
    @property
    def paid(self) -> Money:
        return sum((ln.paid for ln in self.lines), Money.zero())

    @property
    def refunded(self) -> Money:
        return sum((ln.refunded for ln in self.lines), Money.zero())

    @property
    def voucher_paid(self) -> Money:
        """The part of `paid` from elderly-care vouchers (each line keeps its own)."""
        return sum((ln.voucher_paid for ln in self.lines), Money.zero())

    @property
    def voucher_refunded(self) -> Money:
        return sum((ln.voucher_refunded for ln in self.lines), Money.zero())

    @property
    def cash_paid(self) -> Money:
        return self.paid - self.voucher_paid

    @property
    def cash_refunded(self) -> Money:
        return sum((ln.cash_refunded for ln in self.lines), Money.zero())


    @property
    def standard_minutes(self) -> int | None:
        """A visit's yardstick: the standard minutes of all its service units."""
        minutes = [ln.standard_minutes * (ln.quantity - ln.cancelled) for ln in self.lines if ln.standard_minutes]
        return sum(minutes) or None

    def line(self, line_no: int) -> OrderLine:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise ValidationFailed([FieldError("line_no", "订单中没有该商品行", "UNKNOWN_LINE")])

    def timeline(self) -> Timeline:
        """This order as the exception rules see it (home visits and parcels; not before payment). While an
        after-sales request holds units, the seller cannot proceed: the clocks of dispatch, arrival and
        shipping are not held against it. A parcel counts as shipped when its last open unit left."""
        unpaid = self.paid_at is None
        visit = self.fulfilment is Fulfilment.HOME_VISIT
        held = any(ln.reserved_units for ln in self.lines)
        shipping = self.fulfilment is Fulfilment.DELIVERY and not (held and self.status is S.PENDING_SHIPMENT)
        done_shipping = self.status is not S.PENDING_SHIPMENT and self.shipments
        return Timeline(
            cancelled=unpaid or self.status in (S.CANCELLED, S.CLOSED), created_at=self.paid_at or self.created_at,
            dispatched=visit and not held, scheduled_at=self.appointment_at,
            first_dispatched_at=self.first_dispatched_at, awaiting_dispatch=self.status is S.PENDING_DISPATCH,
            awaiting_arrival=self.status in (S.PENDING_DISPATCH, S.DISPATCHED),
            started_at=self.started_at, completed_at=self.completed_at if self.status is S.COMPLETED else None,
            standard_minutes=self.standard_minutes if visit else None,
            shipped=shipping, shipped_at=self.shipments[-1].shipped_at if done_shipping else (
                self.completed_at if self.status is S.COMPLETED else None),
        )

    # -- payment and cancellation ----------------------------------------------------------------
    def paid_now(self, actor: Actor, at: datetime) -> None:
        SUB_LIFECYCLE.move(self, FIRST_STATE[self.fulfilment], actor=actor, at=at, event="paid")
        self.paid_at = at

    def cancel_unpaid(self, reason: str, actor: Actor, at: datetime) -> None:
        SUB_LIFECYCLE.move(self, S.CANCELLED, actor=actor, at=at, reason=reason, event="cancelled")
        self.cancel_reason = reason

    def ensure_cancellable(self, at: datetime, deadline_minutes: int) -> None:
        """A paid sub-order may be cancelled while nothing of it has started: no unit verified or shipped,
        and for a home visit not within the deadline before the appointment."""
        if self.status not in NOT_STARTED or any(ln.fulfilled or ln.shipped for ln in self.lines):
            raise Conflict("订单已开始履约，不能取消，请申请售后", code="MALL_ORDER_NOT_CANCELLABLE",
                           details={"status": self.status.value})
        if any(ln.reserved.fen for ln in self.lines):
            raise Conflict("订单有处理中的售后申请，不能取消", code="MALL_ORDER_AFTER_SALE_OPEN")
        if (self.fulfilment is Fulfilment.HOME_VISIT and self.appointment_at is not None
                and at > self.appointment_at - timedelta(minutes=deadline_minutes)):
            raise Conflict(f"已超过取消截止时间（服务前{deadline_minutes}分钟），不能取消",
                           code="MALL_ORDER_CANCEL_DEADLINE_PASSED",
                           details={"appointment_at": self.appointment_at.isoformat()})

    def cancel_paid(self, reason: str, actor: Actor, at: datetime) -> Money:
        """Cancel a paid order not started: every line's open units are cancelled and its money refunded.
        Returns the amount to refund (the caller refunds it through the payment port)."""
        SUB_LIFECYCLE.move(self, S.CANCELLED, actor=actor, at=at, reason=reason, event="cancelled")
        amount = Money.zero()
        for ln in self.lines:
            amount += ln.paid - ln.refunded
            ln.cancelled, ln.refunded = ln.quantity - ln.returned, ln.paid
        self.cancel_reason = reason
        return amount

    # -- services ----------------------------------------------------------------------------------
    def _worker(self, staff_id: str | None) -> None:
        if staff_id is None or staff_id != self.staff_id:
            raise PermissionDenied("只有被派单的服务人员可以操作该订单", code="MALL_ORDER_NOT_YOURS")

    def _expect(self, *fulfilments: Fulfilment) -> None:
        if self.fulfilment not in fulfilments:
            raise Conflict("该操作不适用于此类订单", code="MALL_ORDER_WRONG_FULFILMENT",
                           details={"fulfilment": self.fulfilment.value})

    def dispatch(self, staff_id: str, actor: Actor, at: datetime) -> None:
        """派单, or 改派 while dispatched and not started."""
        self._expect(Fulfilment.HOME_VISIT)
        if self.status is S.DISPATCHED:
            if staff_id != self.staff_id:
                before, self.staff_id, self.dispatched_at = self.staff_id, staff_id, at
                self.note("redispatched", actor, at, before={"staff_id": before}, after={"staff_id": staff_id})
            return
        SUB_LIFECYCLE.move(self, S.DISPATCHED, actor=actor, at=at, event="dispatched")
        self.staff_id, self.dispatched_at = staff_id, at
        self.first_dispatched_at = self.first_dispatched_at or at
        self.note("assigned", actor, at, after={"staff_id": staff_id})

    def return_to_pool(self, staff_id: str | None, reason: str, actor: Actor, at: datetime) -> None:
        """返单: the worker hands the visit back; it waits for dispatch again."""
        self._worker(staff_id)
        SUB_LIFECYCLE.move(self, S.PENDING_DISPATCH, actor=actor, at=at, reason=reason, event="returned")
        self.staff_id, self.dispatched_at = None, None
        self.return_count, self.return_reason = self.return_count + 1, reason

    def start(self, staff_id: str | None, location: GeoPoint | None, actor: Actor, at: datetime) -> None:
        """开始服务 (签到) at the door, after the elder's verification code checked out. Not while a refund
        request holds units of the visit: it is decided first (a visit refunded as never served must not
        have been served)."""
        self._worker(staff_id)
        if any(ln.reserved_units for ln in self.lines):
            raise Conflict("订单有处理中的退款申请，请先处理售后再开始服务", code="MALL_ORDER_AFTER_SALE_OPEN")
        SUB_LIFECYCLE.move(self, S.IN_SERVICE, actor=actor, at=at, event="started")
        self.started_at, self.start_location = at, location

    def complete(self, staff_id: str | None, record: str, location: GeoPoint | None, actor: Actor,
                 at: datetime) -> None:
        """完成服务 (签出) with what was done; every open unit is fulfilled."""
        self._worker(staff_id)
        if self.status is not S.IN_SERVICE:
            raise InvalidTransition(SUB_LIFECYCLE.name, self.status.value, S.COMPLETED.value)
        for ln in self.lines:
            ln.fulfilled += ln.open_units
        SUB_LIFECYCLE.move(self, S.COMPLETED, actor=actor, at=at, event="completed")
        self.completed_at, self.end_location, self.service_record = at, location, record

    def supplement(self, record: str, actor: Actor, at: datetime) -> None:
        """补录: add to the service record afterwards (kept with who and when in the history)."""
        self._expect(Fulfilment.HOME_VISIT, Fulfilment.IN_STORE)
        if self.status not in (S.IN_SERVICE, S.COMPLETED):
            raise Conflict("只能补录已开始或已完成的服务", code="MALL_ORDER_NOT_SERVED")
        before = self.service_record
        self.service_record = f"{before}\n{record}".strip() if before else record
        self.note("supplemented", actor, at, before={"record": before}, after={"record": self.service_record})

    def verify(self, units: dict[int, int] | None, actor: Actor, at: datetime) -> dict[int, int]:
        """核销 in store or at pickup: `units` per line (all open units when None). Completes the sub-order
        when nothing is left to fulfil. Returns what was verified."""
        self._expect(Fulfilment.IN_STORE, Fulfilment.PICKUP)
        if self.status not in (S.PENDING_USE, S.PENDING_PICKUP):
            raise Conflict("该订单当前不能核销", code="MALL_ORDER_NOT_VERIFIABLE",
                           details={"status": self.status.value})
        wanted = units if units is not None else {ln.line_no: ln.open_units for ln in self.lines}
        checks: list[FieldError] = []
        for line_no, n in wanted.items():
            ln = self.line(line_no)
            if not 0 <= n <= ln.open_units:
                checks.append(FieldError(f"units.{line_no}", f"核销数量应在0至{ln.open_units}之间", "OUT_OF_RANGE"))
        if checks:
            raise ValidationFailed(checks)
        done = {k: v for k, v in wanted.items() if v > 0}
        if not done:
            raise Conflict("没有可核销的数量", code="MALL_NOTHING_TO_VERIFY")
        for line_no, n in done.items():
            self.line(line_no).fulfilled += n
        self.note("verified", actor, at, after={"units": {str(k): v for k, v in done.items()}})
        self.started_at = self.started_at or at
        self._settle(actor, at)
        return done

    # -- goods -----------------------------------------------------------------------------------
    def ship(self, carrier: str, tracking_no: str, units: dict[int, int] | None, actor: Actor, at: datetime) -> None:
        """发货: some or all open units with one carrier and tracking number."""
        self._expect(Fulfilment.DELIVERY)
        if self.status is not S.PENDING_SHIPMENT:
            raise InvalidTransition(SUB_LIFECYCLE.name, self.status.value, S.SHIPPED.value)
        wanted = units if units is not None else {ln.line_no: ln.open_units for ln in self.lines}
        errors = [FieldError(f"units.{k}", f"发货数量应在0至{self.line(k).open_units}之间", "OUT_OF_RANGE")
                  for k, n in wanted.items() if not 0 <= n <= self.line(k).open_units]
        if errors:
            raise ValidationFailed(errors)
        sent = tuple((k, n) for k, n in sorted(wanted.items()) if n > 0)
        if not sent:
            raise Conflict("没有可发货的数量", code="MALL_NOTHING_TO_SHIP")
        for k, n in sent:
            self.line(k).shipped += n
        self.shipments.append(Shipment(carrier=carrier, tracking_no=tracking_no, units=sent, shipped_at=at))
        self.note("shipped", actor, at, after={"carrier": carrier, "tracking_no": tracking_no,
                                               "units": [list(u) for u in sent]})
        if all(ln.open_units == 0 for ln in self.lines) and not any(ln.reserved_units for ln in self.lines):
            SUB_LIFECYCLE.move(self, S.SHIPPED, actor=actor, at=at, event="all_shipped")

    def edit_logistics(self, index: int, carrier: str, tracking_no: str, actor: Actor, at: datetime) -> None:
        """修改物流: correct the carrier or tracking number of a shipment."""
        if not 0 <= index < len(self.shipments):
            raise ValidationFailed([FieldError("index", "没有该发货记录", "UNKNOWN_SHIPMENT")])
        if self.status not in (S.PENDING_SHIPMENT, S.SHIPPED):
            raise Conflict("订单已签收或关闭，不能修改物流", code="MALL_ORDER_LOGISTICS_LOCKED")
        old = self.shipments[index]
        self.shipments[index] = Shipment(carrier=carrier, tracking_no=tracking_no, units=old.units,
                                         shipped_at=old.shipped_at, edited_at=at)
        self.note("logistics_edited", actor, at, before={"carrier": old.carrier, "tracking_no": old.tracking_no},
                  after={"carrier": carrier, "tracking_no": tracking_no})

    def confirm_delivery(self, actor: Actor, at: datetime) -> None:
        """确认收货: by the elder (or for them by staff), or automatically after a while."""
        self._expect(Fulfilment.DELIVERY)
        if self.status is not S.SHIPPED:
            raise InvalidTransition(SUB_LIFECYCLE.name, self.status.value, S.COMPLETED.value)
        for ln in self.lines:
            ln.fulfilled = ln.shipped
        SUB_LIFECYCLE.move(self, S.COMPLETED, actor=actor, at=at, event="delivered")
        self.delivered_at = self.completed_at = at

    # -- after-sales -----------------------------------------------------------------------------
    def reserve(self, line_no: int, units: int, amount: Money, returning: bool) -> OrderLine:
        """Hold `amount` (and `units`) of a line for a new after-sales request; refuses what would exceed."""
        ln = self.line(line_no)
        if not returning and units and self.status is S.IN_SERVICE:
            raise Conflict("服务进行中，请在服务完成后再申请售后", code="MALL_ORDER_IN_SERVICE")
        limit = ln.units_out if returning else ln.open_units
        errors = []
        if not 0 <= units <= limit:
            errors.append(FieldError("quantity", f"{'退货' if returning else '退款'}数量应在0至{limit}之间",
                                     "OUT_OF_RANGE"))
        free = ln.paid.fen == 0  # a gift or a free line goes back for nothing
        if (amount.fen != 0 or units == 0) if free else (amount.fen <= 0 or amount > ln.refundable):
            errors.append(FieldError("amount", f"退款金额应大于0且不超过可退金额{ln.refundable}",
                                     "REFUND_EXCEEDS_PAID"))
        if errors:
            raise ValidationFailed(errors)
        for gift in self.lines:  # what earned a gift goes back only after the gift it no longer earns
            terms = gift.gift_terms
            if gift.gift_of == line_no and terms is not None and gift.kept > gifts_earned(terms, ln.kept - units):
                raise Conflict(f"该商品参与买赠，请先申请退回赠品“{gift.name}”", code="MALL_RETURN_GIFT_FIRST",
                               details={"gift_line_no": gift.line_no})
        if returning:
            ln.reserved_returns += units
        else:
            ln.reserved_units += units
        ln.reserved += amount
        return ln

    def release(self, line_no: int, units: int, amount: Money, returning: bool) -> None:
        ln = self.line(line_no)
        if returning:
            ln.reserved_returns -= units
        else:
            ln.reserved_units -= units
        ln.reserved -= amount

    def refund_settled(self, line_no: int, units: int, amount: Money, returning: bool, actor: Actor,
                       at: datetime) -> None:
        """A request's refund went through: its hold becomes refunded (units cancelled or returned)."""
        ln = self.line(line_no)
        self.release(line_no, units, amount, returning)
        ln.refunded += amount
        if returning:
            ln.returned += units
        else:
            ln.cancelled += units
        self.note("refunded", actor, at, after={"line_no": line_no, "units": units, "amount_fen": amount.fen})
        self._settle(actor, at)

    def _settle(self, actor: Actor, at: datetime) -> None:
        """Move on when the units say so: all gone → closed; nothing left to verify/ship → completed/shipped."""
        if self.status in (S.CANCELLED, S.CLOSED, S.PENDING_PAYMENT):
            return
        if all(ln.cancelled + ln.returned >= ln.quantity for ln in self.lines):
            SUB_LIFECYCLE.move(self, S.CLOSED, actor=actor, at=at, event="closed")
            return
        if any(ln.open_units or ln.reserved_units for ln in self.lines):
            return
        if self.status in (S.PENDING_USE, S.PENDING_PICKUP):
            SUB_LIFECYCLE.move(self, S.COMPLETED, actor=actor, at=at, event="completed")
            self.completed_at = at
        elif self.status is S.PENDING_SHIPMENT and any(ln.shipped for ln in self.lines):
            SUB_LIFECYCLE.move(self, S.SHIPPED, actor=actor, at=at, event="all_shipped")
