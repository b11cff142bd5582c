"""Mall sub-orders, after-sales and product review, on the pure domain (M-05, A-01…A-03, A-07, P-01, P-02).

A state machine drives one paid sub-order (built from priced lines: plain lines, a package, gifts) of a
random fulfilment type through random commands: after-sales requests (refund or return of random units
and amounts, accepted or refused) that are then approved, rejected, withdrawn or received; verification
(in store, pickup), shipping and delivery, dispatch and service (home visits), cancellation, and misuse
(commands meant for another fulfilment type or another worker). After every step:

- money: per line refunded + reserved ≤ paid, never negative, reserved = what the open requests hold;
  the order's refunds are exactly what the settled requests and the cancellation paid back;
- units: cancelled + returned ≤ quantity; fulfilled and shipped ≤ quantity; open units and units out
  never negative;
- status: closed (or cancelled) exactly when every unit was cancelled or returned;
- a refused command (ValidationFailed, Conflict, InvalidTransition, PermissionDenied) changes nothing
  and records no event.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from attrs import asdict, evolve
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from yiyangkang.domain.kernel.errors import Conflict, DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.mall.aftersales import OPEN_AFTER_SALE, AfterSale, AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.catalogue import Fulfilment, Product, ProductContent
from yiyangkang.domain.mall.offers import BuyGiftRule, PackageItem, ServicePackage
from yiyangkang.domain.mall.orders import FIRST_STATE, NOT_STARTED, Destination, SubOrder, SubStatus
from yiyangkang.domain.mall.pricing import Priced, PricedLine, gift_lines, gifts_earned, package_lines, plain_line
from yiyangkang.domain.mall.review import ReviewState
from yiyangkang.domain.orgs.institutions import GeoPoint

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
INSTITUTION = "inst-yuexiu"
BUYER = Actor(id="acct-family-01", role="family")
SELLER = Actor(id="acct-seller-01", role="institution_admin")
REVIEWER = Actor(id="acct-operator", role="platform_operator")
STAFF_IDS = ("staff-1", "staff-2")
WHO = ("assigned", "assigned", "other", "nobody")  # who calls a worker's command (mostly the right one)
DEADLINE_MINUTES = 120
S = SubStatus
A = AfterSaleStatus
GONE = frozenset({S.CLOSED, S.CANCELLED})
STATES = {  # where each fulfilment type may ever be once paid
    Fulfilment.HOME_VISIT: {S.PENDING_DISPATCH, S.DISPATCHED, S.IN_SERVICE, S.COMPLETED, S.CANCELLED, S.CLOSED},
    Fulfilment.IN_STORE: {S.PENDING_USE, S.COMPLETED, S.CANCELLED, S.CLOSED},
    Fulfilment.DELIVERY: {S.PENDING_SHIPMENT, S.SHIPPED, S.COMPLETED, S.CANCELLED, S.CLOSED},
    Fulfilment.PICKUP: {S.PENDING_PICKUP, S.COMPLETED, S.CANCELLED, S.CLOSED},
}
MACHINE_SETTINGS = settings(max_examples=80, stateful_step_count=50, deadline=None)
HOME = Destination(region_code="440104001", detail="东风中路1号3栋502", contact_name="李秀英",
                   contact_phone="13800138000", location=GeoPoint(113.26, 23.13))


def worker(staff_id: str | None) -> Actor:
    return Actor(id=f"acct-{staff_id or 'unknown'}", role="staff")


def state_of(obj: Aggregate) -> dict[str, Any]:
    """Everything an aggregate holds, except the events not yet pulled."""
    return asdict(obj, filter=lambda attribute, _value: attribute.name != "_pending")


def attempt(obj: Aggregate, command: Callable[[], Any]) -> tuple[Any, DomainError | None]:
    """Run `command`; a refusal must leave `obj` exactly as it was and record nothing."""
    obj.pull_events()  # what earlier commands recorded
    before = state_of(obj)
    result, error = None, None
    try:
        result = command()
    except DomainError as caught:
        error = caught
    if error is None:
        obj.pull_events()
        return result, None
    assert state_of(obj) == before, f"the refused command ({error.code}) changed {type(obj).__name__}"
    assert obj.pull_events() == [], f"the refused command ({error.code}) recorded events"
    return None, error


def refused(error: DomainError | None, kind: type[DomainError], code: str) -> DomainError:
    assert isinstance(error, kind), f"expected {kind.__name__}({code}), got {error!r}"
    assert error.code == code, error.code
    return error


def field_codes(error: DomainError | None) -> set[str]:
    assert isinstance(error, ValidationFailed), f"expected ValidationFailed, got {error!r}"
    return {e.code for e in error.errors}


# -- building orders -----------------------------------------------------------------------------------------------

def priced(ident: str, fen: int, fulfilment: Fulfilment, minutes: int | None = None) -> Priced:
    return Priced(id=ident, institution_id=INSTITUTION, fulfilment=fulfilment, name=f"商品{ident}", unit="次",
                  unit_price=Money(fen), standard_minutes=minutes if fulfilment.is_service else None)


def new_order(fulfilment: Fulfilment, lines: list[PricedLine], *, appointment_at: datetime | None = None) -> SubOrder:
    return SubOrder(id="order-1", number="DD2026030200001-1", trade_id="trade-1", trade_number="DD2026030200001",
                    institution_id=INSTITUTION, elder_id="elder-1", fulfilment=fulfilment,
                    lines=SubOrder.lines_from(lines), appointment_at=appointment_at,
                    destination=HOME if fulfilment in (Fulfilment.HOME_VISIT, Fulfilment.DELIVERY) else None,
                    created_at=T0)


def paid_order(fulfilment: Fulfilment, lines: list[PricedLine], *, appointment_at: datetime | None = None,
               at: datetime = T0) -> SubOrder:
    order = new_order(fulfilment, lines, appointment_at=appointment_at)
    order.paid_now(BUYER, at)
    order.pull_events()
    return order


@st.composite
def cart_lines(draw: st.DrawFn, fulfilment: Fulfilment) -> list[PricedLine]:
    """One institution's lines of one fulfilment type: plain lines, maybe a package, maybe a gift."""
    products = {f"p{i}": priced(f"p{i}", max(0, draw(st.integers(-5_000, 50_000), label=f"price p{i}")), fulfilment,
                                draw(st.sampled_from([None, 30, 60]), label=f"minutes p{i}")) for i in range(3)}
    ids = st.sampled_from(sorted(products))
    lines = [plain_line(products[p], q) for p, q in
             draw(st.lists(st.tuples(ids, st.integers(1, 4)), min_size=1, max_size=3), label="plain")]
    if draw(st.booleans(), label="a package"):
        items = draw(st.lists(st.tuples(ids, st.integers(1, 2)), min_size=1, max_size=2), label="package items")
        package = ServicePackage(id="pkg-1", institution_id=INSTITUTION, created_by=SELLER.id, created_at=T0,
                                 name="护理套餐", items=tuple(PackageItem(p, q) for p, q in items),
                                 price=Money(draw(st.integers(0, 60_000), label="package price")),
                                 review=ReviewState.APPROVED)
        lines += package_lines(package, draw(st.integers(1, 2), label="times"), products)
    if draw(st.booleans(), label="a gift rule"):
        rule = BuyGiftRule(id="rule-1", institution_id=INSTITUTION, created_by=SELLER.id, created_at=T0, name="买2赠1",
                           buy_product_id=lines[0].product_id, buy_quantity=2, gift_product_id=draw(ids, label="gift"),
                           gift_quantity=1, max_gifts_per_order=2, valid_from=T0.date(), valid_until=T0.date(),
                           review=ReviewState.APPROVED)
        lines += gift_lines(lines, [rule], products, T0.date())
    return lines


