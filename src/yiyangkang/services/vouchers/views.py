"""Read models of vouchers; elders' names are masked for everyone but the elder's own side."""

from __future__ import annotations

from datetime import date, datetime

from attrs import frozen

from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.vouchers.acceptance import ProcurementInstitution
from yiyangkang.domain.vouchers.batches import KIND_LABELS, VoucherBatch
from yiyangkang.domain.vouchers.vouchers import Voucher, VoucherSpend

BATCH_STATUS_LABELS = {"draft": "草稿", "issuing": "发放中", "closed": "已停发"}
VOUCHER_STATUS_LABELS = {"active": "可用", "expired": "已过期"}
SPEND_STATUS_LABELS = {"held": "冻结中", "spent": "已消费", "released": "已释放"}


@frozen
class ProcurementView:
    institution_id: str
    name: str
    active: bool
    contract_no: str
    remark: str
    version: int

    @classmethod
    def of(cls, p: ProcurementInstitution) -> ProcurementView:
        return cls(p.id, p.name, p.active, p.contract_no, p.remark, p.version)


@frozen
class BatchView:
    id: str
    name: str
    voucher_kind: str
    voucher_kind_label: str
    face_value_fen: int
    category_ids: tuple[str, ...]
    valid_from: date
    valid_until: date
    quota: int | None
    per_elder: int
    region_code: str | None
    granted: int
    status: str
    status_label: str
    description: str
    version: int

    @classmethod
    def of(cls, b: VoucherBatch) -> BatchView:
        return cls(b.id, b.name, b.voucher_kind.value, KIND_LABELS[b.voucher_kind], b.face_value.fen, b.category_ids,
                   b.valid_from, b.valid_until, b.quota, b.per_elder, b.region_code, b.granted, b.status.value,
                   BATCH_STATUS_LABELS[b.status.value], b.description, b.version)


@frozen
class VoucherView:
    id: str
    number: str
    batch_id: str
    batch_name: str
    voucher_kind: str
    voucher_kind_label: str
    elder_id: str
    elder_name: str | None
    institution_id: str
    face_value_fen: int
    balance_fen: int
    category_ids: tuple[str, ...]
    valid_from: date
    valid_until: date
    status: str
    status_label: str
    expired_fen: int
    granted_at: datetime

    @classmethod
    def of(cls, v: Voucher, balance: int, elder_name: str | None, *, reveal: bool) -> VoucherView:
        return cls(v.id, v.number, v.batch_id, v.batch_name, v.voucher_kind.value, KIND_LABELS[v.voucher_kind],
                   v.elder_id, elder_name if reveal else mask_name(elder_name), v.institution_id, v.face_value.fen,
                   balance, v.category_ids, v.valid_from, v.valid_until, v.status.value,
                   VOUCHER_STATUS_LABELS[v.status.value], v.expired_amount.fen, v.created_at)


@frozen
class SpendView:
    """One line of the consumption records (居家消费明细)."""

    id: str
    voucher_number: str
    batch_id: str
    elder_id: str
    elder_name: str | None
    institution_id: str
    institution_name: str
    trade_number: str
    sub_order_id: str
    sub_order_number: str
    amount_fen: int
    refunded_fen: int
    net_fen: int
    status: str
    status_label: str
    spent_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, s: VoucherSpend, elder_name: str | None, institution_name: str, *, reveal: bool) -> SpendView:
        return cls(s.id, s.voucher_number, s.batch_id, s.elder_id, elder_name if reveal else mask_name(elder_name),
                   s.institution_id, institution_name, s.trade_number, s.sub_order_id, s.sub_order_number,
                   s.amount.fen, s.refunded.fen, s.left.fen, s.status.value, SPEND_STATUS_LABELS[s.status.value],
                   s.spent_at, s.created_at)
