"""Staff service points per settlement period (服务积分, S-10).

The settlement period is a calendar month in Asia/Shanghai ("2026-10": from 1 October 00:00 to 1 November
00:00 Shanghai time). A staff member's ratings received in the period (visible ones: a rating an operator hid
counts nowhere) are averaged *exactly*, as a fraction — never rounded before the rule is applied:

- average exactly 5 (every rating five stars)  → 3 points;
- average at least 4 (4.96 included)           → 1 point;
- anything lower, or no rating                 → 0 points.

So 4.96 is not 5: one four-star rating among twenty-four fives earns 1 point, not 3. For people the average
is shown with two decimals rounded *down* (`average_text`: 4.999… reads "4.99", never "5.00"), so the display
can never suggest a rule the period did not meet. A period is awarded once per staff member (the ledger
reference "service-points:<staff id>:<YYYY-MM>" and a unique record per staff member and period)."""

from __future__ import annotations

import re
from datetime import datetime
from fractions import Fraction
from typing import Any

from attrs import define, frozen

from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.timekeeping import SHANGHAI
from yiyangkang.domain.money.service_points import service_points

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


@frozen(order=True)
class Period:
    """结算周期: one calendar month in Shanghai."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        found = _PERIOD.match(text.strip())
        if not found or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) < 2100:
            raise ValueError("结算周期应为年月，例如 2026-10")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, instant: datetime) -> Period:
        local = instant.astimezone(SHANGHAI)
        return cls(local.year, local.month)

    @property
    def text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def start(self) -> datetime:
        """The first instant of the month (Shanghai midnight), aware."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """The first instant after the month."""
        return self.next().start

    def next(self) -> Period:
        return Period(self.year + self.month // 12, self.month % 12 + 1)


def average_text(stars_sum: int, count: int) -> str:
    """The exact average, two decimals, rounded down ("4.99" for 4.999…; "" without ratings)."""
    if count <= 0:
        return ""
    hundredths = (stars_sum * 100) // count  # floor of the exact fraction × 100
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@define(slots=False, kw_only=True)
class ServiceAward(Aggregate):
    """服务积分记录: one staff member's ratings in one period and the points they earned (0 included)."""

    kind = "service_points"

    staff_id: str
    institution_id: str
    period: str  # "2026-10"
    stars_sum: int
    rating_count: int
    points: int
    created_at: datetime

    @classmethod
    def judge(cls, *, id: str, staff_id: str, institution_id: str, period: Period, stars: list[int],
              at: datetime) -> ServiceAward:
        return cls(id=id, staff_id=staff_id, institution_id=institution_id, period=period.text,
                   stars_sum=sum(stars), rating_count=len(stars), points=service_points(stars), created_at=at)

    @property
    def average(self) -> Fraction | None:
        return Fraction(self.stars_sum, self.rating_count) if self.rating_count else None

    @property
    def reference(self) -> str:
        return f"service-points:{self.staff_id}:{self.period}"

    def snapshot(self) -> dict[str, Any]:
        return {"period": self.period, "stars_sum": self.stars_sum, "rating_count": self.rating_count,
                "points": self.points}
