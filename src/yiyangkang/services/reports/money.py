"""The money reports (居家业务报表, A-09, with HB-30's subsidies): 订单分账明细 (split detail), 政府结算报表
(government settlement: vouchers from the ledger, home-bed subsidies from the home-bed report, with detail
and export), 销售收支汇总 (an institution and its subordinates) and 供应商收支汇总 (as a supplier).

Institution admins see their institution and its subordinates, operators everything; anyone else is
refused. Naming an institution narrows a report to it and its subordinates (outside the caller's reach: 404).
Every total is summed from ledger entries (or the split table behind the split postings) and the exports'
total lines are summed from the very rows written above them, so both reconcile to the fen."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Literal

from yiyangkang.domain.homebed.reports import SettlementFilter
from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.kernel.timekeeping import local_text
from yiyangkang.domain.settlement.reports import (
    MoneyFilter,
    SalesLine,
    SettlementLine,
    SplitRow,
    SupplierLine,
    merge_settlement,
)
from yiyangkang.services.access import load_institution, visibility
from yiyangkang.services.homebed.reports import FIRST_YEAR, LAST_YEAR, MAX_DAYS, yuan
from yiyangkang.services.reports.views import (
    IncomeReport,
    SalesLineView,
    SettlementDetailPage,
    SettlementDetailView,
    SettlementLineView,
    SettlementReport,
    SplitReport,
    SplitRowView,
    SplitTotalsView,
    SupplierLineView,
    SupplierReport,
)
from yiyangkang.services.runtime import Runtime

OP = Operation.MONEY_REPORT
Source = Literal["voucher", "subsidy"]


def money_filter(rt: Runtime, principal: Principal, start: date | None, end: date | None,
                 institution_id: str | None = None) -> MoneyFilter:
    """The period [start, end] (Shanghai dates, both inclusive, at most a year) within the caller's scope,
    or the named institution and its subordinates."""
    scope = visibility(principal, OP)  # 403 for roles that see no money reports, before anything else
    checks: list[FieldError] = []
    if start is None:
        checks.append(FieldError("from", "请填写开始日期", "REQUIRED"))
    if end is None:
        checks.append(FieldError("to", "请填写结束日期", "REQUIRED"))
    if start is not None and end is not None and not (
            start.year >= FIRST_YEAR and end.year <= LAST_YEAR and start <= end and (end - start).days < MAX_DAYS):
        checks.append(FieldError("to", f"统计期间应为{FIRST_YEAR}～{LAST_YEAR}年内1～{MAX_DAYS}天，且结束日期"
                                       "不早于开始日期", "INVALID_PERIOD"))
    if checks or start is None or end is None:
        raise ValidationFailed(checks)
    if institution_id:
        with rt.uow() as uow:
            inst = load_institution(uow, principal, OP, institution_id)
        scope = Visibility(institution_path_prefix=inst.path)
    return MoneyFilter(scope, start, end + timedelta(days=1))


def _last(flt: MoneyFilter) -> date:
    return flt.end - timedelta(days=1)


# -- 订单分账明细 ---------------------------------------------------------------------------------------
def split_report(rt: Runtime, principal: Principal, flt: MoneyFilter, page: PageRequest) -> SplitReport:
    with rt.uow() as uow:
        totals = uow.money_reports.split_totals(flt)
        rows = [SplitRowView.of(r) for r in uow.money_reports.split_rows(flt, page)]
    return SplitReport(flt.start, _last(flt), rows, totals.orders, page.page, page.size, SplitTotalsView.of(totals))


def split_count(rt: Runtime, principal: Principal, flt: MoneyFilter) -> int:
    with rt.uow() as uow:
        return uow.money_reports.split_totals(flt).orders


def split_rows(rt: Runtime, principal: Principal, flt: MoneyFilter) -> Iterator[SplitRow]:
    """Every split of the period, streamed (exports)."""
    with rt.uow() as uow:
        yield from uow.money_reports.split_rows(flt)


SPLIT_HEADER = ["订单编号", "交易单号", "分账时间", "销售机构", "订单留存金额（元）", "其中服务券（元）", "服务商",
                "服务商分成比例", "服务商分成（元）", "平台服务费比例", "平台服务费（元）", "销售机构所得（元）",
                "退款冲回（元）"]


def _percent(bp: int) -> str:
    return f"{bp / 100:g}%"


def split_sheet(rows: Iterable[SplitRow]) -> Iterator[list[object]]:
    """One line per split, then the total summed from those lines."""
    n = held = supplier = platform = back = 0
    for r in rows:
        suppliers = [s for s in r.shares if s.party == "supplier"]
        platform_rates = sorted({s.rate_bp for s in r.shares if s.party == "platform"})
        n, held, supplier = n + 1, held + r.held_fen, supplier + r.supplier_fen
        platform, back = platform + r.platform_fen, back + r.reversed_fen
        yield [r.sub_order_number, r.trade_number, local_text(r.split_at), r.institution_name, yuan(r.held_fen),
               yuan(r.held_voucher_fen), "、".join(s.institution_name for s in suppliers),
               "、".join(_percent(s.rate_bp) for s in suppliers), yuan(r.supplier_fen),
               "、".join(_percent(x) for x in platform_rates), yuan(r.platform_fen), yuan(r.seller_fen),
               yuan(r.reversed_fen)]
    yield []
    yield [f"合计（{n}单）", "", "", "", yuan(held), "", "", "", yuan(supplier), "", yuan(platform),
           yuan(held - supplier - platform), yuan(back)]


# -- 政府结算报表 ---------------------------------------------------------------------------------------
def _homebed_filter(flt: MoneyFilter) -> SettlementFilter:
    return SettlementFilter(flt.visibility, flt.start, flt.end)


def _settlement_lines(rt: Runtime, flt: MoneyFilter) -> list[SettlementLine]:
    with rt.uow() as uow:
        vouchers = list(uow.money_reports.voucher_totals(flt))
        subsidies = [(t.institution_id, t.institution_name, t.orders, t.subsidy_fen)
                     for t in uow.homebed_reports.settlement_totals(_homebed_filter(flt))]
    return merge_settlement(vouchers, subsidies)


def _settlement_total(lines: Iterable[SettlementLine]) -> SettlementLine:
    total = SettlementLine("", "合计")
    for x in lines:
        total.voucher_spent_fen += x.voucher_spent_fen
        total.voucher_refunded_fen += x.voucher_refunded_fen
        total.voucher_postings += x.voucher_postings
        total.subsidy_orders += x.subsidy_orders
        total.subsidy_fen += x.subsidy_fen
    return total


def settlement_report(rt: Runtime, principal: Principal, flt: MoneyFilter) -> SettlementReport:
    """政府结算: per institution, vouchers taken net of refunds and home-bed subsidies of completed orders."""
    lines = _settlement_lines(rt, flt)
    return SettlementReport(flt.start, _last(flt), [SettlementLineView.of(x) for x in lines],
                            SettlementLineView.of(_settlement_total(lines)))


def settlement_detail(rt: Runtime, principal: Principal, flt: MoneyFilter, source: Source,
                      page: PageRequest) -> SettlementDetailPage:
    """查看明细: one page of the voucher movements or of the home-bed orders' subsidies."""
    with rt.uow() as uow:
        if source == "voucher":
            total = sum(v.postings for v in uow.money_reports.voucher_totals(flt))
            items = [SettlementDetailView.of_voucher(r) for r in uow.money_reports.voucher_rows(flt, page)]
        else:
            hb = _homebed_filter(flt)
            total = sum(t.orders for t in uow.homebed_reports.settlement_totals(hb))
            items = [SettlementDetailView.of_subsidy(r) for r in uow.homebed_reports.settlement_rows(hb, page)]
    return SettlementDetailPage(source, items, total, page.page, page.size)


