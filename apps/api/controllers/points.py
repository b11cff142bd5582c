"""Points (积分, M-07, P-07…P-10, S-10): activities and enrolments, goods and exchanges, an elder's points
ledger, staff service points."""

from typing import Literal

from litestar import Controller, Response, get, post, put
from litestar.params import Parameter

from apps.api.deps import OptionalId, form_of, sheet_response
from apps.api.homebed_schemas import ReasonIn
from apps.api.points_schemas import (
    ActivityIn,
    AwardIn,
    EnrolIn,
    ExchangeIn,
    GoodIn,
    ShelfIn,
    StockDeltaIn,
)
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.points.activities import ActivityStatus, EnrolmentStatus
from yiyangkang.domain.points.goods import ExchangeStatus
from yiyangkang.services.points import activities, goods, ledger, service_points
from yiyangkang.services.points.activities import ActivityForm
from yiyangkang.services.points.goods import ExchangeForm, GoodForm
from yiyangkang.services.points.service_points import StaffPointsView
from yiyangkang.services.points.views import (
    ActivityView,
    AwardRunView,
    EnrolmentView,
    ExchangeView,
    GoodView,
    PointsLedgerView,
    ServiceAwardView,
)
from yiyangkang.services.views import AuditEventView

Keyword = Parameter(default=None, max_length=32, description="名称关键字")


