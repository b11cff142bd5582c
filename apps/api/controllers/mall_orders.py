"""The mall's order side (M-05, A-05…A-08, P-01/P-02): checkout and payment, sub-orders and their
fulfilment, verification codes, after-sales, ratings, exception orders and their export."""

from typing import Annotated, Literal

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import Parameter

from apps.api.deps import Multipart, OptionalId, file_response, sheet_response, upload_of
from apps.api.homebed_schemas import ReasonIn, ReviewIn, StaffIdIn
from apps.api.mall_schemas import (
    AfterSaleIn,
    CheckoutIn,
    CodeIn,
    CompleteIn,
    HideIn,
    LogisticsIn,
    PayIn,
    RatingIn,
    RecordTextIn,
    ReviewDecisionIn,
    ShipIn,
    StartIn,
    TrackingIn,
)
from apps.api.schemas import PageOut
from yiyangkang.bootstrap import Container, qr_png
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import FieldError, ValidationFailed
from yiyangkang.domain.kernel.paging import PageRequest
from yiyangkang.domain.mall.aftersales import AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.catalogue import Fulfilment
from yiyangkang.domain.mall.orders import SubStatus, TradeStatus
from yiyangkang.domain.quality.exceptions import ExceptionKind, ReviewStatus
from yiyangkang.services.mall import aftersales, checkout, fulfilment, ratings
from yiyangkang.services.mall.aftersales import AfterSaleForm
from yiyangkang.services.mall.checkout import CartItem, CartPackage, CheckoutForm
from yiyangkang.services.mall.exceptions import DESK
from yiyangkang.services.mall.fulfilment import ShipForm
from yiyangkang.services.mall.ratings import RatingForm
from yiyangkang.services.mall.views import AfterSaleView, RatingView, SubOrderView, TradeView
from yiyangkang.services.views import AuditEventView, ExceptionView


def _units(raw: dict[str, int] | None) -> dict[int, int] | None:
    """Line numbers arrive as JSON object keys (text)."""
    if raw is None:
        return None
    bad = [k for k in raw if not (k.isascii() and k.isdigit() and len(k) <= 4)]
    if bad:
        raise ValidationFailed([FieldError(f"units.{k}", "商品行号应为数字", "INVALID") for k in bad])
    return {int(k): v for k, v in raw.items()}


