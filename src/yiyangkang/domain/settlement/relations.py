"""Supplier relations (服务商管理, A-10): an institution applies to become another institution's supplier
(服务商) for some of that institution's products, with agreed share rates; the other (the client) reviews.

    applied (待审核) ─approve─▶ approved (已通过) ─terminate─▶ terminated (已终止)
            └──────reject───▶ rejected (已驳回)          (a new application may follow a rejection)

While approved and between `valid_from` and `valid_to` (Shanghai dates, both inclusive) a relation is in
force: of every completed order line of one of its products, the supplier gets `supplier_rate_bp` and the
platform `platform_rate_bp` (basis points), the seller keeps the rest. A product of the client has at most
one supplier at a time (so at most one approved relation per client, supplier and product), which keeps
the platform fee of a line unambiguous."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import Conflict, PermissionDenied
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.money.allocation import BASIS

MAX_PRODUCTS = 200


class RelationStatus(StrEnum):
    APPLIED = "applied"  # 待审核
    APPROVED = "approved"  # 已通过
    REJECTED = "rejected"  # 已驳回
    TERMINATED = "terminated"  # 已终止


RELATION_STATUS_LABELS = {RelationStatus.APPLIED: "待审核", RelationStatus.APPROVED: "已通过",
                          RelationStatus.REJECTED: "已驳回", RelationStatus.TERMINATED: "已终止"}
R = RelationStatus
RELATION_LIFECYCLE = Lifecycle.of("supplier_relation", {
    R.APPLIED: {R.APPROVED, R.REJECTED},
    R.APPROVED: {R.TERMINATED},
})


def check_terms(checks: Checks, *, client_id: str, supplier_id: str, supplier_rate_bp: int | None,
                platform_rate_bp: int | None, valid_from: date | None, valid_to: date | None) -> None:
    """Rates 0…10000 bp each and together at most 10000 (the seller keeps the rest); a period that ends no
    earlier than it starts; an institution is not its own supplier."""
    rates_ok = True
    for name, value, label in (("supplier_rate_bp", supplier_rate_bp, "服务商分成比例"),
                               ("platform_rate_bp", platform_rate_bp, "平台服务费比例")):
        if value is None:
            checks.fail(name, f"请填写{label}", "REQUIRED")
            rates_ok = False
        elif not checks.require(name, 0 <= value <= BASIS, f"{label}应在0～{BASIS}个基点（0～100%）之间",
                                "OUT_OF_RANGE"):
            rates_ok = False
    if rates_ok and supplier_rate_bp is not None and platform_rate_bp is not None:
        checks.require("platform_rate_bp", supplier_rate_bp + platform_rate_bp <= BASIS,
                       "服务商分成与平台服务费合计不能超过100%", "RATES_EXCEED")
    if valid_from is None:
        checks.fail("valid_from", "请填写生效日期", "REQUIRED")
    elif valid_to is not None:
        checks.require("valid_to", valid_to >= valid_from, "失效日期不能早于生效日期", "INVALID_PERIOD")
    checks.require("client_id", client_id != supplier_id, "不能申请成为本机构的服务商", "SELF_SUPPLIER")


@define(slots=False, kw_only=True)
class SupplierRelation(Aggregate):
    """服务商关系: `supplier_id` supplies `product_ids` of `client_id` at the agreed rates."""

    kind = "supplier_relation"

    client_id: str  # 被服务机构: sells the products, reviews the application
    supplier_id: str  # 服务商: applies, receives its share
    supplier_rate_bp: int
    platform_rate_bp: int
    product_ids: tuple[str, ...] = ()  # the client's products it supplies (empty: none yet)
    valid_from: date
    valid_to: date | None = None  # open-ended when None
    status: RelationStatus = RelationStatus.APPLIED
    application_note: str = ""  # 申请说明
    applied_by: str
    review_note: str = ""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    terminated_on: date | None = None
    terminate_reason: str = ""
    created_at: datetime

    @property
    def institution_id(self) -> str:
        """The owner for access checks: the client, who reviews and whose orders are split."""
        return self.client_id

    def snapshot(self) -> dict[str, Any]:
        return {"client_id": self.client_id, "supplier_id": self.supplier_id,
                "supplier_rate_bp": self.supplier_rate_bp, "platform_rate_bp": self.platform_rate_bp,
                "product_ids": list(self.product_ids), "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None, "status": self.status.value}

    # -- reading ---------------------------------------------------------------------------------
    def in_force(self, day: date) -> bool:
        return (self.status is RelationStatus.APPROVED and self.valid_from <= day
                and (self.valid_to is None or day <= self.valid_to))

    def covers(self, product_id: str) -> bool:
        return product_id in self.product_ids

    def overlaps(self, other: SupplierRelation) -> bool:
        """Both periods share a day and both name a common product."""
        ends = [d for d in (self.valid_to, other.valid_to) if d is not None]
        last = min(ends) if ends else None
        first = max(self.valid_from, other.valid_from)
        return (last is None or first <= last) and bool(set(self.product_ids) & set(other.product_ids))

    # -- lifecycle -------------------------------------------------------------------------------
    def approve(self, note: str, others: Iterable[SupplierRelation], actor: Actor, at: datetime) -> None:
        """通过: not by whoever applied, and not while another approved relation of the client supplies one
        of the same products in an overlapping period (a product has one supplier at a time)."""
        self._not_own(actor)
        clashes = sorted({p for o in others
                          if o.id != self.id and o.client_id == self.client_id
                          and o.status is RelationStatus.APPROVED and self.overlaps(o)
                          for p in set(self.product_ids) & set(o.product_ids)})
        if clashes:
            raise Conflict("该商品在重叠期间已有生效的服务商，请先终止原关系或调整期间",
                           code="SUPPLIER_PRODUCT_TAKEN", details={"product_ids": clashes})
        RELATION_LIFECYCLE.move(self, RelationStatus.APPROVED, actor=actor, at=at, reason=note, event="approved")
        self._reviewed(note, actor, at)

    def reject(self, note: str, actor: Actor, at: datetime) -> None:
        self._not_own(actor)
        RELATION_LIFECYCLE.move(self, RelationStatus.REJECTED, actor=actor, at=at, reason=note, event="rejected")
        self._reviewed(note, actor, at)

    def terminate(self, today: date, reason: str, actor: Actor, at: datetime) -> None:
        """终止 from today on: orders completed from now keep everything for the seller."""
        RELATION_LIFECYCLE.move(self, RelationStatus.TERMINATED, actor=actor, at=at, reason=reason,
                                event="terminated")
        self.terminated_on, self.terminate_reason = today, reason

    def _not_own(self, actor: Actor) -> None:
        if actor.id == self.applied_by:
            raise PermissionDenied("不能审核自己提交的申请", code="SUPPLIER_SELF_REVIEW")

    def _reviewed(self, note: str, actor: Actor, at: datetime) -> None:
        self.review_note, self.reviewed_by, self.reviewed_at = note, actor.id, at
