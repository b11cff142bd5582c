"""Request bodies of settlement (结算): supplier applications (A-10). Rates are basis points (`*_bp`)."""

from datetime import date
from typing import Annotated

from msgspec import Meta

from apps.api.homebed_schemas import Reason
from apps.api.schemas import Body, Id

BasisPoints = Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]  # the use case answers 0…10000 field by field


class SupplierApplyIn(Body):
    """申请成为服务商: the client institution, the applicant (default: the caller's institution), the share rates,
    the client's products supplied, the period (Shanghai dates, `valid_to` inclusive, open-ended if absent)."""

    client_id: Id
    supplier_id: Id | None = None
    supplier_rate_bp: BasisPoints | None = None
    platform_rate_bp: BasisPoints | None = None
    product_ids: Annotated[list[Id], Meta(max_length=500)] = []
    valid_from: date | None = None
    valid_to: date | None = None
    note: Reason = ""
