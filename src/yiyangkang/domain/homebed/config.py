"""Home-bed configuration (家床业务配置, HB-20): service items, subsidies by region, renovation items,
business settings. Platform operators keep it; every institution's home-bed business reads it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from attrs import define

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.files import FileRef
from yiyangkang.domain.kernel.money import Money

MAX_PICTURES = 9


@define(slots=False, kw_only=True)
class ServiceItem(Aggregate):
    """A home-bed service item (家床服务项目): what one visit delivers, how long it should take, its price."""

    kind = "homebed_service_item"

    name: str
    category: str  # 医疗护理 / 康复 / 生活照料 …
    standard_minutes: int  # 标准服务时长: the yardstick of overtime and too-short exceptions
    price: Money
    subsidy_eligible: bool = True  # 可享补贴
    description: str = ""
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "category": self.category, "standard_minutes": self.standard_minutes,
                "price_fen": self.price.fen, "subsidy_eligible": self.subsidy_eligible, "active": self.active,
                "description": self.description}


class SubsidyMode(StrEnum):
    AMOUNT = "amount"  # 定额: a fixed amount per service
    RATIO = "ratio"  # 比例: a share of the price


SUBSIDY_MODE_LABELS = {SubsidyMode.AMOUNT: "定额补贴", SubsidyMode.RATIO: "比例补贴"}


@define(slots=False, kw_only=True)
class SubsidyType(Aggregate):
    """A subsidy type (补贴类型) of one administrative region: e.g. 广州市家庭病床护理补贴 (ratio 70%,
    at most ¥80 a visit). It applies to contracts of elders living inside its region."""

    kind = "homebed_subsidy_type"

    region_code: str
    name: str
    mode: SubsidyMode
    amount: Money | None = None  # AMOUNT mode
    ratio_bp: int | None = None  # RATIO mode, basis points (7000 = 70%)
    cap: Money | None = None  # 封顶: at most this much per order
    active: bool = True
    created_at: datetime

    def subsidy_for(self, price: Money) -> Money:
        """The subsidy of one order at `price`: never more than the cap, never more than the price."""
        if self.mode is SubsidyMode.AMOUNT:
            raw = self.amount or Money.zero()
        else:
            # Round half to even on the fen (银行家舍入), exactly in integers.
            q, r = divmod(price.fen * (self.ratio_bp or 0), 10_000)
            raw = Money(q + (1 if r * 2 > 10_000 or (r * 2 == 10_000 and q % 2 == 1) else 0))
        limits = [price] + ([self.cap] if self.cap is not None else [])
        return min([raw, *limits])

    def snapshot(self) -> dict[str, Any]:
        return {"region_code": self.region_code, "name": self.name, "mode": self.mode.value,
                "amount_fen": self.amount.fen if self.amount else None, "ratio_bp": self.ratio_bp,
                "cap_fen": self.cap.fen if self.cap else None, "active": self.active}


@define(slots=False, kw_only=True)
class RenovationItem(Aggregate):
    """An ageing-friendly renovation item (改造项目): grab bars, anti-slip floor … with pictures and a price."""

    kind = "homebed_renovation_item"

    name: str
    unit: str  # 个 / 米 / 平方米 / 项
    price: Money  # per unit
    description: str = ""
    pictures: tuple[FileRef, ...] = ()
    active: bool = True
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {"name": self.name, "unit": self.unit, "price_fen": self.price.fen, "description": self.description,
                "pictures": [p.name for p in self.pictures], "active": self.active}


SETTINGS_ID = "homebed"


@define(slots=False, kw_only=True)
class BusinessSettings(Aggregate):
    """Home-bed business settings (家床业务设置), one for the platform."""

    kind = "homebed_settings"

    cancel_deadline_minutes: int = 120  # an order may be cancelled until this long before its time
    reminder_lead_days: int = 30  # contract-expiry reminder: this many days before expiry
    dispatch_timeout_minutes: int = 60  # 派单超时: an order waiting this long for a worker
    late_arrival_minutes: int = 15  # 迟到: check-in this long after the appointed time
    overtime_minutes: int = 30  # 超时服务: this much longer than the standard duration
    too_short_percent: int = 50  # 服务时长不足: shorter than this share of the standard duration
    created_at: datetime

    def snapshot(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTING_LIMITS}


# Each setting's bounds (inclusive) and its Chinese label, checked when an operator edits them.
SETTING_LIMITS: dict[str, tuple[int, int, str]] = {
    "cancel_deadline_minutes": (0, 7 * 24 * 60, "取消截止时间（分钟）"),
    "reminder_lead_days": (1, 180, "到期提醒提前天数"),
    "dispatch_timeout_minutes": (5, 7 * 24 * 60, "派单超时（分钟）"),
    "late_arrival_minutes": (1, 24 * 60, "迟到阈值（分钟）"),
    "overtime_minutes": (1, 24 * 60, "超时服务阈值（分钟）"),
    "too_short_percent": (1, 100, "服务时长不足比例（%）"),
}
