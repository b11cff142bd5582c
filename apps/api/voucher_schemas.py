"""Request bodies of the voucher endpoints (养老服务券). Amounts are integer fen (`*_fen`)."""

from datetime import date
from typing import Annotated

from msgspec import Meta

from apps.api.homebed_schemas import Fen, Reason
from apps.api.schemas import Body, Id, ShortText
from yiyangkang.domain.vouchers.batches import VoucherKind


class ProcurementIn(Body):
    institution_id: Id
    contract_no: ShortText | None = None
    remark: Reason | None = None


class BatchIn(Body):
    """A batch's whole terms (a draft changes in everything; an issued batch only in description and quota)."""

    name: ShortText
    face_value_fen: Fen
    valid_from: date
    valid_until: date
    voucher_kind: VoucherKind = VoucherKind.GENERAL
    category_ids: Annotated[list[Id], Meta(max_length=50)] = []
    quota: Annotated[int, Meta(ge=1, le=10_000_000)] | None = None
    per_elder: Annotated[int, Meta(ge=1, le=100)] = 1
    region_code: Annotated[str, Meta(max_length=12, pattern=r"^\d*$")] | None = None
    description: Reason | None = None
    version: int | None = None


class GrantIn(Body):
    batch_id: Id
    elder_ids: Annotated[list[Id], Meta(min_length=1, max_length=500)]