def settlement_detail_count(rt: Runtime, principal: Principal, flt: MoneyFilter) -> int:
    lines = _settlement_lines(rt, flt)
    return sum(x.voucher_postings + x.subsidy_orders for x in lines)


def settlement_detail_rows(rt: Runtime, principal: Principal, flt: MoneyFilter) -> Iterator[SettlementDetailView]:
    """Every voucher movement, then every subsidised home-bed order, streamed (导出明细)."""
    with rt.uow() as uow:
        for r in uow.money_reports.voucher_rows(flt):
            yield SettlementDetailView.of_voucher(r)
        for s in uow.homebed_reports.settlement_rows(_homebed_filter(flt)):
            yield SettlementDetailView.of_subsidy(s)


SETTLEMENT_HEADER = ["机构", "服务券消费（元）", "服务券退回（元）", "服务券净额（元）", "服务券笔数", "家床补贴订单数",
                     "家床补贴（元）", "应结算合计（元）"]


def settlement_sheet(report: SettlementReport) -> Iterator[list[object]]:
    for x in [*report.lines, report.total]:
        yield [x.institution_name, yuan(x.voucher_spent_fen), yuan(x.voucher_refunded_fen), yuan(x.voucher_net_fen),
               x.voucher_postings, x.subsidy_orders, yuan(x.subsidy_fen), yuan(x.total_fen)]


