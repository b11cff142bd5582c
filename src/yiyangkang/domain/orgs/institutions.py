"""Institutions (机构) and their parent/subordinate hierarchy (上下级).

An institution's `path` lists its ancestors' ids and its own, `/a/b/c/`; the subtree of `b` is every
institution whose path starts with `/a/b/`. That makes "my institution and its subordinates" a
prefix test both in memory and in SQL.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Aggregate


class InstitutionType(StrEnum):
    HOME_CARE_PROVIDER = "home_care_provider"  # 居家养老服务商
    HOSPITAL = "hospital"  # 医院
    COMMUNITY_HEALTH_CENTER = "community_health_center"  # 社区卫生服务中心
    COMMUNITY_CARE_CENTER = "community_care_center"  # 社区（长者）服务中心
    NURSING_HOME = "nursing_home"  # 养老院
    REHAB_CENTER = "rehab_center"  # 康复中心
    RENOVATION_COMPANY = "renovation_company"  # 适老化改造企业
    GOVERNMENT = "government"  # 民政/卫健部门
    PLATFORM = "platform"  # 平台运营方


INSTITUTION_TYPE_LABELS = {
    InstitutionType.HOME_CARE_PROVIDER: "居家养老服务商",
    InstitutionType.HOSPITAL: "医院",
    InstitutionType.COMMUNITY_HEALTH_CENTER: "社区卫生服务中心",
    InstitutionType.COMMUNITY_CARE_CENTER: "长者服务中心",
    InstitutionType.NURSING_HOME: "养老院",
    InstitutionType.REHAB_CENTER: "康复中心",
    InstitutionType.RENOVATION_COMPANY: "适老化改造企业",
    InstitutionType.GOVERNMENT: "政府部门",
    InstitutionType.PLATFORM: "平台运营方",
}


@frozen
class GeoPoint:
    """WGS-84 longitude/latitude (经纬度)."""

    lng: float
    lat: float


@define(slots=False, kw_only=True)
class Institution(Aggregate):
    """An organisation on the platform (服务机构、医院、社区中心 …)."""

    kind = "institution"

    name: str
    credit_code: str  # 统一社会信用代码, unique across the platform
    type: InstitutionType
    region_code: str
    address: str
    parent_id: str | None
    path: str
    location: GeoPoint | None = None
    contact_phone: str | None = None
    created_at: datetime

    @staticmethod
    def child_path(parent_path: str | None, own_id: str) -> str:
        return f"{parent_path or '/'}{own_id}/"

    def is_within(self, ancestor_path: str) -> bool:
        """True when this institution is the one with `ancestor_path` or one of its subordinates."""
        return self.path.startswith(ancestor_path)

    def snapshot(self) -> dict[str, Any]:
        return {
            "name": self.name, "credit_code": self.credit_code, "type": self.type.value,
            "region_code": self.region_code, "address": self.address, "parent_id": self.parent_id,
            "contact_phone": self.contact_phone,
            "location": [self.location.lng, self.location.lat] if self.location else None,
        }
