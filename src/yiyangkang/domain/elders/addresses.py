"""Service addresses of an elder (服务地址, P-05): where home visits go and goods are delivered."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.masking import mask_address, mask_name, mask_phone
from yiyangkang.domain.orgs.institutions import GeoPoint


@define(slots=False, kw_only=True)
class Address(Aggregate):
    """One address of one elder. At most one of an elder's addresses is the default."""

    kind = "address"
    masked_fields = {"detail": mask_address, "contact_phone": mask_phone, "contact_name": mask_name}

    elder_id: str
    region_code: str  # down to the street where known
    detail: str  # 详细地址: road, building, room
    contact_name: str
    contact_phone: str
    is_default: bool = False
    location: GeoPoint | None = None
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {
            "region_code": self.region_code, "detail": self.detail, "contact_name": self.contact_name,
            "contact_phone": self.contact_phone, "is_default": self.is_default,
        }
