"""The money reports (居家业务报表, A-09; HB-30's subsidies in the government settlement): JSON, and each as a
CSV or XLSX download at `…/export?format=csv|xlsx`. Periods are Shanghai dates `from`…`to`, both inclusive;
`institution_id` narrows a report to that institution and its subordinates. Amounts are integer fen in JSON,
yuan in the exports."""

from datetime import date, timedelta
from typing import Annotated, Literal

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from apps.api.deps import OptionalId, sheet_response
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.settlement.reports import MoneyFilter
from yiyangkang.services.reports import money
from yiyangkang.services.reports.views import (
    IncomeReport,
    SettlementDetailPage,
    SettlementReport,
    SplitReport,
    SupplierReport,
)

From = Annotated[date | None, QueryParameter(name="from", description="开始日期（上海时间，含）")]
To = Annotated[date | None, QueryParameter(name="to", description="结束日期（上海时间，含）")]
Format = Literal["csv", "xlsx"]


def _filter(rt: Container, principal: Principal, start: date | None, end: date | None,
            institution_id: str | None) -> MoneyFilter:
    return money.money_filter(rt, principal, start, end, institution_id)


def _name(kind: str, flt: MoneyFilter) -> str:
    return f"{kind}-{flt.start:%Y%m%d}-{flt.end - timedelta(days=1):%Y%m%d}"


class MoneyReportController(Controller):
    path = "/api/v1/reports"
    tags = ["居家业务报表"]

    @get("/splits", operation_id="splitReport", sync_to_thread=True,
         summary="订单分账明细（每个完成的订单：销售机构、服务商、平台服务费与金额；期间合计）")
    def splits(self, rt: Container, principal: Principal, paging: PageRequest, start: From = None,
               end: To = None, institution_id: str | None = OptionalId) -> SplitReport:
        return money.split_report(rt, principal, _filter(rt, principal, start, end, institution_id), paging)

    @get("/splits/export", operation_id="exportSplitReport", sync_to_thread=True,
         summary="导出订单分账明细（CSV 或 XLSX）", media_type="application/octet-stream")
    def export_splits(self, rt: Container, principal: Principal, start: From = None, end: To = None,
                      institution_id: str | None = OptionalId, format: Format = "xlsx") -> Response[bytes]:
        flt = _filter(rt, principal, start, end, institution_id)
        return sheet_response(money.SPLIT_HEADER, money.split_sheet(money.split_rows(rt, principal, flt)), format,
                              _name("splits", flt))

    @get("/settlement", operation_id="moneySettlement", sync_to_thread=True,
         summary="政府结算报表（各机构养老服务券净额与家床补贴，金额单位：分）")
    def settlement(self, rt: Container, principal: Principal, start: From = None, end: To = None,
                   institution_id: str | None = OptionalId) -> SettlementReport:
        return money.settlement_report(rt, principal, _filter(rt, principal, start, end, institution_id))

    @get("/settlement/export", operation_id="exportMoneySettlement", sync_to_thread=True,
         summary="导出政府结算报表（CSV 或 XLSX）", media_type="application/octet-stream")
    def export_settlement(self, rt: Container, principal: Principal, start: From = None,
                          end: To = None, institution_id: str | None = OptionalId,
                          format: Format = "xlsx") -> Response[bytes]:
        flt = _filter(rt, principal, start, end, institution_id)
        report = money.settlement_report(rt, principal, flt)
        return sheet_response(money.SETTLEMENT_HEADER, money.settlement_sheet(report), format,
                              _name("settlement", flt))

    @get("/settlement/detail", operation_id="moneySettlementDetail", sync_to_thread=True,
         summary="政府结算明细（source=voucher 服务券流水；source=subsidy 家床补贴订单）")
    def settlement_detail(self, rt: Container, principal: Principal, paging: PageRequest,
                          start: From = None, end: To = None, institution_id: str | None = OptionalId,
                          source: Literal["voucher", "subsidy"] = "voucher") -> SettlementDetailPage:
        flt = _filter(rt, principal, start, end, institution_id)
        return money.settlement_detail(rt, principal, flt, source, paging)

    @get("/settlement/detail/export", operation_id="exportMoneySettlementDetail", sync_to_thread=True,
         summary="导出政府结算明细（服务券流水与家床补贴订单，含机构合计）", media_type="application/octet-stream")
    def export_settlement_detail(self, rt: Container, principal: Principal, start: From = None,
                                 end: To = None, institution_id: str | None = OptionalId,
                                 format: Format = "xlsx") -> Response[bytes]:
        flt = _filter(rt, principal, start, end, institution_id)
        rows = money.settlement_detail_sheet(money.settlement_detail_rows(rt, principal, flt))
        return sheet_response(money.SETTLEMENT_DETAIL_HEADER, rows, format, _name("settlement-detail", flt))

    @get("/income", operation_id="incomeReport", sync_to_thread=True,
         summary="销售收支汇总（本机构及下级机构：收款、服务券、退款、服务商分成、平台服务费、净收入）")
    def income(self, rt: Container, principal: Principal, start: From = None, end: To = None,
               institution_id: str | None = OptionalId) -> IncomeReport:
        return money.income_report(rt, principal, _filter(rt, principal, start, end, institution_id))

    @get("/income/export", operation_id="exportIncomeReport", sync_to_thread=True,
         summary="导出销售收支汇总（CSV 或 XLSX）", media_type="application/octet-stream")
    def export_income(self, rt: Container, principal: Principal, start: From = None, end: To = None,
                      institution_id: str | None = OptionalId, format: Format = "xlsx") -> Response[bytes]:
        flt = _filter(rt, principal, start, end, institution_id)
        return sheet_response(money.INCOME_HEADER, money.income_sheet(money.income_report(rt, principal, flt)),
                              format, _name("income", flt))

    @get("/supplier-income", operation_id="supplierIncomeReport", sync_to_thread=True,
         summary="供应商收支汇总（本机构作为服务商：各合作机构的分成收入与退款冲回）")
    def supplier_income(self, rt: Container, principal: Principal, start: From = None, end: To = None,
                        institution_id: str | None = OptionalId) -> SupplierReport:
        return money.supplier_report(rt, principal, _filter(rt, principal, start, end, institution_id))

    @get("/supplier-income/export", operation_id="exportSupplierIncomeReport", sync_to_thread=True,
         summary="导出供应商收支汇总（CSV 或 XLSX）", media_type="application/octet-stream")
    def export_supplier_income(self, rt: Container, principal: Principal, start: From = None,
                               end: To = None, institution_id: str | None = OptionalId,
                               format: Format = "xlsx") -> Response[bytes]:
        flt = _filter(rt, principal, start, end, institution_id)
        report = money.supplier_report(rt, principal, flt)
        return sheet_response(money.SUPPLIER_HEADER, money.supplier_sheet(report), format,
                              _name("supplier-income", flt))