SETTLEMENT_DETAIL_HEADER = ["来源", "业务编号", "时间", "机构", "老人", "项目", "金额（元）"]
SOURCE_LABELS = {"voucher": "养老服务券", "subsidy": "家床补贴"}


def settlement_detail_sheet(rows: Iterable[SettlementDetailView]) -> Iterator[list[object]]:
    """The detail lines, then per institution and source the totals summed from them, then the grand total."""
    per: dict[tuple[str, str], list[int]] = {}
    names: dict[str, str] = {}
    total = 0
    for r in rows:
        yield [SOURCE_LABELS[r.source], r.reference, local_text(r.at), r.institution_name, r.elder_name, r.item,
               yuan(r.amount_fen)]
        sums = per.setdefault((r.institution_id, r.source), [0, 0])
        sums[0], sums[1] = sums[0] + 1, sums[1] + r.amount_fen
        names[r.institution_id] = r.institution_name
        total += r.amount_fen
    yield []
    for (inst, source), (n, amount) in sorted(per.items(), key=lambda kv: (names[kv[0][0]], kv[0])):
        yield [f"机构合计（{n}笔）", SOURCE_LABELS[source], "", names[inst], "", "", yuan(amount)]
    yield [f"总计（{sum(n for n, _ in per.values())}笔）", "", "", "", "", "", yuan(total)]


# -- 销售收支汇总 / 供应商收支汇总 -------------------------------------------------------------------------
def income_report(rt: Runtime, principal: Principal, flt: MoneyFilter) -> IncomeReport:
    """销售收支: every institution of the scope — income (payments and vouchers in), expense (refunds, shares
    paid to suppliers, platform fees) and net."""
    with rt.uow() as uow:
        lines = list(uow.money_reports.sales_lines(flt))
    total = SalesLine("", "合计")
    for x in lines:
        total.cash_in_fen += x.cash_in_fen
        total.voucher_in_fen += x.voucher_in_fen
        total.refunds_fen += x.refunds_fen
        total.supplier_fen += x.supplier_fen
        total.platform_fen += x.platform_fen
    return IncomeReport(flt.start, _last(flt), [SalesLineView.of(x) for x in lines], SalesLineView.of(total))


INCOME_HEADER = ["机构", "收款（元）", "服务券收入（元）", "收入合计（元）", "退款（元）", "服务商分成（元）",
                 "平台服务费（元）", "支出合计（元）", "净收入（元）"]


def income_sheet(report: IncomeReport) -> Iterator[list[object]]:
    for x in [*report.lines, report.total]:
        yield [x.institution_name, yuan(x.cash_in_fen), yuan(x.voucher_in_fen), yuan(x.income_fen),
               yuan(x.refunds_fen), yuan(x.supplier_fen), yuan(x.platform_fen), yuan(x.expense_fen), yuan(x.net_fen)]


def supplier_report(rt: Runtime, principal: Principal, flt: MoneyFilter) -> SupplierReport:
    """供应商收支: the shares the scope's institutions received as suppliers, and gave back on refunds."""
    with rt.uow() as uow:
        lines = list(uow.money_reports.supplier_lines(flt))
    total = SupplierLine("", "合计", "", "")
    for x in lines:
        total.received_fen += x.received_fen
        total.reversed_fen += x.reversed_fen
        total.orders += x.orders
    return SupplierReport(flt.start, _last(flt), [SupplierLineView.of(x) for x in lines], SupplierLineView.of(total))


SUPPLIER_HEADER = ["服务商", "合作机构", "分账订单数", "分成收入（元）", "退款冲回（元）", "净收入（元）"]


def supplier_sheet(report: SupplierReport) -> Iterator[list[object]]:
    for x in [*report.lines, report.total]:
        yield [x.supplier_name, x.client_name, x.orders, yuan(x.received_fen), yuan(x.reversed_fen), yuan(x.net_fen)]
