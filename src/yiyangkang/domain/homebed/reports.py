"""Home-bed reports (家床报表, HB-30): the government settlement report (政府结算报表) and the business
report. Rows and totals are plain values; amounts are integer fen."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from attrs import define, field, frozen

from yiyangkang.domain.identity.policy import Visibility


@frozen
class SettlementFilter:
    """Completed orders whose service ended in [start, end) (Shanghai dates), within `visibility`."""

    visibility: Visibility
    start: date
    end: date  # exclusive
    region_code: str | None = None
    institution_id: str | None = None
    subsidy_type_id: str | None = None


@frozen
class SettlementRow:
    """One completed home-bed service order, as the government settles it."""

    order_number: str
    institution_id: str
    institution_name: str
    contract_number: str
    elder_name: str  # masked
    elder_id_card: str  # masked
    region_code: str
    subsidy_type: str
    item_name: str
    started_at: datetime
    completed_at: datetime
    duration_minutes: int
    staff_name: str
    amount_fen: int
    subsidy_fen: int
    self_pay_fen: int


@define
class Totals:
    """Sums of a set of rows, to the fen."""

    institution_id: str = ""
    institution_name: str = ""
    orders: int = 0
    amount_fen: int = 0
    subsidy_fen: int = 0
    self_pay_fen: int = 0

    def add(self, row: SettlementRow) -> None:
        self.orders += 1
        self.amount_fen += row.amount_fen
        self.subsidy_fen += row.subsidy_fen
        self.self_pay_fen += row.self_pay_fen


def totals_of(rows: Iterable[SettlementRow]) -> tuple[list[Totals], Totals]:
    """Totals per institution (by name) and the grand total, summed from the rows themselves."""
    per: dict[str, Totals] = {}
    grand = Totals(institution_name="合计")
    for row in rows:
        per.setdefault(row.institution_id, Totals(row.institution_id, row.institution_name)).add(row)
        grand.add(row)
    return sorted(per.values(), key=lambda t: (t.institution_name, t.institution_id)), grand


@frozen
class BusinessReport:
    """家床业务报表 for a period [start, end)."""

    start: date
    end: date
    contracts_signed: int  # 新签
    contracts_active: int  # 生效中 (now)
    contracts_terminated: int  # 期内解约
    contracts_expiring: int  # 30 天内到期
    orders_by_status: dict[str, int]
    orders_completed: int
    orders_on_time: int  # completed without a late-arrival exception
    exceptions_by_type: dict[str, int]  # 不予认定 (rejected on review) not counted
    on_time_rate: float | None = field(init=False)  # 准时率: on time / completed
    exception_rate: float | None = field(init=False)  # 异常率: exceptions / orders

    def __attrs_post_init__(self) -> None:
        done, total = self.orders_completed, sum(self.orders_by_status.values())
        object.__setattr__(self, "on_time_rate", round(self.orders_on_time / done, 4) if done else None)
        object.__setattr__(self, "exception_rate",
                           round(sum(self.exceptions_by_type.values()) / total, 4) if total else None)
