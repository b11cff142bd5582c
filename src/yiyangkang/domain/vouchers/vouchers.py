"""Vouchers (服务券) granted to elders, and what was paid with them (券消费记录)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.errors import FieldError
from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.vouchers.batches import BatchStatus, VoucherBatch, VoucherKind

ZERO = Money(0)


class VoucherStatus(StrEnum):
    ACTIVE = "active"  # 可用 (within its dates, while it has a balance)
    EXPIRED = "expired"  # 已过期: what was left went back to the fund


VOUCHER_LIFECYCLE = Lifecycle.of("voucher", {VoucherStatus.ACTIVE: {VoucherStatus.EXPIRED}})


@define(slots=False, kw_only=True)
class Voucher(Aggregate):
    kind = "voucher"

    number: str
    batch_id: str
    batch_name: str
    voucher_kind: VoucherKind
    elder_id: str
    institution_id: str  # the elder's institution when granted: whose admins see it (scope)
    face_value: Money
    category_ids: tuple[str, ...] = ()
    valid_from: date
    valid_until: date
    granted_by: str  # account id of who granted it (充值/兑换)
    status: VoucherStatus = VoucherStatus.ACTIVE
    expired_amount: Money = ZERO  # what went back to the fund at expiry
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"number": self.number, "batch_id": self.batch_id, "elder_id": self.elder_id,
                "face_value_fen": self.face_value.fen, "valid_until": self.valid_until.isoformat()}

    def usable_on(self, day: date) -> bool:
        return self.status is VoucherStatus.ACTIVE and self.valid_from <= day <= self.valid_until

    def pays_for(self, category_path: str) -> bool:
        """Whether it may pay for a product of the category at `category_path` ("/root/child/")."""
        return not self.category_ids or any(f"/{c}/" in category_path for c in self.category_ids)

    def expire(self, left: Money, actor: Actor, at: datetime) -> None:
        VOUCHER_LIFECYCLE.move(self, VoucherStatus.EXPIRED, actor=actor, at=at, event="expired")
        self.expired_amount = left


def grant_refusals(batch: VoucherBatch, *, elder_regions: Collection[str], held: int, day: date
                   ) -> list[FieldError]:
    """Why this batch may not grant one more voucher to an elder now (empty: it may). `elder_regions`: the
    elder's region and every region above it."""
    errors = []
    if batch.status is not BatchStatus.ISSUING:
        errors.append(FieldError("batch_id", "该批次不在发放中", "VOUCHER_BATCH_NOT_ISSUING"))
    if day > batch.valid_until:
        errors.append(FieldError("batch_id", "该批次服务券已过有效期", "VOUCHER_BATCH_EXPIRED"))
    if batch.left is not None and batch.left <= 0:
        errors.append(FieldError("batch_id", "该批次服务券已发完", "VOUCHER_QUOTA_EXHAUSTED"))
    if held >= batch.per_elder:
        errors.append(FieldError("elder_id", f"该老人已领取本批次服务券{held}张，已达上限", "VOUCHER_PER_ELDER_LIMIT"))
    if batch.region_code and batch.region_code not in elder_regions:
        errors.append(FieldError("elder_id", "该老人不在本批次服务券的发放地区", "VOUCHER_REGION_NOT_ELIGIBLE"))
    return errors


class SpendStatus(StrEnum):
    HELD = "held"  # 冻结: the trade's cash part is not paid yet
    SPENT = "spent"  # 已消费
    RELEASED = "released"  # 已释放: the trade closed unpaid, the voucher got it back


@define(slots=False, kw_only=True)
class VoucherSpend(Aggregate):
    """One voucher's part of one sub-order's payment (券消费记录)."""

    kind = "voucher_spend"

    voucher_id: str
    voucher_number: str
    batch_id: str
    elder_id: str
    institution_id: str  # the seller, owed this by the government once spent
    trade_id: str
    trade_number: str
    sub_order_id: str
    sub_order_number: str
    line_no: int  # the order line it paid for
    amount: Money
    refunded: Money = ZERO  # given back on refunds (to the voucher, or to the fund once it expired)
    status: SpendStatus = SpendStatus.HELD
    spent_at: datetime | None = None
    created_at: datetime

    @property
    def left(self) -> Money:
        return self.amount - self.refunded
