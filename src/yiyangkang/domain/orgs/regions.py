"""Administrative regions (行政区划), coded by GB/T 2260 (and 9-digit township codes for streets)."""

from __future__ import annotations

from enum import StrEnum

from attrs import frozen


class RegionLevel(StrEnum):
    PROVINCE = "province"  # 省
    CITY = "city"  # 地级市
    DISTRICT = "district"  # 区县
    STREET = "street"  # 街道/乡镇


REGION_LEVEL_LABELS = {
    RegionLevel.PROVINCE: "省",
    RegionLevel.CITY: "市",
    RegionLevel.DISTRICT: "区县",
    RegionLevel.STREET: "街道/镇",
}


def region_prefix(code: str) -> str:
    """The code prefix shared by everything inside a region: 440000 → 44, 440100 → 4401, 442000 (a city
    without districts) → 4420, 440104 → 440104, a street's 9 digits → itself."""
    if len(code) == 6 and code.endswith("0000"):
        return code[:2]
    if len(code) == 6 and code.endswith("00"):
        return code[:4]
    return code


@frozen
class Region:
    """One region. Reference data: loaded from the national code list, not edited by users."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = None

    def contains(self, code: str) -> bool:
        """Whether `code` is this region or lies inside it, judged by the code's prefix."""
        prefix = {
            RegionLevel.PROVINCE: self.code[:2],
            RegionLevel.CITY: self.code[:4],
            RegionLevel.DISTRICT: self.code[:6],
            RegionLevel.STREET: self.code,
        }[self.level]
        return code.startswith(prefix)
