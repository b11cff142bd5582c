"""After-sales requests (售后申请, A-07, P-01/P-02) of one line of one sub-order, reviewed by the seller.

    refund only (仅退款):     pending ─approve─▶ refunded           (units not yet fulfilled, or money
                                                                      back for a service done badly)
    return and refund (退货退款): pending ─approve─▶ awaiting_return ─receive─▶ refunded (stock back)
    either:                    pending ─reject─▶ rejected ; pending ─withdraw─▶ withdrawn

While open, a request holds its amount (and units) on the line, so requests made at the same time can
never together ask back more than the line was paid."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import InvalidTransition
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.money import Money


class AfterSaleKind(StrEnum):
    REFUND = "refund"  # 仅退款
    RETURN = "return"  # 退货退款


AFTER_SALE_KIND_LABELS = {AfterSaleKind.REFUND: "仅退款", AfterSaleKind.RETURN: "退货退款"}


class AfterSaleStatus(StrEnum):
    PENDING = "pending"  # 待审核
    AWAITING_RETURN = "awaiting_return"  # 待退货
    REFUNDED = "refunded"  # 已退款
    REJECTED = "rejected"  # 已驳回
    WITHDRAWN = "withdrawn"  # 已撤销


AFTER_SALE_STATUS_LABELS = {
    AfterSaleStatus.PENDING: "待审核", AfterSaleStatus.AWAITING_RETURN: "待退货", AfterSaleStatus.REFUNDED: "已退款",
    AfterSaleStatus.REJECTED: "已驳回", AfterSaleStatus.WITHDRAWN: "已撤销",
}
A = AfterSaleStatus
AFTER_SALE_LIFECYCLE = Lifecycle.of("mall_after_sale", {
    A.PENDING: {A.AWAITING_RETURN, A.REFUNDED, A.REJECTED, A.WITHDRAWN},
    A.AWAITING_RETURN: {A.REFUNDED, A.WITHDRAWN},
})
OPEN_AFTER_SALE = frozenset({A.PENDING, A.AWAITING_RETURN})


@define(slots=False, kw_only=True)
class AfterSale(Aggregate):
    kind = "mall_after_sale"

    number: str
    sub_order_id: str
    sub_order_number: str
    trade_id: str
    institution_id: str
    elder_id: str
    line_no: int
    product_name: str
    type: AfterSaleKind
    quantity: int  # units given back (0: money only, for a service done badly)
    amount: Money
    reason: str
    photos: tuple[FileRef, ...] = ()
    status: AfterSaleStatus = AfterSaleStatus.PENDING
    requested_by: str
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    return_tracking: str = ""  # 退货运单号
    refund_no: str = ""  # the refund's number at the payment provider
    refunded_at: datetime | None = None
    created_at: datetime

    @property
    def returning(self) -> bool:
        return self.type is AfterSaleKind.RETURN

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "type": self.type.value, "line_no": self.line_no, "quantity": self.quantity,
                "amount_fen": self.amount.fen, "reason": self.reason}

    def approve(self, note: str, actor: Actor, at: datetime) -> bool:
        """Approve; True when the money goes back now (refund only), False when the goods must come back first."""
        target = A.AWAITING_RETURN if self.returning and self.quantity else A.REFUNDED
        AFTER_SALE_LIFECYCLE.move(self, target, actor=actor, at=at, reason=note, event="approved")
        self._reviewed(note, actor, at)
        return target is A.REFUNDED

    def reject(self, note: str, actor: Actor, at: datetime) -> None:
        AFTER_SALE_LIFECYCLE.move(self, A.REJECTED, actor=actor, at=at, reason=note, event="rejected")
        self._reviewed(note, actor, at)

    def withdraw(self, actor: Actor, at: datetime) -> None:
        AFTER_SALE_LIFECYCLE.move(self, A.WITHDRAWN, actor=actor, at=at, event="withdrawn")

    def received(self, actor: Actor, at: datetime) -> None:
        """The seller got the goods back: the refund follows. Only for an approved return."""
        if self.status is not A.AWAITING_RETURN:
            raise InvalidTransition(AFTER_SALE_LIFECYCLE.name, self.status.value, "goods_received")
        AFTER_SALE_LIFECYCLE.move(self, A.REFUNDED, actor=actor, at=at, event="goods_received")

    def refunded(self, refund_no: str, at: datetime) -> None:
        self.refund_no, self.refunded_at = refund_no, at

    def _reviewed(self, note: str, actor: Actor, at: datetime) -> None:
        self.review_note, self.reviewed_by, self.reviewed_at = note, actor.id, at
