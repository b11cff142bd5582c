"""Home-bed service orders (HB-10/11, S-01…S-03, S-06), exception orders (A-08) and reports (HB-30)."""

from datetime import timedelta
from typing import Literal

from litestar import Controller, Response, get, post
from litestar.params import Parameter

from apps.api.deps import OptionalId, form_of, sheet_response
from apps.api.homebed_schemas import LocationIn, NoteIn, OrderIn, ReasonIn, RecordIn, ReviewIn, StaffIdIn
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.homebed.exceptions import ExceptionKind, ReviewStatus
from yiyangkang.domain.homebed.orders import OrderStatus
from yiyangkang.domain.homebed.reports import BusinessReport
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.services.homebed import exceptions, orders, reports
from yiyangkang.services.homebed.orders import OrderForm, RecordForm
from yiyangkang.services.homebed.reports import SettlementPage
from yiyangkang.services.homebed.views import ExceptionView, OrderView
from yiyangkang.services.views import AuditEventView


class HomeBedOrderController(Controller):
    path = "/api/v1/homebed/orders"
    tags = ["家床服务订单"]

    @get("/", operation_id="listHomeBedOrders", sync_to_thread=True,
         summary="家床订单列表（mine=true 为服务人员自己的任务）")
    def list_orders(
        self, rt: Container, principal: Principal, paging: PageRequest, status: OrderStatus | None = None,
        institution_id: str | None = OptionalId, elder_id: str | None = OptionalId,
        contract_id: str | None = OptionalId, staff_id: str | None = OptionalId,
        supplementary: bool | None = None, mine: bool = False,
        keyword: str | None = Parameter(default=None, max_length=32, description="订单编号或服务项目"),
    ) -> PageOut[OrderView]:
        return PageOut.of(orders.list_orders(
            rt, principal, paging, status=status, institution_id=institution_id, elder_id=elder_id,
            contract_id=contract_id, staff_id=staff_id, supplementary=supplementary, mine=mine, keyword=keyword))

    @post("/", operation_id="placeHomeBedOrder", sync_to_thread=True, summary="家床服务代下单（仅签约生效中的老人）")
    def place(self, rt: Container, principal: Principal, data: OrderIn) -> OrderView:
        form, _ = form_of(OrderForm, data)
        return orders.place_order(rt, principal, form)

    @post("/records", operation_id="recordHomeBedService", sync_to_thread=True, summary="补录（待与客户确认）")
    def record(self, rt: Container, principal: Principal, data: RecordIn) -> OrderView:
        form, _ = form_of(RecordForm, data)
        return orders.record_service(rt, principal, form)

    @get("/{order_id:str}", operation_id="getHomeBedOrder", sync_to_thread=True, summary="订单详情")
    def get_order(self, rt: Container, principal: Principal, order_id: str) -> OrderView:
        return orders.get_order(rt, principal, order_id)

    @get("/{order_id:str}/events", operation_id="homeBedOrderEvents", sync_to_thread=True, summary="订单变更记录")
    def events(self, rt: Container, principal: Principal, order_id: str) -> list[AuditEventView]:
        return orders.order_events(rt, principal, order_id)

    @post("/{order_id:str}/dispatch", operation_id="dispatchHomeBedOrder", sync_to_thread=True,
          summary="派单 / 改派（待服务前）", status_code=200)
    def dispatch(self, rt: Container, principal: Principal, order_id: str, data: StaffIdIn) -> OrderView:
        return orders.dispatch_order(rt, principal, order_id, data.staff_id, data.version)

    @post("/{order_id:str}/return", operation_id="returnHomeBedOrder", sync_to_thread=True,
          summary="退单（服务人员退回，重新待派单）", status_code=200)
    def return_order(self, rt: Container, principal: Principal, order_id: str, data: ReasonIn) -> OrderView:
        return orders.return_order(rt, principal, order_id, data.reason)

    @post("/{order_id:str}/start", operation_id="startHomeBedOrder", sync_to_thread=True,
          summary="开始服务（签到时间与位置）", status_code=200)
    def start(self, rt: Container, principal: Principal, order_id: str, data: LocationIn) -> OrderView:
        return orders.start_order(rt, principal, order_id, data.lng, data.lat)

    @post("/{order_id:str}/complete", operation_id="completeHomeBedOrder", sync_to_thread=True,
          summary="完成服务（签出时间与位置）", status_code=200)
    def complete(self, rt: Container, principal: Principal, order_id: str, data: LocationIn) -> OrderView:
        return orders.complete_order(rt, principal, order_id, data.lng, data.lat)

    @post("/{order_id:str}/cancel", operation_id="cancelHomeBedOrder", sync_to_thread=True,
          summary="取消订单（须在取消截止时间前）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, order_id: str, data: ReasonIn) -> OrderView:
        return orders.cancel_order(rt, principal, order_id, data.reason)

    @post("/{order_id:str}/confirm", operation_id="confirmHomeBedRecord", sync_to_thread=True,
          summary="补录确认（与客户确认后）", status_code=200)
    def confirm(self, rt: Container, principal: Principal, order_id: str, data: NoteIn) -> OrderView:
        return orders.confirm_record(rt, principal, order_id, data.note)

    @post("/{order_id:str}/reject-record", operation_id="rejectHomeBedRecord", sync_to_thread=True,
          summary="补录不予确认", status_code=200)
    def reject(self, rt: Container, principal: Principal, order_id: str, data: ReasonIn) -> OrderView:
        return orders.reject_record(rt, principal, order_id, data.reason)


class HomeBedExceptionController(Controller):
    path = "/api/v1/homebed/exceptions"
    tags = ["异常单"]

    @get("/", operation_id="listHomeBedExceptions", sync_to_thread=True, summary="异常单列表")
    def list_exceptions(
        self, rt: Container, principal: Principal, paging: PageRequest, status: ReviewStatus | None = None,
        type: ExceptionKind | None = None, institution_id: str | None = OptionalId, order_id: str | None = OptionalId,
    ) -> PageOut[ExceptionView]:
        return PageOut.of(exceptions.list_exceptions(rt, principal, paging, status=status, type=type,
                                                     institution_id=institution_id, order_id=order_id))

    @get("/{exception_id:str}", operation_id="getHomeBedException", sync_to_thread=True, summary="异常单详情")
    def get_exception(self, rt: Container, principal: Principal, exception_id: str) -> ExceptionView:
        return exceptions.get_exception(rt, principal, exception_id)

    @post("/{exception_id:str}/review", operation_id="reviewHomeBedException", sync_to_thread=True,
          summary="审核异常单（确认/不予认定）", status_code=200)
    def review(self, rt: Container, principal: Principal, exception_id: str, data: ReviewIn) -> ExceptionView:
        return exceptions.review_exception(rt, principal, exception_id, accept=data.approve, note=data.note,
                                           expected_version=data.version)


PERIOD = Parameter(max_length=32, description="统计期间：2026-10，或 2026-10-01..2026-10-31")


class HomeBedReportController(Controller):
    path = "/api/v1/homebed/reports"
    tags = ["家床报表"]

    @get("/settlement", operation_id="homeBedSettlement", sync_to_thread=True,
         summary="政府结算报表（完成的服务订单明细与各机构合计，金额单位：分）")
    def settlement(
        self, rt: Container, principal: Principal, paging: PageRequest, period: str = PERIOD,
        region_code: str | None = Parameter(default=None, max_length=12), institution_id: str | None = OptionalId,
        subsidy_type_id: str | None = OptionalId,
    ) -> SettlementPage:
        start, end = reports.parse_period(period)
        flt = reports.settlement_filter(principal, start, end, region_code=region_code, institution_id=institution_id,
                                        subsidy_type_id=subsidy_type_id)
        return reports.settlement_report(rt, principal, flt, paging)

    @get("/settlement/export", operation_id="exportHomeBedSettlement", sync_to_thread=True,
         summary="导出政府结算报表（CSV 或 XLSX）", media_type="application/octet-stream")
    def export(
        self, rt: Container, principal: Principal, period: str = PERIOD, format: Literal["csv", "xlsx"] = "xlsx",
        region_code: str | None = Parameter(default=None, max_length=12), institution_id: str | None = OptionalId,
        subsidy_type_id: str | None = OptionalId,
    ) -> Response[bytes]:
        start, end = reports.parse_period(period)
        flt = reports.settlement_filter(principal, start, end, region_code=region_code, institution_id=institution_id,
                                        subsidy_type_id=subsidy_type_id)
        name = f"homebed-settlement-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}"  # both inclusive
        return sheet_response(reports.SETTLEMENT_HEADER,
                              reports.settlement_sheet(reports.settlement_rows(rt, principal, flt)), format, name)

    @get("/business", operation_id="homeBedBusiness", sync_to_thread=True,
         summary="家床业务报表（签约、订单状态、准时率与异常率）")
    def business(self, rt: Container, principal: Principal, period: str = PERIOD) -> BusinessReport:
        start, end = reports.parse_period(period)
        return reports.business_report(rt, principal, start, end)


