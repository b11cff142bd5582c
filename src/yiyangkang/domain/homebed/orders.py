"""Home-bed service orders (家床服务订单, HB-10/HB-11, S-01…S-03, S-06).

    pending_dispatch ──dispatch──▶ dispatched ──start──▶ in_service ──complete──▶ completed
          ▲  │                        │  ▲ re-dispatch (same state, other worker)
          │  └──cancel──▶ cancelled ◀─┤
          └────────return (退单)───────┘
    unconfirmed (补录待确认) ──confirm──▶ completed
                             ──reject───▶ cancelled

Orders are placed on the elder's behalf (代下单), only against an active contract and only for items
of its service plan. Price, subsidy and self-pay are fixed when the order is placed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import Conflict, FieldError, InvalidTransition, PermissionDenied, ValidationFailed
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.orgs.institutions import GeoPoint


class OrderStatus(StrEnum):
    PENDING_DISPATCH = "pending_dispatch"  # 待派单
    DISPATCHED = "dispatched"  # 待服务（已派单）
    IN_SERVICE = "in_service"  # 服务中
    COMPLETED = "completed"  # 已完成
    CANCELLED = "cancelled"  # 已取消
    UNCONFIRMED = "unconfirmed"  # 补录待确认


ORDER_STATUS_LABELS = {
    OrderStatus.PENDING_DISPATCH: "待派单", OrderStatus.DISPATCHED: "待服务", OrderStatus.IN_SERVICE: "服务中",
    OrderStatus.COMPLETED: "已完成", OrderStatus.CANCELLED: "已取消", OrderStatus.UNCONFIRMED: "补录待确认",
}

O = OrderStatus  # noqa: E741 - the table below reads better with a one-letter alias
ORDER_LIFECYCLE = Lifecycle.of("homebed_order", {
    O.PENDING_DISPATCH: {O.DISPATCHED, O.CANCELLED},
    O.DISPATCHED: {O.PENDING_DISPATCH, O.IN_SERVICE, O.CANCELLED},
    O.IN_SERVICE: {O.COMPLETED},
    O.UNCONFIRMED: {O.COMPLETED, O.CANCELLED},
})
OPEN = frozenset({O.PENDING_DISPATCH, O.DISPATCHED})  # not started: may still be cancelled


@define(slots=False, kw_only=True)
class HomeBedOrder(Aggregate):
    kind = "homebed_order"

    number: str  # 订单编号, e.g. FW2026112600001
    institution_id: str
    elder_id: str
    contract_id: str
    region_code: str
    subsidy_type_id: str | None
    service_item_id: str
    item_name: str
    standard_minutes: int
    price: Money
    subsidy: Money
    self_pay: Money  # price − subsidy: what the elder pays
    scheduled_at: datetime  # 预约服务时间
    remark: str = ""  # 备注 from whoever placed the order
    status: OrderStatus
    staff_id: str | None = None  # the worker doing the service
    dispatched_by: str | None = None  # account of the dispatcher (派单人)
    first_dispatched_at: datetime | None = None
    dispatched_at: datetime | None = None
    started_at: datetime | None = None  # 签到
    start_location: GeoPoint | None = None
    completed_at: datetime | None = None  # 签出
    end_location: GeoPoint | None = None
    return_count: int = 0
    return_reason: str = ""
    cancel_reason: str = ""
    supplementary: bool = False  # 补录单
    confirmed_by: str | None = None
    confirmation_note: str = ""
    placed_by: str  # account
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "item": self.item_name, "scheduled_at": self.scheduled_at.isoformat(),
                "price_fen": self.price.fen, "subsidy_fen": self.subsidy.fen, "staff_id": self.staff_id,
                "supplementary": self.supplementary}

    @property
    def duration_minutes(self) -> int | None:
        if self.started_at is None or self.completed_at is None:
            return None
        return int((self.completed_at - self.started_at).total_seconds() // 60)

    def _worker(self, staff_id: str | None) -> None:
        if staff_id is None or staff_id != self.staff_id:
            raise PermissionDenied("只有被派单的服务人员可以操作该订单", code="HOMEBED_ORDER_NOT_YOURS")

    def dispatch(self, staff_id: str, actor: Actor, at: datetime) -> None:
        """派单, or 改派 (re-dispatch) while the order is dispatched but not started."""
        if self.status is O.DISPATCHED:
            if staff_id == self.staff_id:
                return
            before = self.staff_id
            self.staff_id, self.dispatched_by, self.dispatched_at = staff_id, actor.id, at
            self.note("redispatched", actor, at, before={"staff_id": before}, after={"staff_id": staff_id})
            return
        ORDER_LIFECYCLE.move(self, O.DISPATCHED, actor=actor, at=at, event="dispatched")
        self.staff_id, self.dispatched_by, self.dispatched_at = staff_id, actor.id, at
        self.first_dispatched_at = self.first_dispatched_at or at
        self.note("assigned", actor, at, after={"staff_id": staff_id})

    def return_to_pool(self, staff_id: str | None, reason: str, actor: Actor, at: datetime) -> None:
        """退单: the worker hands the order back; it waits for dispatch again."""
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "请填写退单原因", "REQUIRED")])
        self._worker(staff_id)
        ORDER_LIFECYCLE.move(self, O.PENDING_DISPATCH, actor=actor, at=at, reason=reason, event="returned")
        self.staff_id, self.dispatched_by, self.dispatched_at = None, None, None
        self.return_count += 1
        self.return_reason = reason

    def start(self, staff_id: str | None, at: datetime, location: GeoPoint | None, actor: Actor) -> None:
        """开始服务 (签到)."""
        self._worker(staff_id)
        ORDER_LIFECYCLE.move(self, O.IN_SERVICE, actor=actor, at=at, event="started")
        self.started_at, self.start_location = at, location

    def complete(self, staff_id: str | None, at: datetime, location: GeoPoint | None, actor: Actor) -> None:
        """完成服务 (签出). A supplementary record is completed by its confirmation, not by the worker."""
        self._worker(staff_id)
        if self.status is not O.IN_SERVICE:
            raise InvalidTransition(ORDER_LIFECYCLE.name, self.status.value, O.COMPLETED.value)
        ORDER_LIFECYCLE.move(self, O.COMPLETED, actor=actor, at=at, event="completed")
        self.completed_at, self.end_location = at, location

    def cancel(self, reason: str, deadline_minutes: int, actor: Actor, at: datetime, *, forced: bool = False) -> None:
        """取消 an order not yet started: only before the configured deadline ahead of the appointed time;
        `forced` is for the platform's own consequences (a terminated contract), which no deadline stops."""
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "请填写取消原因", "REQUIRED")])
        if self.status not in OPEN:
            raise InvalidTransition(ORDER_LIFECYCLE.name, self.status.value, O.CANCELLED.value)
        if not forced and at > self.scheduled_at - timedelta(minutes=deadline_minutes):
            raise Conflict(f"已超过取消截止时间（服务前{deadline_minutes}分钟），不能取消",
                           code="HOMEBED_ORDER_CANCEL_DEADLINE_PASSED",
                           details={"scheduled_at": self.scheduled_at.isoformat()})
        ORDER_LIFECYCLE.move(self, O.CANCELLED, actor=actor, at=at, reason=reason, event="cancelled")
        self.cancel_reason = reason

    def confirm(self, note: str, actor: Actor, at: datetime) -> None:
        """补录确认: the dispatcher confirmed the off-system service with the customer."""
        if not note.strip():
            raise ValidationFailed([FieldError("note", "请填写与客户确认的情况", "REQUIRED")])
        self.ensure_pending_record()
        ORDER_LIFECYCLE.move(self, O.COMPLETED, actor=actor, at=at, reason=note, event="confirmed")
        self.confirmed_by, self.confirmation_note = actor.id, note

    def reject_record(self, reason: str, actor: Actor, at: datetime) -> None:
        """The customer did not confirm the supplementary record: it is void."""
        if not reason.strip():
            raise ValidationFailed([FieldError("reason", "请填写不予确认的原因", "REQUIRED")])
        self.ensure_pending_record()
        ORDER_LIFECYCLE.move(self, O.CANCELLED, actor=actor, at=at, reason=reason, event="record_rejected")
        self.cancel_reason, self.confirmed_by = reason, actor.id

    def ensure_pending_record(self) -> None:
        if self.status is not O.UNCONFIRMED:
            raise Conflict("只有待确认的补录单可以确认", code="HOMEBED_ORDER_NOT_A_PENDING_RECORD",
                           details={"status": self.status.value})
