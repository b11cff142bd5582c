"""Mall configuration (商城配置, A-13) of each institution, and the platform's mall settings (A-03, A-08).

A service area (服务区域) is a set of administrative regions (a district covers its streets) and/or a
radius around a point; an address is inside when either says so."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.review import ReviewerLevel, ReviewSubject
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.domain.orgs.regions import region_prefix

EARTH_RADIUS_M = 6_371_000


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine) in metres."""
    la1, la2 = math.radians(a.lat), math.radians(b.lat)
    dlat, dlng = la2 - la1, math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@frozen(kw_only=True)
class ServiceArea:
    region_codes: tuple[str, ...] = ()
    center: GeoPoint | None = None
    radius_m: int | None = None

    @property
    def empty(self) -> bool:
        return not self.region_codes and not (self.center and self.radius_m)

    def covers(self, region_code: str | None, location: GeoPoint | None) -> bool:
        if region_code and any(region_code.startswith(region_prefix(code)) for code in self.region_codes):
            return True
        return bool(self.center and self.radius_m and location
                    and distance_m(self.center, location) <= self.radius_m)


@frozen(kw_only=True)
class Place:
    """An address people go to or send from, with notes (opening hours, parking …)."""

    address: str = ""
    notes: str = ""
    location: GeoPoint | None = None
    phone: str = ""


@define(slots=False, kw_only=True)
class MallConfig(Aggregate):
    """商城配置 of one institution; `id` is the institution's id."""

    kind = "mall_config"

    home_visit_area: ServiceArea = ServiceArea()  # 上门服务区域
    store: Place = Place()  # 到店地址与说明
    shipping_from: Place = Place()  # 发货地址
    delivery_area: ServiceArea = ServiceArea()  # 配送区域
    pickup: Place = Place()  # 自提地址与说明
    created_at: datetime

    @property
    def institution_id(self) -> str:
        return self.id

    def area_for(self, fulfilment: Fulfilment) -> ServiceArea | None:
        """The area an address must lie in for this fulfilment type (None: no address involved)."""
        if fulfilment is Fulfilment.HOME_VISIT:
            return self.home_visit_area
        if fulfilment is Fulfilment.DELIVERY:
            return self.delivery_area
        return None

    def place_for(self, fulfilment: Fulfilment) -> Place | None:
        if fulfilment is Fulfilment.IN_STORE:
            return self.store
        if fulfilment is Fulfilment.PICKUP:
            return self.pickup
        return None

    def snapshot(self) -> dict[str, Any]:
        def area(a: ServiceArea) -> dict[str, Any]:
            return {"regions": list(a.region_codes), "radius_m": a.radius_m,
                    "center": [a.center.lng, a.center.lat] if a.center else None}

        def place(p: Place) -> dict[str, Any]:
            return {"address": p.address, "notes": p.notes}

        return {"home_visit_area": area(self.home_visit_area), "delivery_area": area(self.delivery_area),
                "store": place(self.store), "shipping_from": place(self.shipping_from), "pickup": place(self.pickup)}


SETTINGS_ID = "mall"


@define(slots=False, kw_only=True)
class MallSettings(Aggregate):
    """The platform's mall settings (one): who reviews what (A-03), order time limits, exception rules (A-08)."""

    kind = "mall_settings"

    product_reviewer: ReviewerLevel = ReviewerLevel.PLATFORM
    package_reviewer: ReviewerLevel = ReviewerLevel.PLATFORM
    promotion_reviewer: ReviewerLevel = ReviewerLevel.PLATFORM
    unpaid_close_minutes: int = 30  # an unpaid trade closes (and gives its stock back) after this long
    cancel_deadline_minutes: int = 120  # a paid home visit may be cancelled until this long before its time
    dispatch_timeout_minutes: int = 60  # 派单超时
    late_arrival_minutes: int = 15  # 迟到
    overtime_minutes: int = 30  # 超时服务
    too_short_percent: int = 50  # 服务时长不足
    shipping_timeout_hours: int = 48  # 发货超时
    created_at: datetime

    def reviewer_for(self, subject: ReviewSubject) -> ReviewerLevel:
        return {ReviewSubject.PRODUCT: self.product_reviewer, ReviewSubject.PACKAGE: self.package_reviewer,
                ReviewSubject.PROMOTION: self.promotion_reviewer}[subject]

    def snapshot(self) -> dict[str, Any]:
        return {name: getattr(self, name) if name in MALL_LIMITS else getattr(self, name).value
                for name in (*MALL_LIMITS, "product_reviewer", "package_reviewer", "promotion_reviewer")}


# Each numeric setting's bounds (inclusive) and its Chinese label.
MALL_LIMITS: dict[str, tuple[int, int, str]] = {
    "unpaid_close_minutes": (5, 24 * 60, "未付款自动关闭（分钟）"),
    "cancel_deadline_minutes": (0, 7 * 24 * 60, "上门服务取消截止（分钟）"),
    "dispatch_timeout_minutes": (5, 7 * 24 * 60, "派单超时（分钟）"),
    "late_arrival_minutes": (1, 24 * 60, "迟到阈值（分钟）"),
    "overtime_minutes": (1, 24 * 60, "超时服务阈值（分钟）"),
    "too_short_percent": (1, 100, "服务时长不足比例（%）"),
    "shipping_timeout_hours": (1, 30 * 24, "发货超时（小时）"),
}