def some_units(order: SubOrder) -> st.SearchStrategy[dict[int, int] | None]:
    """Units per line to verify or ship: every open unit (None), mostly a fitting number, now and then too
    many or a line the order does not have."""
    fitting = st.one_of(*(st.tuples(st.just(ln.line_no), st.integers(0, ln.open_units)) for ln in order.lines))
    wrong = st.tuples(st.integers(1, len(order.lines) + 1), st.integers(0, 5))
    pairs = st.lists(st.sampled_from([0, 0, 0, 1]).flatmap(lambda k: wrong if k else fitting), max_size=3)
    return st.integers(0, 3).flatmap(lambda k: pairs.map(dict) if k else st.none())


# -- 1. one paid sub-order through random commands -----------------------------------------------------------------

class SubOrderMachine(RuleBasedStateMachine):
    """M-05, A-07, P-01, P-02: fulfilment and after-sales of one paid sub-order keep its units and money whole."""

    def __init__(self) -> None:
        super().__init__()
        self.now = T0
        self.order: SubOrder
        self.open: list[AfterSale] = []  # after-sales requests still holding money (and units) on a line
        self.settled = Money.zero()  # what settled requests refunded
        self.cancelled_refund = Money.zero()  # what the cancellation refunded
        self.requests = 0

    @initialize(data=st.data())
    def place_and_pay(self, data: st.DataObject) -> None:
        fulfilment = data.draw(st.sampled_from(Fulfilment), label="fulfilment")
        lines = data.draw(cart_lines(fulfilment), label="lines")
        appointment = T0 + timedelta(hours=30) if fulfilment is Fulfilment.HOME_VISIT else None
        self.order = new_order(fulfilment, lines, appointment_at=appointment)
        order = self.order
        assert [ln.line_no for ln in order.lines] == list(range(1, len(lines) + 1))
        assert [(ln.product_id, ln.quantity, ln.paid, ln.gift_rule_id, ln.package_id) for ln in order.lines] == [
            (p.product_id, p.quantity, p.amount, p.gift_rule_id, p.package_id) for p in lines]
        assert order.timeline().cancelled  # unpaid: the exception rules ignore it
        self.now += timedelta(minutes=5)
        _, error = attempt(order, lambda: order.paid_now(BUYER, self.now))
        assert error is None and order.status is FIRST_STATE[fulfilment] and order.paid_at == self.now

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _run(self, command: Callable[[], Any]) -> tuple[Any, DomainError | None]:
        return attempt(self.order, command)

    def _staff(self, who: str) -> str | None:
        staff: dict[str, str | None] = {"assigned": self.order.staff_id, "other": "staff-other", "nobody": None}
        return staff[who]

    def _settle(self, item: AfterSale) -> None:
        order = self.order
        _, error = self._run(lambda: order.refund_settled(item.line_no, item.quantity, item.amount, item.returning,
                                                          SELLER, self.now))
        assert error is None, error
        item.refunded(f"RF{item.number}", self.now)
        self.open.remove(item)
        self.settled += item.amount

    def _release(self, item: AfterSale) -> None:
        order = self.order
        _, error = self._run(lambda: order.release(item.line_no, item.quantity, item.amount, item.returning))
        assert error is None, error
        self.open.remove(item)

    # -- rules -----------------------------------------------------------------------------------------------------
    @rule(minutes=st.integers(1, 12 * 60))
    def tick(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @rule(data=st.data())
    def request(self, data: st.DataObject) -> None:
        """A-07, P-01, P-02: hold money (and units) of a line for a new refund or return request."""
        order = self.order
        fitting = data.draw(st.integers(0, 3), label="fitting") > 0  # mostly a request the line can hold
        returning = data.draw(st.booleans(), label="returning")
        if fitting:
            returning = returning and any(ln.units_out for ln in order.lines)
            lines = [ln for ln in order.lines if ln.refundable.fen and (ln.units_out or not returning)]
            if not lines:
                return
            line_no = data.draw(st.sampled_from([ln.line_no for ln in lines]), label="line")
        else:
            line_no = data.draw(st.integers(1, len(order.lines) + 1), label="line")
        if line_no > len(order.lines):
            _, error = self._run(lambda: order.reserve(line_no, 1, Money(1), returning))
            assert field_codes(error) == {"UNKNOWN_LINE"}
            return
        ln = order.line(line_no)
        limit = ln.units_out if returning else ln.open_units
        refundable = ln.refundable
        units = data.draw(st.integers(0, limit) if fitting else st.integers(0, ln.quantity + 1), label="units")
        if 1 <= units <= ln.quantity and data.draw(st.booleans(), label="default amount"):
            amount = ln.refund_for(units)  # what the use case asks when the buyer names no amount
        elif fitting:
            amount = Money(data.draw(st.integers(1, refundable.fen), label="amount fen"))
        else:
            amount = Money(data.draw(st.sampled_from([refundable.fen, refundable.fen + 1, 0, -1, 1]),
                                     label="amount fen"))
        self._hold(line_no, units, amount, returning)

    def _hold(self, line_no: int, units: int, amount: Money, returning: bool) -> AfterSale | None:
        """order.reserve, checked against the model; the new request when it was accepted."""
        order = self.order
        ln = order.line(line_no)
        limit = ln.units_out if returning else ln.open_units
        held, refundable = (ln.reserved, ln.reserved_units, ln.reserved_returns), ln.refundable
        bad_units = not 0 <= units <= limit
        free = ln.paid.fen == 0  # a gift (or a free line) goes back for nothing, and only as units
        bad_amount = (amount.fen != 0 or units == 0) if free else (amount.fen <= 0 or amount > refundable)
        gift_first = any(g.gift_of == line_no and g.gift_terms is not None
                         and g.kept > gifts_earned(g.gift_terms, ln.kept - units) for g in order.lines)
        result, error = self._run(lambda: order.reserve(line_no, units, amount, returning))
        if not returning and units and order.status is S.IN_SERVICE:  # decided after the visit, not during it
            refused(error, Conflict, "MALL_ORDER_IN_SERVICE")
            return None
        if bad_units or bad_amount:
            expected = ({"OUT_OF_RANGE"} if bad_units else set()) | ({"REFUND_EXCEEDS_PAID"} if bad_amount else set())
            assert field_codes(error) == expected
            return None
        if gift_first:  # what earned a gift goes back only after the gift
            refused(error, Conflict, "MALL_RETURN_GIFT_FIRST")
            return None
        assert error is None and result is ln
        assert (ln.reserved, ln.reserved_units, ln.reserved_returns) == (
            held[0] + amount, held[1] + (0 if returning else units), held[2] + (units if returning else 0))
        self.requests += 1
        item = AfterSale(id=f"as-{self.requests}", number=f"SH{self.requests:05d}", sub_order_id=order.id,
                         sub_order_number=order.number, trade_id=order.trade_id, institution_id=INSTITUTION,
                         elder_id=order.elder_id, line_no=line_no, product_name=ln.name,
                         type=AfterSaleKind.RETURN if returning else AfterSaleKind.REFUND, quantity=units,
                         amount=amount, reason="不需要了", requested_by=BUYER.id, created_at=self.now)
        item.record_created(BUYER, self.now, name="requested")
        self.open.append(item)
        return item

    @rule(data=st.data())
    def give_back_a_line(self, data: st.DataObject) -> None:
        """P-01, P-02 in one go: every unit of a line still open (refund) or out (return) asked back at the
        default amount, approved at once, the goods received: so that orders get closed."""
        order = self.order
        lines = [ln for ln in order.lines if ln.refundable.fen and (ln.open_units or ln.units_out)]
        if not lines:
            return
        ln = data.draw(st.sampled_from(lines), label="line")
        returning = ln.units_out > 0 and (ln.open_units == 0 or data.draw(st.booleans(), label="returning"))
        units = ln.units_out if returning else ln.open_units
        item = self._hold(ln.line_no, units, ln.refund_for(units), returning)
        if item is None:
            return  # the default amount came to 0 fen (all of the line's money already held or refunded)
        if not item.approve("同意", SELLER, self.now):
            item.received(SELLER, self.now)
        self._settle(item)

    @precondition(lambda self: bool(self.open))
    @rule(data=st.data(), action=st.sampled_from(["approve", "reject", "withdraw", "receive"]))
    def decide(self, data: st.DataObject, action: str) -> None:
        """A-07: the seller approves (money now, or goods first), rejects, or the buyer withdraws."""
        item = data.draw(st.sampled_from(self.open), label="request")
        status = item.status
        allowed = {"approve": status is A.PENDING, "reject": status is A.PENDING, "withdraw": status in OPEN_AFTER_SALE,
                   "receive": status is A.AWAITING_RETURN}[action]
        commands: dict[str, Callable[[], object]] = {
            "approve": lambda: item.approve("同意", SELLER, self.now),
            "reject": lambda: item.reject("已服务完毕", SELLER, self.now),
            "withdraw": lambda: item.withdraw(BUYER, self.now),
            "receive": lambda: item.received(SELLER, self.now),
        }
        before = state_of(self.order)
        if action == "receive" and status is A.PENDING:
            return  # accepted today, though nothing was approved: see test_goods_are_received_only_after_approval
        if not allowed:
            with pytest.raises(InvalidTransition):
                commands[action]()
            assert item.status is status and state_of(self.order) == before
            return
        money_now = commands[action]()
        if action == "approve":
            assert money_now is (not (item.returning and item.quantity))
            if money_now:
                assert item.status is A.REFUNDED
                self._settle(item)
            else:
                assert item.status is A.AWAITING_RETURN and state_of(self.order) == before
        elif action == "receive":
            assert item.status is A.REFUNDED
            self._settle(item)
        else:
            assert item.status is (A.REJECTED if action == "reject" else A.WITHDRAWN)
            self._release(item)

    @precondition(lambda self: self.order.fulfilment in (Fulfilment.IN_STORE, Fulfilment.PICKUP))
    @rule(data=st.data())
    def verify(self, data: st.DataObject) -> None:
        """核销 in store or at pickup: some units of some lines, or every open unit."""
        order = self.order
        units = data.draw(some_units(order), label="units")
        open_units = {ln.line_no: ln.open_units for ln in order.lines}
        fulfilled = {ln.line_no: ln.fulfilled for ln in order.lines}
        status = order.status
        result, error = self._run(lambda: order.verify(units, worker("staff-1"), self.now))
        wanted = units if units is not None else open_units
        if status not in (S.PENDING_USE, S.PENDING_PICKUP):
            refused(error, Conflict, "MALL_ORDER_NOT_VERIFIABLE")
        elif any(k not in open_units for k in wanted):
            assert field_codes(error) == {"UNKNOWN_LINE"}
        elif any(not 0 <= n <= open_units[k] for k, n in wanted.items()):
            assert field_codes(error) == {"OUT_OF_RANGE"}
        elif not any(wanted.values()):
            refused(error, Conflict, "MALL_NOTHING_TO_VERIFY")
        else:
            assert error is None and result == {k: n for k, n in wanted.items() if n}
            assert {ln.line_no: ln.fulfilled for ln in order.lines} == {
                k: fulfilled[k] + wanted.get(k, 0) for k in fulfilled}
            assert order.started_at is not None
            done = not any(ln.open_units or ln.reserved_units for ln in order.lines)
            assert order.status is (S.COMPLETED if done else status)

    @precondition(lambda self: self.order.fulfilment is Fulfilment.DELIVERY)
    @rule(data=st.data())
    def ship(self, data: st.DataObject) -> None:
        """发货: some or all open units with one tracking number."""
        order = self.order
        units = data.draw(some_units(order), label="units")
        open_units = {ln.line_no: ln.open_units for ln in order.lines}
        shipped = {ln.line_no: ln.shipped for ln in order.lines}
        status, parcels = order.status, len(order.shipments)
        _, error = self._run(lambda: order.ship("顺丰速运", f"SF{parcels + 1:010d}", units, SELLER, self.now))
        wanted = units if units is not None else open_units
        if status is not S.PENDING_SHIPMENT:
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
        elif any(k not in open_units for k in wanted):
            assert field_codes(error) == {"UNKNOWN_LINE"}
        elif any(not 0 <= n <= open_units[k] for k, n in wanted.items()):
            assert field_codes(error) == {"OUT_OF_RANGE"}
        elif not any(wanted.values()):
            refused(error, Conflict, "MALL_NOTHING_TO_SHIP")
        else:
            assert error is None
            assert {ln.line_no: ln.shipped for ln in order.lines} == {k: shipped[k] + wanted.get(k, 0) for k in shipped}
            assert len(order.shipments) == parcels + 1
            assert order.shipments[-1].units == tuple((k, n) for k, n in sorted(wanted.items()) if n)
            all_out = not any(ln.open_units or ln.reserved_units for ln in order.lines)
            assert order.status is (S.SHIPPED if all_out else S.PENDING_SHIPMENT)

    @precondition(lambda self: self.order.fulfilment is Fulfilment.DELIVERY)
    @rule()
    def confirm_delivery(self) -> None:
        """确认收货: what was shipped is delivered."""
        order = self.order
        status = order.status
        _, error = self._run(lambda: order.confirm_delivery(BUYER, self.now))
        if status is not S.SHIPPED:
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
            return
        assert error is None and order.status is S.COMPLETED
        assert order.delivered_at == order.completed_at == self.now
        assert all(ln.fulfilled == ln.shipped for ln in order.lines)

    @precondition(lambda self: self.order.fulfilment is Fulfilment.HOME_VISIT)
    @rule(staff_id=st.sampled_from(STAFF_IDS))
    def dispatch(self, staff_id: str) -> None:
        """派单 / 改派."""
        order = self.order
        status, first = order.status, order.first_dispatched_at
        _, error = self._run(lambda: order.dispatch(staff_id, SELLER, self.now))
        if status not in (S.PENDING_DISPATCH, S.DISPATCHED):
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
            return
        assert error is None and order.status is S.DISPATCHED and order.staff_id == staff_id
        assert order.first_dispatched_at == (first or self.now)

    @precondition(lambda self: self.order.fulfilment is Fulfilment.HOME_VISIT)
    @rule(who=st.sampled_from(WHO))
    def start(self, who: str) -> None:
        order = self.order
        staff_id, status, assigned = self._staff(who), order.status, order.staff_id
        held = any(ln.reserved_units for ln in order.lines)
        _, error = self._run(lambda: order.start(staff_id, None, worker(staff_id), self.now))
        if staff_id is None or staff_id != assigned:
            refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
        elif held:  # a refund request of units of the visit is decided first
            refused(error, Conflict, "MALL_ORDER_AFTER_SALE_OPEN")
        elif status is not S.DISPATCHED:
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
        else:
            assert error is None and order.status is S.IN_SERVICE and order.started_at == self.now

    @precondition(lambda self: self.order.fulfilment is Fulfilment.HOME_VISIT)
    @rule(who=st.sampled_from(WHO))
    def complete(self, who: str) -> None:
        order = self.order
        staff_id, status, assigned = self._staff(who), order.status, order.staff_id
        expected = [ln.fulfilled + ln.open_units for ln in order.lines]
        _, error = self._run(lambda: order.complete(staff_id, "已完成护理", None, worker(staff_id), self.now))
        if staff_id is None or staff_id != assigned:
            refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
        elif status is not S.IN_SERVICE:
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
        else:
            assert error is None and order.status is S.COMPLETED and order.completed_at == self.now
            assert [ln.fulfilled for ln in order.lines] == expected

    @precondition(lambda self: self.order.fulfilment is Fulfilment.HOME_VISIT)
    @rule(who=st.sampled_from(WHO))
    def return_to_pool(self, who: str) -> None:
        """返单."""
        order = self.order
        staff_id, status, count, assigned = self._staff(who), order.status, order.return_count, order.staff_id
        _, error = self._run(lambda: order.return_to_pool(staff_id, "临时有事", worker(staff_id), self.now))
        if staff_id is None or staff_id != assigned:
            refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
        elif status is not S.DISPATCHED:
            refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")
        else:
            assert error is None and order.status is S.PENDING_DISPATCH
            assert order.staff_id is None and order.return_count == count + 1

    @rule(now=st.integers(0, 9).map(lambda n: n == 7))
    def cancel(self, now: bool) -> None:
        """The buyer cancels a paid order not started, as the use case does: check, then cancel (seldom:
        a cancelled order has nothing left to explore)."""
        if not now:
            return
        order = self.order
        _, error = self._run(lambda: order.ensure_cancellable(self.now, DEADLINE_MINUTES))
        appointment = order.appointment_at
        if order.status not in NOT_STARTED or any(ln.fulfilled or ln.shipped for ln in order.lines):
            refused(error, Conflict, "MALL_ORDER_NOT_CANCELLABLE")
        elif any(ln.reserved.fen for ln in order.lines):
            refused(error, Conflict, "MALL_ORDER_AFTER_SALE_OPEN")
        elif appointment is not None and self.now > appointment - timedelta(minutes=DEADLINE_MINUTES):
            refused(error, Conflict, "MALL_ORDER_CANCEL_DEADLINE_PASSED")
        else:
            assert error is None
            due = order.paid - order.refunded
            amount, error = self._run(lambda: order.cancel_paid("计划有变", BUYER, self.now))
            assert error is None and amount == due and order.status is S.CANCELLED
            self.cancelled_refund += amount

    @rule(kind=st.sampled_from(["verify", "ship", "confirm", "dispatch", "start", "complete", "return"]))
    def misuse(self, kind: str) -> None:
        """A command meant for another fulfilment type, or by a worker not dispatched, changes nothing."""
        order = self.order
        commands: dict[str, tuple[set[Fulfilment], Callable[[], object]]] = {
            "verify": ({Fulfilment.IN_STORE, Fulfilment.PICKUP}, lambda: order.verify(None, SELLER, self.now)),
            "ship": ({Fulfilment.DELIVERY}, lambda: order.ship("顺丰速运", "SF1", None, SELLER, self.now)),
            "confirm": ({Fulfilment.DELIVERY}, lambda: order.confirm_delivery(BUYER, self.now)),
            "dispatch": ({Fulfilment.HOME_VISIT}, lambda: order.dispatch("staff-1", SELLER, self.now)),
            "start": (set(), lambda: order.start("staff-other", None, worker("staff-other"), self.now)),
            "complete": (set(), lambda: order.complete(None, "", None, worker(None), self.now)),
            "return": (set(), lambda: order.return_to_pool("staff-other", "", worker("staff-other"), self.now)),
        }
        meant_for, command = commands[kind]
        if order.fulfilment in meant_for:
            return  # the rules above cover the right fulfilment type
        _, error = self._run(command)
        if kind in ("start", "complete", "return"):
            refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
        else:
            refused(error, Conflict, "MALL_ORDER_WRONG_FULFILMENT")

    # -- invariants ------------------------------------------------------------------------------------------------
    @invariant()
    def money_never_exceeds_what_was_paid(self) -> None:
        """A-07, P-01, P-02: refunded + reserved ≤ paid per line; holds are exactly the open requests."""
        for ln in self.order.lines:
            assert not ln.refunded.is_negative and not ln.reserved.is_negative and not ln.paid.is_negative
            assert ln.refunded + ln.reserved <= ln.paid, ln
            mine = [r for r in self.open if r.line_no == ln.line_no]
            assert ln.reserved == sum((r.amount for r in mine), Money.zero())
            assert ln.reserved_units == sum(r.quantity for r in mine if not r.returning)
            assert ln.reserved_returns == sum(r.quantity for r in mine if r.returning)
            for units in range(1, ln.quantity + 1):
                assert Money.zero() <= ln.refund_for(units) <= ln.refundable
        assert self.order.refunded == self.settled + self.cancelled_refund
        assert self.order.paid == sum((ln.paid for ln in self.order.lines), Money.zero())

    @invariant()
    def units_add_up(self) -> None:
        for ln in self.order.lines:
            counters = (ln.fulfilled, ln.shipped, ln.cancelled, ln.returned, ln.reserved_units, ln.reserved_returns)
            assert min(counters) >= 0, ln
            assert ln.cancelled + ln.returned <= ln.quantity, ln
            assert ln.fulfilled <= ln.quantity and ln.shipped <= ln.quantity, ln
            out = max(ln.fulfilled, ln.shipped)  # units served or handed over
            assert ln.cancelled + out + ln.reserved_units <= ln.quantity, ln  # a unit is cancelled, out or open
            assert ln.returned + ln.reserved_returns <= out, ln  # only what is out comes back
            assert ln.open_units >= 0 and ln.units_out >= 0, ln
            if self.order.fulfilment is not Fulfilment.DELIVERY:
                assert ln.shipped == 0
            elif self.order.status is not S.COMPLETED and self.order.delivered_at is None:
                assert ln.fulfilled == 0

    @invariant()
    def status_follows_the_units(self) -> None:
        """M-05: closed (or cancelled) exactly when every unit was cancelled or returned."""
        order = self.order
        gone = all(ln.cancelled + ln.returned >= ln.quantity for ln in order.lines)
        assert order.status in STATES[order.fulfilment], order.status
        assert (order.status in GONE) == gone, (order.status, order.lines)
        assert order.timeline().cancelled == (order.status in GONE)
        if order.status is S.COMPLETED and order.fulfilment is not Fulfilment.HOME_VISIT:
            # (a home visit completed while a refund held units: see test_completing_a_visit_... below)
            assert not any(ln.open_units or ln.reserved_units for ln in order.lines), order.lines
        if order.status is S.SHIPPED:
            assert not any(ln.open_units or ln.reserved_units for ln in order.lines), order.lines
        if order.status in (S.DISPATCHED, S.IN_SERVICE):
            assert order.staff_id is not None
        if order.fulfilment is Fulfilment.HOME_VISIT and order.status is S.PENDING_DISPATCH:
            assert order.staff_id is None


def test_a_paid_sub_order_keeps_its_units_and_money_whole() -> None:
    """M-05, A-07, P-01, P-02: verification, shipping, visits, after-sales and cancellation on one sub-order."""
    run_state_machine_as_test(SubOrderMachine, settings=MACHINE_SETTINGS)


# -- 2. after-sales requests (A-07, P-01, P-02) --------------------------------------------------------------------

def after_sale(kind: AfterSaleKind, quantity: int, amount: int = 500) -> AfterSale:
    return AfterSale(id="as-1", number="SH00001", sub_order_id="order-1", sub_order_number="DD2026030200001-1",
                     trade_id="trade-1", institution_id=INSTITUTION, elder_id="elder-1", line_no=1,
                     product_name="成人纸尿裤", type=kind, quantity=quantity, amount=Money(amount), reason="尺码不合适",
                     requested_by=BUYER.id, created_at=T0)


@pytest.mark.parametrize(("kind", "quantity", "money_now", "status"), [
    (AfterSaleKind.REFUND, 1, True, A.REFUNDED),
    (AfterSaleKind.REFUND, 0, True, A.REFUNDED),  # money only, for a service done badly
    (AfterSaleKind.RETURN, 2, False, A.AWAITING_RETURN),  # the goods come back first
    (AfterSaleKind.RETURN, 0, True, A.REFUNDED),
])
def test_approving_a_request(kind: AfterSaleKind, quantity: int, money_now: bool, status: AfterSaleStatus) -> None:
    """A-07: a refund goes back at once; a return waits for the goods, then is refunded on receipt."""
    item = after_sale(kind, quantity)
    assert item.approve("同意", SELLER, T0) is money_now
    assert (item.status, item.review_note, item.reviewed_by, item.reviewed_at) == (status, "同意", SELLER.id, T0)
    if status is A.AWAITING_RETURN:
        item.received(SELLER, T0 + timedelta(days=3))
        assert item.status is A.REFUNDED
    with pytest.raises(InvalidTransition):
        item.withdraw(BUYER, T0)


def test_withdrawing_and_rejecting_requests() -> None:
    item = after_sale(AfterSaleKind.RETURN, 1)
    item.approve("", SELLER, T0)
    item.withdraw(BUYER, T0)  # even while the goods are awaited
    assert item.status is A.WITHDRAWN
    other = after_sale(AfterSaleKind.REFUND, 1)
    other.reject("已服务完毕", SELLER, T0)
    assert (other.status, other.review_note) == (A.REJECTED, "已服务完毕")
    with pytest.raises(InvalidTransition):
        other.received(SELLER, T0)


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_refused_decision_changes_nothing(decision: str) -> None:
    """A-07: deciding a request already decided is refused, and the first decision's record stays."""
    item = after_sale(AfterSaleKind.REFUND, 1)
    item.reject("已服务完毕", SELLER, T0)
    item.pull_events()
    late = Actor(id="acct-seller-02", role="institution_admin")
    command = item.approve if decision == "approve" else item.reject
    _, error = attempt(item, lambda: command("改为同意", late, T0 + timedelta(hours=1)))
    refused(error, InvalidTransition, "MALL_AFTER_SALE_INVALID_TRANSITION")


@pytest.mark.parametrize("kind", list(AfterSaleKind))
def test_goods_are_received_only_after_approval(kind: AfterSaleKind) -> None:
    """A-07: return and refund is pending → approve → awaiting_return → receive → refunded; receiving goods
    for a request nobody approved (or a refund-only request, with nothing to send back) is refused."""
    item = after_sale(kind, 1)
    _, error = attempt(item, lambda: item.received(SELLER, T0))
    refused(error, InvalidTransition, "MALL_AFTER_SALE_INVALID_TRANSITION")


# -- 3. product review (A-01…A-03, M-02) ---------------------------------------------------------------------------

CONTENT = ProductContent(name="上门助浴", category_id="cat-care", price=Money(12000), standard_minutes=60)


def new_product() -> Product:
    product = Product(id="prod-1", institution_id=INSTITUTION, fulfilment=Fulfilment.HOME_VISIT, pending=CONTENT,
                      created_by=SELLER.id, created_at=T0)
    product.record_created(SELLER, T0)
    product.pull_events()
    return product


def test_a_new_product_is_not_orderable_until_approved() -> None:
    """A-02, A-03: submitted content waits for review; only approval puts it on sale."""
    product = new_product()
    assert (product.review, product.live, product.shown, product.listed) == (ReviewState.PENDING, None, CONTENT, True)
    assert not product.orderable
    product.decide(True, "内容合规", REVIEWER, T0 + timedelta(hours=1))
    assert (product.live, product.pending, product.review) == (CONTENT, None, ReviewState.APPROVED)
    assert (product.reviewed_by, product.review_note) == (REVIEWER.id, "内容合规")
    assert product.orderable
    assert [e.name for e in product.pull_events()] == ["mall_product.approved"]


def test_a_rejected_new_product_stays_off_sale() -> None:
    product = new_product()
    product.decide(False, "图片不清晰", REVIEWER, T0)
    assert (product.review, product.live, product.pending) == (ReviewState.REJECTED, None, CONTENT)
    assert not product.orderable
    product.set_listed(True, SELLER, T0)  # listing something never approved does nothing for buyers
    assert not product.orderable


def test_an_edit_keeps_the_approved_content_on_sale_until_approved() -> None:
    """A-02: buyers keep seeing and ordering the approved revision; rejecting an edit keeps it too."""
    product = new_product()
    product.decide(True, "", REVIEWER, T0)
    dearer = evolve(CONTENT, price=Money(15000), description="含洗护用品")
    product.submit(dearer, SELLER, T0 + timedelta(days=1))
    assert (product.live, product.pending, product.shown, product.review) == (
        CONTENT, dearer, dearer, ReviewState.PENDING)
    assert product.orderable
    product.decide(False, "价格说明不足", REVIEWER, T0 + timedelta(days=2))
    assert (product.live, product.pending, product.review) == (CONTENT, dearer, ReviewState.REJECTED)
    assert product.orderable
    before = state_of(product)
    product.pull_events()
    _, error = attempt(product, lambda: product.decide(True, "", REVIEWER, T0 + timedelta(days=3)))
    refused(error, Conflict, "MALL_NOTHING_TO_REVIEW")  # a rejected revision must be submitted again
    assert state_of(product) == before
    product.submit(dearer, SELLER, T0 + timedelta(days=4))
    product.decide(True, "", REVIEWER, T0 + timedelta(days=5))
    assert (product.live, product.pending, product.review) == (dearer, None, ReviewState.APPROVED)
    assert product.orderable


def test_deciding_without_a_pending_revision_is_refused() -> None:
    product = new_product()
    product.decide(True, "", REVIEWER, T0)
    product.pull_events()
    _, error = attempt(product, lambda: product.decide(False, "重复审核", REVIEWER, T0 + timedelta(hours=1)))
    refused(error, Conflict, "MALL_NOTHING_TO_REVIEW")


def test_delisting_takes_a_product_off_sale() -> None:
    """M-02: 下架 makes it not orderable; 上架 again restores it; setting the same value records nothing."""
    product = new_product()
    product.decide(True, "", REVIEWER, T0)
    product.pull_events()
    product.set_listed(False, SELLER, T0)
    assert not product.orderable and [e.name for e in product.pull_events()] == ["mall_product.delisted"]
    product.set_listed(False, SELLER, T0)
    assert product.pull_events() == []
    product.set_listed(True, SELLER, T0)
    assert product.orderable and [e.name for e in product.pull_events()] == ["mall_product.listed"]


def test_packages_and_rules_count_only_when_approved_and_active() -> None:
    """A-02, A-04: reviewed offers; a second decision is refused; a withdrawn package is not orderable."""
    package = ServicePackage(id="pkg-1", institution_id=INSTITUTION, created_by=SELLER.id, created_at=T0, name="护理套餐",
                             items=(PackageItem("prod-1", 2),), price=Money(20000))
    assert not package.orderable
    package.decide(True, "", REVIEWER, T0)
    assert package.orderable
    with pytest.raises(Conflict) as caught:
        package.decide(False, "", REVIEWER, T0)
    assert caught.value.code == "MALL_NOTHING_TO_REVIEW"
    package.set_active(False, SELLER, T0)
    assert not package.orderable
    package.resubmit({"price": Money(18000)}, SELLER, T0)
    assert (package.review, package.price) == (ReviewState.PENDING, Money(18000))


# -- 4. the service path of a sub-order ----------------------------------------------------------------------------

VISIT = [priced("bath", 12000, Fulfilment.HOME_VISIT, 60), priced("massage", 8000, Fulfilment.HOME_VISIT, 30)]


def visit_order(appointment_at: datetime | None = T0 + timedelta(days=1)) -> SubOrder:
    return paid_order(Fulfilment.HOME_VISIT, [plain_line(VISIT[0], 1), plain_line(VISIT[1], 2)],
                      appointment_at=appointment_at)


def test_dispatch_redispatch_and_return_to_pool() -> None:
    """派单, 改派 while not started, 返单 back to the pool and dispatch again."""
    order = visit_order()
    at = T0 + timedelta(minutes=10)
    _, error = attempt(order, lambda: order.dispatch("staff-1", SELLER, at))
    assert error is None and (order.status, order.staff_id, order.first_dispatched_at) == (S.DISPATCHED, "staff-1", at)
    assert order.pull_events() == []  # (attempt pulled them)
    order.dispatch("staff-2", SELLER, at + timedelta(minutes=5))
    assert (order.staff_id, order.dispatched_at, order.first_dispatched_at) == (
        "staff-2", at + timedelta(minutes=5), at)
    assert [e.name for e in order.pull_events()] == ["mall_order.redispatched"]
    order.dispatch("staff-2", SELLER, at + timedelta(minutes=6))  # the same worker again: nothing happens
    assert order.pull_events() == [] and order.dispatched_at == at + timedelta(minutes=5)

    _, error = attempt(order, lambda: order.return_to_pool("staff-1", "不是我的单", worker("staff-1"), at))
    refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
    order.return_to_pool("staff-2", "临时有事", worker("staff-2"), at + timedelta(minutes=20))
    assert (order.status, order.staff_id, order.dispatched_at) == (S.PENDING_DISPATCH, None, None)
    assert (order.return_count, order.return_reason, order.first_dispatched_at) == (1, "临时有事", at)
    _, error = attempt(order, lambda: order.start(None, None, worker(None), at))
    refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
    order.dispatch("staff-1", SELLER, at + timedelta(minutes=30))
    assert (order.status, order.staff_id, order.first_dispatched_at) == (S.DISPATCHED, "staff-1", at)


def test_only_the_dispatched_worker_starts_and_completes() -> None:
    """Start by someone else → MALL_ORDER_NOT_YOURS; complete fulfils every open unit (not cancelled ones)."""
    order = visit_order()
    order.dispatch("staff-1", SELLER, T0)
    order.reserve(2, 1, Money(4000), returning=False)
    order.refund_settled(2, 1, Money(4000), False, SELLER, T0)  # one massage refunded before the visit
    for someone in ("staff-2", None):
        _, error = attempt(order, functools.partial(order.start, someone, None, worker(someone), T0))
        refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
    _, error = attempt(order, lambda: order.complete("staff-1", "", None, worker("staff-1"), T0))
    refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")  # not started yet
    door = GeoPoint(113.26, 23.13)
    order.start("staff-1", door, worker("staff-1"), T0 + timedelta(days=1))
    assert (order.status, order.start_location) == (S.IN_SERVICE, door)
    _, error = attempt(order, lambda: order.return_to_pool("staff-1", "", worker("staff-1"), T0))
    refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")  # too late to hand it back
    _, error = attempt(order, lambda: order.complete("staff-2", "", None, worker("staff-2"), T0))
    refused(error, PermissionDenied, "MALL_ORDER_NOT_YOURS")
    order.complete("staff-1", "助浴、按摩完成", door, worker("staff-1"), T0 + timedelta(days=1, hours=1))
    assert order.status is S.COMPLETED and order.service_record == "助浴、按摩完成"
    assert [(ln.fulfilled, ln.cancelled) for ln in order.lines] == [(1, 0), (1, 1)]
    assert order.standard_minutes == 60 + 30  # the refunded massage no longer counts


def test_completing_a_visit_while_a_refund_is_pending_leaves_no_unit_in_limbo() -> None:
    """M-05, P-01: a refund of units is asked before the visit starts or after it ends, never during it, so a
    completed order has nothing left to fulfil."""
    order = visit_order()
    order.dispatch("staff-1", SELLER, T0)
    order.start("staff-1", None, worker("staff-1"), T0)
    _, error = attempt(order, lambda: order.reserve(2, 1, Money(8000), returning=False))
    refused(error, Conflict, "MALL_ORDER_IN_SERVICE")
    order.complete("staff-1", "完成", None, worker("staff-1"), T0)
    assert order.status is S.COMPLETED and all(ln.open_units == 0 for ln in order.lines)


@pytest.mark.parametrize(("minutes_before", "ok"),
                         [(24 * 60, True), (121, True), (120, True), (119, False), (0, False)])
def test_a_visit_can_be_cancelled_until_the_deadline(minutes_before: int, ok: bool) -> None:
    """MALL_ORDER_CANCEL_DEADLINE_PASSED within `deadline` minutes of the appointment (the boundary is allowed)."""
    appointment = T0 + timedelta(days=2)
    order = visit_order(appointment)
    at = appointment - timedelta(minutes=minutes_before)
    _, error = attempt(order, lambda: order.ensure_cancellable(at, DEADLINE_MINUTES))
    if not ok:
        refused(error, Conflict, "MALL_ORDER_CANCEL_DEADLINE_PASSED")
        return
    assert error is None
    assert order.cancel_paid("计划有变", BUYER, at) == Money(12000 + 16000)
    assert order.status is S.CANCELLED and all(ln.cancelled == ln.quantity for ln in order.lines)
    assert order.refunded == order.paid


def test_what_cannot_be_cancelled() -> None:
    """MALL_ORDER_NOT_CANCELLABLE once started (visit started, a unit verified or shipped); an open request blocks."""
    order = visit_order(None)  # no appointment: no deadline
    order.ensure_cancellable(T0 + timedelta(days=30), DEADLINE_MINUTES)
    order.dispatch("staff-1", SELLER, T0)
    order.ensure_cancellable(T0, DEADLINE_MINUTES)  # dispatched is not started
    order.reserve(1, 0, Money(100), returning=False)
    with pytest.raises(Conflict) as caught:
        order.ensure_cancellable(T0, DEADLINE_MINUTES)
    assert caught.value.code == "MALL_ORDER_AFTER_SALE_OPEN"
    order.release(1, 0, Money(100), returning=False)
    order.start("staff-1", None, worker("staff-1"), T0)
    with pytest.raises(Conflict) as caught:
        order.ensure_cancellable(T0, DEADLINE_MINUTES)
    assert caught.value.code == "MALL_ORDER_NOT_CANCELLABLE"

    shop = paid_order(Fulfilment.IN_STORE, [plain_line(priced("rehab", 5000, Fulfilment.IN_STORE, 45), 3)],
                      appointment_at=T0)  # the deadline is for home visits only
    shop.ensure_cancellable(T0 + timedelta(days=1), DEADLINE_MINUTES)
    shop.verify({1: 1}, SELLER, T0)
    assert shop.status is S.PENDING_USE  # two units still to use
    with pytest.raises(Conflict) as caught:
        shop.ensure_cancellable(T0, DEADLINE_MINUTES)
    assert caught.value.code == "MALL_ORDER_NOT_CANCELLABLE"

    parcel = paid_order(Fulfilment.DELIVERY, [plain_line(priced("pads", 6900, Fulfilment.DELIVERY), 2)])
    parcel.ship("顺丰速运", "SF0000000001", {1: 1}, SELLER, T0)
    with pytest.raises(Conflict) as caught:
        parcel.ensure_cancellable(T0, DEADLINE_MINUTES)
    assert caught.value.code == "MALL_ORDER_NOT_CANCELLABLE"


def test_a_refused_cancellation_changes_nothing() -> None:
    """M-05: cancelling an order in service is refused (InvalidTransition) and leaves it as it was."""
    order = visit_order()
    order.dispatch("staff-1", SELLER, T0)
    order.start("staff-1", None, worker("staff-1"), T0)
    order.pull_events()
    _, error = attempt(order, lambda: order.cancel_paid("计划有变", BUYER, T0))
    refused(error, InvalidTransition, "MALL_ORDER_INVALID_TRANSITION")


def test_cancelling_before_payment() -> None:
    order = new_order(Fulfilment.PICKUP, [plain_line(priced("cane", 8800, Fulfilment.PICKUP), 1)])
    order.cancel_unpaid("超时未支付", Actor.system("mall-pay-timeout"), T0 + timedelta(minutes=30))
    assert (order.status, order.cancel_reason, order.paid_at) == (S.CANCELLED, "超时未支付", None)
    assert order.timeline().cancelled
    with pytest.raises(InvalidTransition):
        order.paid_now(BUYER, T0 + timedelta(minutes=31))


def test_the_timeline_of_a_home_visit() -> None:
    """What the exception rules see of a mall visit at each stage (HB-10 rules on mall orders)."""
    appointment = T0 + timedelta(days=1)
    order = new_order(Fulfilment.HOME_VISIT, [plain_line(VISIT[0], 1), plain_line(VISIT[1], 2)],
                      appointment_at=appointment)
    assert order.timeline().cancelled and order.timeline().created_at == T0
    paid_at = T0 + timedelta(minutes=3)
    order.paid_now(BUYER, paid_at)
    line = order.timeline()
    assert not line.cancelled and line.dispatched and not line.shipped
    assert (line.created_at, line.scheduled_at, line.first_dispatched_at) == (paid_at, appointment, None)
    assert line.awaiting_dispatch and line.awaiting_arrival
    assert (line.started_at, line.completed_at, line.standard_minutes) == (None, None, 60 + 2 * 30)

    order.dispatch("staff-1", SELLER, T0 + timedelta(hours=1))
    order.return_to_pool("staff-1", "临时有事", worker("staff-1"), T0 + timedelta(hours=2))
    line = order.timeline()
    assert line.awaiting_dispatch and line.first_dispatched_at == T0 + timedelta(hours=1)  # the first one counts
    order.dispatch("staff-2", SELLER, T0 + timedelta(hours=3))
    line = order.timeline()
    assert not line.awaiting_dispatch and line.awaiting_arrival
    order.start("staff-2", None, worker("staff-2"), appointment)
    line = order.timeline()
    assert not line.awaiting_arrival and line.started_at == appointment and line.completed_at is None
    done = appointment + timedelta(minutes=80)
    order.complete("staff-2", "完成", None, worker("staff-2"), done)
    line = order.timeline()
    assert (line.completed_at, line.cancelled, line.standard_minutes) == (done, False, 120)


def test_the_timeline_of_a_delivery() -> None:
    order = paid_order(Fulfilment.DELIVERY, [plain_line(priced("pads", 6900, Fulfilment.DELIVERY), 3)],
                       at=T0 + timedelta(minutes=1))
    line = order.timeline()
    assert line.shipped and not line.dispatched and line.standard_minutes is None
    assert (line.created_at, line.shipped_at, line.cancelled) == (T0 + timedelta(minutes=1), None, False)
    first = T0 + timedelta(hours=5)
    order.ship("顺丰速运", "SF0000000001", {1: 1}, SELLER, first)
    # Partly shipped: the shipping clock still runs for the units not sent.
    assert order.status is S.PENDING_SHIPMENT and order.timeline().shipped_at is None
    last = first + timedelta(days=1)
    order.ship("中通快递", "ZT0000000002", None, SELLER, last)
    assert order.status is S.SHIPPED and order.timeline().shipped_at == last  # the parcel that completed it
    delivered = first + timedelta(days=3)
    order.confirm_delivery(BUYER, delivered)
    line = order.timeline()
    assert (order.status, line.completed_at, line.shipped_at) == (S.COMPLETED, delivered, last)
    assert order.lines[0].fulfilled == 3

    order.reserve(1, 3, order.line(1).refund_for(3), returning=True)
    order.refund_settled(1, 3, Money(6900 * 3), True, SELLER, delivered + timedelta(days=2))
    assert order.status is S.CLOSED and order.timeline().cancelled and order.timeline().completed_at is None


def test_partial_refunds_then_the_rest_close_the_order() -> None:
    """P-01, P-02: default refunds of every unit, one request at a time, give back exactly what was paid."""
    order = paid_order(Fulfilment.PICKUP, [plain_line(priced("cane", 1000, Fulfilment.PICKUP), 3)])
    order.line(1).paid = Money(1000)  # say a package share: ¥10.00 for three units
    amounts = []
    for _ in range(3):
        amount = order.line(1).refund_for(1)
        order.reserve(1, 1, amount, returning=False)
        order.refund_settled(1, 1, amount, False, SELLER, T0)
        amounts.append(amount)
    assert amounts == [Money(333), Money(333), Money(334)]
    assert order.status is S.CLOSED and order.refunded == Money(1000)
