"""Home-bed reports (家床报表, HB-30): the government settlement report and the business report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal

from attrs import frozen

from yiyangkang.domain.homebed.reports import BusinessReport, SettlementFilter, SettlementRow, Totals
from yiyangkang.domain.identity.policy import Operation
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.services.access import visibility
from yiyangkang.services.homebed.common import today
from yiyangkang.services.runtime import Runtime

MAX_DAYS = 366


FIRST_YEAR, LAST_YEAR = 2000, 2100  # periods outside these are typing mistakes


def parse_period(text: str) -> tuple[date, date]:
    """"2026-10" → [1 Oct, 1 Nov); "2026-10-05..2026-10-20" → [5 Oct, 21 Oct)."""
    try:
        if ".." in text:
            first, last = (date.fromisoformat(p.strip()) for p in text.split("..", 1))
            start, end = first, date.fromordinal(last.toordinal() + 1)
        else:
            year, month = (int(p) for p in text.strip().split("-"))
            start = date(year, month, 1)
            end = date(year + month // 12, month % 12 + 1, 1)
        if not FIRST_YEAR <= start.year <= end.year <= LAST_YEAR:
            raise ValueError("out of range")
        return start, end
    except (ValueError, OverflowError):
        raise ValidationFailed([FieldError("period", "统计期间格式应为 2026-10 或 2026-10-01..2026-10-31"
                                                     f"（{FIRST_YEAR}～{LAST_YEAR}年）", "INVALID_PERIOD")]) from None


def settlement_filter(principal: Principal, start: date, end: date, *, region_code: str | None = None,
                      institution_id: str | None = None, subsidy_type_id: str | None = None) -> SettlementFilter:
    in_range = start.year >= FIRST_YEAR and end.year <= LAST_YEAR
    if not in_range or not start < end or (end - start).days > MAX_DAYS:
        raise ValidationFailed([FieldError("period", f"统计期间应为1～{MAX_DAYS}天", "INVALID_PERIOD")])
    return SettlementFilter(visibility(principal, Operation.HOMEBED_REPORT), start, end, region_code or None,
                            institution_id or None, subsidy_type_id or None)


@frozen
class SettlementPage:
    rows: list[SettlementRow]
    total_rows: int
    page: int
    size: int
    institutions: list[Totals]
    grand_total: Totals


def settlement_report(rt: Runtime, principal: Principal, flt: SettlementFilter, page: PageRequest) -> SettlementPage:
    """政府结算报表 as JSON: one page of rows, and the totals per institution over all rows."""
    with rt.uow() as uow:
        totals = list(uow.homebed_reports.settlement_totals(flt))
        rows = list(uow.homebed_reports.settlement_rows(flt, page))
    grand = Totals(institution_name="合计")
    for t in totals:
        grand.orders += t.orders
        grand.amount_fen += t.amount_fen
        grand.subsidy_fen += t.subsidy_fen
        grand.self_pay_fen += t.self_pay_fen
    return SettlementPage(rows, grand.orders, page.page, page.size, totals, grand)


def settlement_rows(rt: Runtime, principal: Principal, flt: SettlementFilter) -> Iterator[SettlementRow]:
    """Every row of the report, streamed (for exports)."""
    with rt.uow() as uow:
        yield from uow.homebed_reports.settlement_rows(flt)


def business_report(rt: Runtime, principal: Principal, start: date, end: date) -> BusinessReport:
    flt = settlement_filter(principal, start, end)
    with rt.uow() as uow:
        return uow.homebed_reports.business(flt.visibility, start, end, today(rt))


SETTLEMENT_HEADER = [
    "订单编号", "服务机构", "签约编号", "老人姓名", "身份证号", "行政区划", "补贴类型", "服务项目", "开始时间",
    "结束时间", "服务时长（分钟）", "服务人员", "服务金额（元）", "补贴金额（元）", "自付金额（元）",
]


def yuan(fen: int) -> Decimal:
    """Fen as an exact amount of yuan with two decimals (a number in XLSX, "120.00" in CSV)."""
    return Decimal(fen).scaleb(-2)


def settlement_sheet(rows: Iterable[SettlementRow]) -> Iterator[list[object]]:
    """The export's lines: one per order, then a total per institution and a grand total, all summed from
    the very rows written above them, so the totals reconcile to the fen."""
    per: dict[str, Totals] = {}
    grand = Totals(institution_name="总计")
    for r in rows:
        per.setdefault(r.institution_id, Totals(r.institution_id, r.institution_name)).add(r)
        grand.add(r)
        yield [r.order_number, r.institution_name, r.contract_number, r.elder_name, r.elder_id_card, r.region_code,
               r.subsidy_type, r.item_name, local_text(r.started_at), local_text(r.completed_at), r.duration_minutes,
               r.staff_name, yuan(r.amount_fen), yuan(r.subsidy_fen), yuan(r.self_pay_fen)]
    yield []
    for t in sorted(per.values(), key=lambda t: (t.institution_name, t.institution_id)):
        yield [f"机构合计（{t.orders}单）", t.institution_name, *[""] * 10, yuan(t.amount_fen), yuan(t.subsidy_fen),
               yuan(t.self_pay_fen)]
    yield [f"总计（{grand.orders}单）", "", *[""] * 10, yuan(grand.amount_fen), yuan(grand.subsidy_fen),
           yuan(grand.self_pay_fen)]


def settlement_totals(rt: Runtime, principal: Principal, flt: SettlementFilter) -> list[Totals]:
    with rt.uow() as uow:
        return list(uow.homebed_reports.settlement_totals(flt))