class MallTradeController(Controller):
    path = "/api/v1/mall/trades"
    tags = ["商城·下单与支付"]

    @post("/", operation_id="checkout", sync_to_thread=True,
          summary="下单（老人/家属为自己的老人下单；员工、机构为老人起单）")
    def create(self, rt: Container, principal: Principal, data: CheckoutIn) -> TradeView:
        form = CheckoutForm(
            elder_id=data.elder_id, address_id=data.address_id, remark=data.remark,
            items=[CartItem(product_id=i.product_id, quantity=i.quantity, appointment_at=i.appointment_at)
                   for i in data.items],
            packages=[CartPackage(package_id=p.package_id, quantity=p.quantity, appointment_at=p.appointment_at)
                      for p in data.packages])
        return checkout.checkout(rt, principal, form)

    @get("/", operation_id="listTrades", sync_to_thread=True, summary="我的交易单（老人、家属；员工为自己起的单）")
    def list_trades(self, rt: Container, principal: Principal, paging: PageRequest,
                    status: TradeStatus | None = None, elder_id: str | None = OptionalId) -> PageOut[TradeView]:
        return PageOut.of(checkout.list_trades(rt, principal, paging, status=status, elder_id=elder_id))

    @get("/{trade_id:str}", operation_id="getTrade", sync_to_thread=True, summary="交易单详情")
    def get_trade(self, rt: Container, principal: Principal, trade_id: str) -> TradeView:
        return checkout.get_trade(rt, principal, trade_id)

    @post("/{trade_id:str}/pay", operation_id="payTrade", sync_to_thread=True,
          summary="支付（沙箱通道立即确认）", status_code=200)
    def pay(self, rt: Container, principal: Principal, trade_id: str, data: PayIn) -> TradeView:
        return checkout.pay(rt, principal, trade_id, data.channel, use_vouchers=data.use_vouchers,
                            payer_openid=data.openid or "")

    @get("/{trade_id:str}/pay-qr.png", operation_id="tradePayQr", sync_to_thread=True,
         summary="付款二维码（微信扫码支付 code_url 的 PNG）", media_type="image/png")
    def pay_qr(self, rt: Container, principal: Principal, trade_id: str) -> Response[bytes]:
        url = checkout.pay_url(rt, principal, trade_id)
        return Response(content=qr_png(url), media_type="image/png")

    @post("/{trade_id:str}/cancel", operation_id="cancelTrade", sync_to_thread=True,
          summary="取消待付款订单（库存退回）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, trade_id: str, data: ReasonIn) -> TradeView:
        return checkout.cancel_trade(rt, principal, trade_id, data.reason)


class MallOrderController(Controller):
    path = "/api/v1/mall/orders"
    tags = ["商城·订单履约"]

    @get("/", operation_id="listMallOrders", sync_to_thread=True,
         summary="订单列表（goods=false 服务订单，goods=true 商品订单；mine=true 为派给我的上门服务）")
    def list_orders(
        self, rt: Container, principal: Principal, paging: PageRequest, goods: bool | None = None,
        status: SubStatus | None = None, fulfilment_type: Fulfilment | None = None,
        institution_id: str | None = OptionalId, elder_id: str | None = OptionalId, mine: bool = False,
        keyword: str | None = Parameter(default=None, max_length=32, description="订单编号"),
    ) -> PageOut[SubOrderView]:
        return PageOut.of(fulfilment.list_orders(rt, principal, paging, goods=goods, status=status,
                                                 fulfilment=fulfilment_type, institution_id=institution_id,
                                                 elder_id=elder_id, mine=mine, keyword=keyword))

    @get("/{order_id:str}", operation_id="getMallOrder", sync_to_thread=True, summary="订单详情")
    def get_order(self, rt: Container, principal: Principal, order_id: str) -> SubOrderView:
        return fulfilment.get_order(rt, principal, order_id)

    @get("/{order_id:str}/events", operation_id="mallOrderEvents", sync_to_thread=True, summary="订单变更记录")
    def events(self, rt: Container, principal: Principal, order_id: str) -> list[AuditEventView]:
        return fulfilment.order_events(rt, principal, order_id)

    @post("/{order_id:str}/dispatch", operation_id="dispatchMallOrder", sync_to_thread=True,
          summary="派单 / 改派（上门服务）", status_code=200)
    def dispatch(self, rt: Container, principal: Principal, order_id: str, data: StaffIdIn) -> SubOrderView:
        return fulfilment.dispatch(rt, principal, order_id, data.staff_id, data.version)

    @post("/{order_id:str}/return", operation_id="returnMallOrder", sync_to_thread=True,
          summary="返单（服务人员退回，重新待派单）", status_code=200)
    def return_order(self, rt: Container, principal: Principal, order_id: str, data: ReasonIn) -> SubOrderView:
        return fulfilment.return_order(rt, principal, order_id, data.reason)

    @post("/{order_id:str}/start", operation_id="startMallVisit", sync_to_thread=True,
          summary="上门核销并开始服务（签到）", status_code=200)
    def start(self, rt: Container, principal: Principal, order_id: str, data: StartIn) -> SubOrderView:
        return fulfilment.start_visit(rt, principal, order_id, data.code, data.lng, data.lat)

    @post("/{order_id:str}/complete", operation_id="completeMallVisit", sync_to_thread=True,
          summary="完成服务（签出，填写服务记录）", status_code=200)
    def complete(self, rt: Container, principal: Principal, order_id: str, data: CompleteIn) -> SubOrderView:
        return fulfilment.complete_visit(rt, principal, order_id, data.record, data.lng, data.lat)

    @post("/{order_id:str}/supplement", operation_id="supplementMallOrder", sync_to_thread=True,
          summary="补录服务记录", status_code=200)
    def supplement(self, rt: Container, principal: Principal, order_id: str, data: RecordTextIn) -> SubOrderView:
        return fulfilment.supplement(rt, principal, order_id, data.record)

    @post("/{order_id:str}/ship", operation_id="shipMallOrder", sync_to_thread=True,
          summary="发货（可部分发货）", status_code=200)
    def ship(self, rt: Container, principal: Principal, order_id: str, data: ShipIn) -> SubOrderView:
        form = ShipForm(carrier=data.carrier, tracking_no=data.tracking_no, units=_units(data.units))
        return fulfilment.ship(rt, principal, order_id, form)

    @post("/{order_id:str}/shipments/{index:int}", operation_id="editMallLogistics", sync_to_thread=True,
          summary="修改物流信息", status_code=200)
    def logistics(self, rt: Container, principal: Principal, order_id: str, index: int,
                  data: LogisticsIn) -> SubOrderView:
        return fulfilment.edit_logistics(rt, principal, order_id, index, data.carrier, data.tracking_no)

    @post("/{order_id:str}/confirm-delivery", operation_id="confirmMallDelivery", sync_to_thread=True,
          summary="确认收货", status_code=200)
    def confirm_delivery(self, rt: Container, principal: Principal, order_id: str) -> SubOrderView:
        return fulfilment.confirm_delivery(rt, principal, order_id)

    @post("/{order_id:str}/cancel", operation_id="cancelMallOrder", sync_to_thread=True,
          summary="取消已付款未履约的订单（原路退款）", status_code=200)
    def cancel(self, rt: Container, principal: Principal, order_id: str, data: ReasonIn) -> SubOrderView:
        return fulfilment.cancel_order(rt, principal, order_id, data.reason)


class MallVerifyController(Controller):
    path = "/api/v1/mall/verification"
    tags = ["商城·核销"]

    @post("/lookup", operation_id="lookupVerifyCode", sync_to_thread=True,
          summary="查询核销码对应的订单（本机构）", status_code=200)
    def lookup(self, rt: Container, principal: Principal, data: CodeIn) -> SubOrderView:
        return fulfilment.find_by_code(rt, principal, data.code)

    @post("/", operation_id="verifyCode", sync_to_thread=True,
          summary="核销（到店服务、自提；可按商品行部分核销）", status_code=200)
    def verify(self, rt: Container, principal: Principal, data: CodeIn) -> SubOrderView:
        return fulfilment.verify(rt, principal, data.code, _units(data.units))


class MallAfterSaleController(Controller):
    path = "/api/v1/mall/after-sales"
    tags = ["商城·售后"]

    @post("/", operation_id="requestAfterSale", sync_to_thread=True, summary="申请售后（仅退款 / 退货退款）")
    def create(self, rt: Container, principal: Principal, data: AfterSaleIn) -> AfterSaleView:
        return aftersales.request_after_sale(rt, principal, AfterSaleForm(**data.fields()))  # type: ignore[arg-type]

    @get("/", operation_id="listAfterSales", sync_to_thread=True, summary="售后申请列表")
    def list_requests(
        self, rt: Container, principal: Principal, paging: PageRequest, status: AfterSaleStatus | None = None,
        type: AfterSaleKind | None = None, institution_id: str | None = OptionalId,
        sub_order_id: str | None = OptionalId, elder_id: str | None = OptionalId,
    ) -> PageOut[AfterSaleView]:
        return PageOut.of(aftersales.list_after_sales(rt, principal, paging, status=status, type=type,
                                                      institution_id=institution_id, sub_order_id=sub_order_id,
                                                      elder_id=elder_id))

    @get("/{request_id:str}", operation_id="getAfterSale", sync_to_thread=True, summary="售后申请详情")
    def get_request(self, rt: Container, principal: Principal, request_id: str) -> AfterSaleView:
        return aftersales.get_after_sale(rt, principal, request_id)

    @post("/{request_id:str}/review", operation_id="reviewAfterSale", sync_to_thread=True,
          summary="审核售后（本机构订单）", status_code=200)
    def review(self, rt: Container, principal: Principal, request_id: str, data: ReviewDecisionIn) -> AfterSaleView:
        return aftersales.review_after_sale(rt, principal, request_id, approve=data.approve, note=data.note,
                                            expected_version=data.version)

    @post("/{request_id:str}/return-shipment", operation_id="sendAfterSaleReturn", sync_to_thread=True,
          summary="填写退货运单号", status_code=200)
    def send_return(self, rt: Container, principal: Principal, request_id: str, data: TrackingIn) -> AfterSaleView:
        return aftersales.send_return(rt, principal, request_id, data.tracking_no)

    @post("/{request_id:str}/receive", operation_id="receiveAfterSaleReturn", sync_to_thread=True,
          summary="确认收到退货（退款、回库存）", status_code=200)
    def receive(self, rt: Container, principal: Principal, request_id: str) -> AfterSaleView:
        return aftersales.receive_return(rt, principal, request_id)

    @post("/{request_id:str}/withdraw", operation_id="withdrawAfterSale", sync_to_thread=True,
          summary="撤销售后申请", status_code=200)
    def withdraw(self, rt: Container, principal: Principal, request_id: str) -> AfterSaleView:
        return aftersales.withdraw_after_sale(rt, principal, request_id)

    @post("/{request_id:str}/photos", operation_id="addAfterSalePhoto", sync_to_thread=True,
          summary="上传售后照片（JPG/PNG）")
    def add_photo(self, rt: Container, principal: Principal, request_id: str,
                  data: Annotated[UploadFile, Multipart]) -> AfterSaleView:
        return aftersales.attach_photo(rt, principal, request_id, upload_of(data))

    @get("/{request_id:str}/photos/{key:path}", operation_id="getAfterSalePhoto", sync_to_thread=True,
         summary="售后照片", media_type="application/octet-stream")
    def get_photo(self, rt: Container, principal: Principal, request_id: str, key: str) -> Response[bytes]:
        return file_response(*aftersales.photo(rt, principal, request_id, key.lstrip("/")))


class MallRatingController(Controller):
    path = "/api/v1/mall/ratings"
    tags = ["商城·评价"]

    @post("/", operation_id="rateMallOrder", sync_to_thread=True, summary="评价已完成的订单（1～5星）")
    def rate(self, rt: Container, principal: Principal, data: RatingIn) -> RatingView:
        return ratings.rate(rt, principal, RatingForm(sub_order_id=data.sub_order_id, stars=data.stars,
                                                      text=data.text))

    @get("/", operation_id="listMallRatings", sync_to_thread=True, summary="评价管理（含已隐藏的）")
    def list_ratings(self, rt: Container, principal: Principal, paging: PageRequest,
                     institution_id: str | None = OptionalId, product_id: str | None = OptionalId,
                     staff_id: str | None = OptionalId) -> PageOut[RatingView]:
        return PageOut.of(ratings.list_ratings(rt, principal, paging, institution_id=institution_id,
                                               product_id=product_id, staff_id=staff_id))

    @post("/{rating_id:str}/hidden", operation_id="hideMallRating", sync_to_thread=True,
          summary="在小程序隐藏 / 恢复显示评价（平台运营）", status_code=200)
    def hide(self, rt: Container, principal: Principal, rating_id: str, data: HideIn) -> RatingView:
        return ratings.set_hidden(rt, principal, rating_id, data.hidden, data.reason)

    @post("/{rating_id:str}/images", operation_id="addRatingImage", sync_to_thread=True, summary="上传评价图片")
    def add_image(self, rt: Container, principal: Principal, rating_id: str,
                  data: Annotated[UploadFile, Multipart]) -> RatingView:
        return ratings.attach_image(rt, principal, rating_id, upload_of(data))

    @get("/{rating_id:str}/images/{key:path}", operation_id="getRatingImage", sync_to_thread=True,
         summary="评价图片", media_type="application/octet-stream")
    def get_image(self, rt: Container, principal: Principal, rating_id: str, key: str) -> Response[bytes]:
        return file_response(*ratings.rating_image(rt, principal, rating_id, key.lstrip("/")))


class MallExceptionController(Controller):
    path = "/api/v1/mall/exceptions"
    tags = ["商城·异常单"]

    @get("/", operation_id="listMallExceptions", sync_to_thread=True, summary="服务与商品异常单")
    def list_exceptions(
        self, rt: Container, principal: Principal, paging: PageRequest, status: ReviewStatus | None = None,
        type: ExceptionKind | None = None, institution_id: str | None = OptionalId, order_id: str | None = OptionalId,
    ) -> PageOut[ExceptionView]:
        return PageOut.of(DESK.list(rt, principal, paging, status=status, type=type, institution_id=institution_id,
                                    order_id=order_id))

    @get("/export", operation_id="exportMallExceptions", sync_to_thread=True,
         summary="导出异常单（CSV 或 XLSX）", media_type="application/octet-stream")
    def export(self, rt: Container, principal: Principal, format: Literal["csv", "xlsx"] = "xlsx",
               status: ReviewStatus | None = None, type: ExceptionKind | None = None,
               institution_id: str | None = OptionalId) -> Response[bytes]:
        rows = DESK.export_rows(rt, principal, status=status, type=type, institution_id=institution_id)
        return sheet_response(rows[0], rows[1:], format, "mall-exceptions")

    @get("/{exception_id:str}", operation_id="getMallException", sync_to_thread=True, summary="异常单详情")
    def get_exception(self, rt: Container, principal: Principal, exception_id: str) -> ExceptionView:
        return DESK.get(rt, principal, exception_id)

    @post("/{exception_id:str}/review", operation_id="reviewMallException", sync_to_thread=True,
          summary="审核异常单（确认 / 不予认定，附说明）", status_code=200)
    def review(self, rt: Container, principal: Principal, exception_id: str, data: ReviewIn) -> ExceptionView:
        return DESK.review(rt, principal, exception_id, accept=data.approve, note=data.note,
                           expected_version=data.version)