class PointsActivityController(Controller):
    path = "/api/v1/points/activities"
    tags = ["积分·活动"]

    @post("/", operation_id="createPointsActivity", sync_to_thread=True, summary="新建积分活动（草稿）")
    def create(self, rt: Container, principal: Principal, data: ActivityIn) -> ActivityView:
        form, _ = form_of(ActivityForm, data)
        return activities.create_activity(rt, principal, form)

    @get("/", operation_id="listPointsActivities", sync_to_thread=True,
         summary="积分活动（默认：已发布的活动；manage=true：本机构的全部活动，含草稿）")
    def list_activities(self, rt: Container, principal: Principal, paging: PageRequest, manage: bool = False,
                        institution_id: str | None = OptionalId, status: ActivityStatus | None = None,
                        keyword: str | None = Keyword) -> PageOut[ActivityView]:
        return PageOut.of(activities.list_activities(rt, principal, paging, manage=manage,
                                                     institution_id=institution_id, status=status, keyword=keyword))

    @get("/{activity_id:str}", operation_id="getPointsActivity", sync_to_thread=True, summary="积分活动详情")
    def get_activity(self, rt: Container, principal: Principal, activity_id: str) -> ActivityView:
        return activities.get_activity(rt, principal, activity_id)

    @put("/{activity_id:str}", operation_id="updatePointsActivity", sync_to_thread=True,
         summary="修改积分活动（仅草稿）")
    def update(self, rt: Container, principal: Principal, activity_id: str, data: ActivityIn) -> ActivityView:
        form, version = form_of(ActivityForm, data)
        return activities.update_activity(rt, principal, activity_id, form, version)

    @post("/{activity_id:str}/publish", operation_id="publishPointsActivity", sync_to_thread=True,
          summary="发布积分活动", status_code=200)
    def publish(self, rt: Container, principal: Principal, activity_id: str) -> ActivityView:
        return activities.publish_activity(rt, principal, activity_id)

    @post("/{activity_id:str}/close", operation_id="closePointsActivity", sync_to_thread=True,
          summary="结束积分活动（未签到的报名记为缺席）", status_code=200)
    def close(self, rt: Container, principal: Principal, activity_id: str) -> ActivityView:
        return activities.close_activity(rt, principal, activity_id)

    @post("/{activity_id:str}/cancel", operation_id="cancelPointsActivity", sync_to_thread=True,
          summary="取消积分活动（开始前；报名一并取消）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, activity_id: str, data: ReasonIn) -> ActivityView:
        return activities.cancel_activity(rt, principal, activity_id, data.reason)

    @get("/{activity_id:str}/events", operation_id="pointsActivityEvents", sync_to_thread=True,
         summary="积分活动变更记录")
    def events(self, rt: Container, principal: Principal, activity_id: str) -> list[AuditEventView]:
        return activities.activity_events(rt, principal, activity_id)

    @post("/{activity_id:str}/enrolments", operation_id="enrolPointsActivity", sync_to_thread=True,
          summary="活动报名（老人/家属为自己的老人报名；机构可代报名）")
    def enrol(self, rt: Container, principal: Principal, activity_id: str, data: EnrolIn) -> EnrolmentView:
        return activities.enrol(rt, principal, activity_id, data.elder_id)


class PointsEnrolmentController(Controller):
    path = "/api/v1/points/enrolments"
    tags = ["积分·活动"]

    @get("/", operation_id="listPointsEnrolments", sync_to_thread=True,
         summary="活动报名记录（老人/家属：自己的老人；机构：本机构活动）")
    def list_enrolments(self, rt: Container, principal: Principal, paging: PageRequest,
                        activity_id: str | None = OptionalId, elder_id: str | None = OptionalId,
                        status: EnrolmentStatus | None = None) -> PageOut[EnrolmentView]:
        return PageOut.of(activities.list_enrolments(rt, principal, paging, activity_id=activity_id,
                                                     elder_id=elder_id, status=status))

    @get("/{enrolment_id:str}", operation_id="getPointsEnrolment", sync_to_thread=True, summary="报名详情")
    def get_enrolment(self, rt: Container, principal: Principal, enrolment_id: str) -> EnrolmentView:
        return activities.get_enrolment(rt, principal, enrolment_id)

    @post("/{enrolment_id:str}/cancel", operation_id="cancelPointsEnrolment", sync_to_thread=True,
          summary="取消报名（活动开始前）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, enrolment_id: str, data: ReasonIn) -> EnrolmentView:
        return activities.cancel_enrolment(rt, principal, enrolment_id, data.reason)

    @post("/{enrolment_id:str}/attendance", operation_id="checkPointsAttendance", sync_to_thread=True,
          summary="签到（发放活动积分，每个报名一次）", status_code=200)
    def attend(self, rt: Container, principal: Principal, enrolment_id: str) -> EnrolmentView:
        return activities.check_attendance(rt, principal, enrolment_id)

    @get("/{enrolment_id:str}/events", operation_id="pointsEnrolmentEvents", sync_to_thread=True,
         summary="报名变更记录")
    def events(self, rt: Container, principal: Principal, enrolment_id: str) -> list[AuditEventView]:
        return activities.enrolment_events(rt, principal, enrolment_id)


class PointsGoodController(Controller):
    path = "/api/v1/points/goods"
    tags = ["积分·商品与兑换"]

    @post("/", operation_id="createPointsGood", sync_to_thread=True, summary="新建积分商品（未上架）")
    def create(self, rt: Container, principal: Principal, data: GoodIn) -> GoodView:
        form, _ = form_of(GoodForm, data)
        return goods.create_good(rt, principal, form)

    @get("/", operation_id="listPointsGoods", sync_to_thread=True,
         summary="积分商品（默认：已上架；manage=true：本机构全部商品）")
    def list_goods(self, rt: Container, principal: Principal, paging: PageRequest, manage: bool = False,
                   institution_id: str | None = OptionalId, on_shelf: bool | None = None,
                   keyword: str | None = Keyword) -> PageOut[GoodView]:
        return PageOut.of(goods.list_goods(rt, principal, paging, manage=manage, institution_id=institution_id,
                                           on_shelf=on_shelf, keyword=keyword))

    @get("/{good_id:str}", operation_id="getPointsGood", sync_to_thread=True, summary="积分商品详情")
    def get_good(self, rt: Container, principal: Principal, good_id: str) -> GoodView:
        return goods.get_good(rt, principal, good_id)

    @put("/{good_id:str}", operation_id="updatePointsGood", sync_to_thread=True, summary="修改积分商品")
    def update(self, rt: Container, principal: Principal, good_id: str, data: GoodIn) -> GoodView:
        form, version = form_of(GoodForm, data)
        return goods.update_good(rt, principal, good_id, form, version)

    @post("/{good_id:str}/shelf", operation_id="shelvePointsGood", sync_to_thread=True, summary="上架 / 下架",
          status_code=200)
    def shelf(self, rt: Container, principal: Principal, good_id: str, data: ShelfIn) -> GoodView:
        return goods.set_on_shelf(rt, principal, good_id, data.on_shelf)

    @post("/{good_id:str}/stock", operation_id="adjustPointsGoodStock", sync_to_thread=True,
          summary="调整库存（补货为正，核减为负）", status_code=200)
    def stock(self, rt: Container, principal: Principal, good_id: str, data: StockDeltaIn) -> GoodView:
        return goods.adjust_stock(rt, principal, good_id, data.delta, data.reason)

    @get("/{good_id:str}/events", operation_id="pointsGoodEvents", sync_to_thread=True, summary="积分商品变更记录")
    def events(self, rt: Container, principal: Principal, good_id: str) -> list[AuditEventView]:
        return goods.good_events(rt, principal, good_id)


class PointsExchangeController(Controller):
    path = "/api/v1/points/exchanges"
    tags = ["积分·商品与兑换"]

    @post("/", operation_id="exchangePoints", sync_to_thread=True,
          summary="积分兑换（扣积分与减库存同时完成，或都不发生）")
    def create(self, rt: Container, principal: Principal, data: ExchangeIn) -> ExchangeView:
        return goods.exchange(rt, principal, ExchangeForm(good_id=data.good_id, elder_id=data.elder_id,
                                                          quantity=data.quantity))

    @get("/", operation_id="listPointsExchanges", sync_to_thread=True,
         summary="兑换记录（老人/家属：自己的老人；机构：本机构商品）")
    def list_exchanges(self, rt: Container, principal: Principal, paging: PageRequest,
                       elder_id: str | None = OptionalId, good_id: str | None = OptionalId,
                       institution_id: str | None = OptionalId,
                       status: ExchangeStatus | None = None) -> PageOut[ExchangeView]:
        return PageOut.of(goods.list_exchanges(rt, principal, paging, elder_id=elder_id, good_id=good_id,
                                               institution_id=institution_id, status=status))

    @get("/export", operation_id="exportPointsExchanges", sync_to_thread=True,
         summary="导出兑换记录（CSV 或 XLSX）", media_type="application/octet-stream")
    def export(self, rt: Container, principal: Principal, format: Literal["csv", "xlsx"] = "xlsx",
               institution_id: str | None = OptionalId, status: ExchangeStatus | None = None) -> Response[bytes]:
        rows = goods.export_rows(rt, principal, institution_id=institution_id, status=status)
        return sheet_response(rows[0], rows[1:], format, "points-exchanges")

    @get("/{exchange_id:str}", operation_id="getPointsExchange", sync_to_thread=True, summary="兑换详情")
    def get_exchange(self, rt: Container, principal: Principal, exchange_id: str) -> ExchangeView:
        return goods.get_exchange(rt, principal, exchange_id)

    @post("/{exchange_id:str}/deliver", operation_id="deliverPointsExchange", sync_to_thread=True,
          summary="发放（机构）", status_code=200)
    def deliver(self, rt: Container, principal: Principal, exchange_id: str) -> ExchangeView:
        return goods.deliver(rt, principal, exchange_id)

    @post("/{exchange_id:str}/cancel", operation_id="cancelPointsExchange", sync_to_thread=True,
          summary="取消兑换（发放前；积分与库存退回）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, exchange_id: str, data: ReasonIn) -> ExchangeView:
        return goods.cancel_exchange(rt, principal, exchange_id, data.reason)

    @get("/{exchange_id:str}/events", operation_id="pointsExchangeEvents", sync_to_thread=True,
         summary="兑换变更记录")
    def events(self, rt: Container, principal: Principal, exchange_id: str) -> list[AuditEventView]:
        return goods.exchange_events(rt, principal, exchange_id)


class PointsLedgerController(Controller):
    path = "/api/v1/points/elders"
    tags = ["积分·明细"]

    @get("/{elder_id:str}/ledger", operation_id="elderPointsLedger", sync_to_thread=True,
         summary="老人的积分余额与明细（最新在前）")
    def elder_ledger(self, rt: Container, principal: Principal, elder_id: str,
                     paging: PageRequest) -> PointsLedgerView:
        return ledger.elder_ledger(rt, principal, elder_id, paging)


class ServicePointsController(Controller):
    path = "/api/v1/points/service-points"
    tags = ["积分·服务积分"]

    @get("/", operation_id="listServicePoints", sync_to_thread=True,
         summary="服务积分（机构：本机构员工；员工：本人），按结算月")
    def list_points(self, rt: Container, principal: Principal, paging: PageRequest,
                    period: str | None = Parameter(default=None, max_length=7, description="结算月，如 2026-10"),
                    institution_id: str | None = OptionalId,
                    staff_id: str | None = OptionalId) -> PageOut[ServiceAwardView]:
        return PageOut.of(service_points.list_service_points(rt, principal, paging, period=period,
                                                             institution_id=institution_id, staff_id=staff_id))

    @get("/mine", operation_id="myServicePoints", sync_to_thread=True, summary="我的服务积分（员工）")
    def mine(self, rt: Container, principal: Principal, paging: PageRequest) -> StaffPointsView:
        return service_points.staff_service_points(rt, principal, principal.staff_id or "", paging)

    @get("/staff/{staff_id:str}", operation_id="staffServicePoints", sync_to_thread=True,
         summary="某员工的服务积分余额与各月记录")
    def staff(self, rt: Container, principal: Principal, staff_id: str, paging: PageRequest) -> StaffPointsView:
        return service_points.staff_service_points(rt, principal, staff_id, paging)

    @post("/award", operation_id="awardServicePoints", sync_to_thread=True,
          summary="结算某月服务积分（平台；月底之后；重复结算不重复发放）", status_code=200)
    def award(self, rt: Container, principal: Principal, data: AwardIn) -> AwardRunView:
        return service_points.award_service_points(rt, principal, data.period)
