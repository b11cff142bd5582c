"""Voucher batches (券批次): what the government issues — face value, the services vouchers may pay for, when
they are valid, and how many may be granted. A batch is drafted, issued (grants allowed) and closed."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Actor, Aggregate
from yiyangkang.domain.kernel.lifecycle import Lifecycle
from yiyangkang.domain.kernel.money import Money


class VoucherKind(StrEnum):
    GENERAL = "general"  # 通用券
    MEAL = "meal"  # 助餐券
    BATH = "bath"  # 助浴券
    HOUSEKEEPING = "housekeeping"  # 家政券
    REHAB = "rehab"  # 康复护理券


KIND_LABELS = {VoucherKind.GENERAL: "通用券", VoucherKind.MEAL: "助餐券", VoucherKind.BATH: "助浴券",
               VoucherKind.HOUSEKEEPING: "家政券", VoucherKind.REHAB: "康复护理券"}


class BatchStatus(StrEnum):
    DRAFT = "draft"  # 草稿
    ISSUING = "issuing"  # 发放中
    CLOSED = "closed"  # 已停发 (granted vouchers stay valid until they expire)


BATCH_LIFECYCLE = Lifecycle.of("voucher_batch", {
    BatchStatus.DRAFT: {BatchStatus.ISSUING, BatchStatus.CLOSED},
    BatchStatus.ISSUING: {BatchStatus.CLOSED},
})


@define(slots=False, kw_only=True)
class VoucherBatch(Aggregate):
    kind = "voucher_batch"

    name: str
    voucher_kind: VoucherKind = VoucherKind.GENERAL
    face_value: Money
    category_ids: tuple[str, ...] = ()  # mall categories (and their sub-categories) it pays for; () = any
    valid_from: date
    valid_until: date  # inclusive, in Asia/Shanghai
    quota: int | None = None  # vouchers that may be granted in all; None = no cap
    per_elder: int = 1  # vouchers of this batch one elder may be granted
    region_code: str | None = None  # only elders living in this region (prefix of their region code)
    granted: int = 0  # vouchers granted so far (counted under the batch's row lock)
    status: BatchStatus = BatchStatus.DRAFT
    description: str = ""
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "voucher_kind": self.voucher_kind.value, "face_value_fen": self.face_value.fen,
                "category_ids": list(self.category_ids), "valid_from": self.valid_from.isoformat(),
                "valid_until": self.valid_until.isoformat(), "quota": self.quota, "per_elder": self.per_elder,
                "region_code": self.region_code, "description": self.description}

    @property
    def left(self) -> int | None:
        return None if self.quota is None else self.quota - self.granted

    def issue(self, actor: Actor, at: datetime) -> None:
        BATCH_LIFECYCLE.move(self, BatchStatus.ISSUING, actor=actor, at=at, event="issued")

    def close(self, actor: Actor, at: datetime, reason: str = "") -> None:
        BATCH_LIFECYCLE.move(self, BatchStatus.CLOSED, actor=actor, at=at, reason=reason, event="closed")
