"""Read models of the mall. Amounts are integer fen (`*_fen`). A sub-order's address and contact arrive
masked in lists; its verification code only ever reaches the elder's side (elder and family)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from attrs import Factory, frozen

from yiyangkang.domain.kernel.masking import mask_name
from yiyangkang.domain.mall.aftersales import AFTER_SALE_KIND_LABELS, AFTER_SALE_STATUS_LABELS, AfterSale
from yiyangkang.domain.mall.catalogue import FULFILMENT_LABELS, Category, Product, ProductContent
from yiyangkang.domain.mall.config import MALL_LIMITS, MallConfig, MallSettings, Place, ServiceArea
from yiyangkang.domain.mall.offers import BuyGiftRule, ServicePackage
from yiyangkang.domain.mall.orders import (
    SUB_STATUS_LABELS,
    TRADE_STATUS_LABELS,
    VERIFY_QR_PREFIX,
    OrderLine,
    SubOrder,
    TradeOrder,
)
from yiyangkang.domain.mall.ratings import Rating
from yiyangkang.domain.mall.review import REVIEW_STATE_LABELS
from yiyangkang.services.views import FileView


@frozen
class CategoryView:
    id: str
    name: str
    parent_id: str | None
    path: str
    sort: int
    icon: str
    active: bool
    version: int

    @classmethod
    def of(cls, c: Category) -> CategoryView:
        return cls(c.id, c.name, c.parent_id, c.path, c.sort, c.icon, c.active, c.version)


@frozen
class CategoryNode:
    id: str
    name: str
    icon: str
    children: list[CategoryNode]


@frozen
class ContentView:
    name: str
    category_id: str
    price_fen: int
    unit: str
    tags: list[str]
    attributes: dict[str, str]
    images: list[FileView]
    description: str
    standard_minutes: int | None

    @classmethod
    def of(cls, c: ProductContent) -> ContentView:
        return cls(c.name, c.category_id, c.price.fen, c.unit, list(c.tags), dict(c.attributes),
                   [FileView.of(i) for i in c.images], c.description, c.standard_minutes)


@frozen
class ProductView:
    """What buyers see: the approved content, counters, the store it belongs to."""

    id: str
    institution_id: str
    institution_name: str
    fulfilment: str
    fulfilment_label: str
    content: ContentView
    stock: int | None
    sales: int
    rating: float | None
    rating_count: int

    @classmethod
    def of(cls, p: Product, institution_name: str = "") -> ProductView:
        assert p.live is not None
        return cls(p.id, p.institution_id, institution_name, p.fulfilment.value, FULFILMENT_LABELS[p.fulfilment],
                   ContentView.of(p.live), p.counters.stock, p.counters.sales, p.counters.rating,
                   p.counters.rating_count)


@frozen
class SellerProductView:
    """The seller's and reviewer's view: both versions and the review."""

    id: str
    institution_id: str
    fulfilment: str
    fulfilment_label: str
    live: ContentView | None
    pending: ContentView | None
    review: str
    review_label: str
    review_note: str
    listed: bool
    orderable: bool
    stock: int | None
    sales: int
    rating: float | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, p: Product) -> SellerProductView:
        return cls(p.id, p.institution_id, p.fulfilment.value, FULFILMENT_LABELS[p.fulfilment],
                   ContentView.of(p.live) if p.live else None, ContentView.of(p.pending) if p.pending else None,
                   p.review.value, REVIEW_STATE_LABELS[p.review], p.review_note, p.listed, p.orderable,
                   p.counters.stock, p.counters.sales, p.counters.rating, p.created_at, p.version)


@frozen
class PackageView:
    id: str
    institution_id: str
    name: str
    price_fen: int
    list_price_fen: int  # the items at their own prices, for "save ¥…"
    items: list[dict[str, Any]]
    description: str
    review: str
    review_label: str
    review_note: str
    active: bool
    orderable: bool
    version: int

    @classmethod
    def of(cls, p: ServicePackage, products: dict[str, Product]) -> PackageView:
        items, listed = [], 0
        for i in p.items:
            prod = products.get(i.product_id)
            content = prod.live or prod.pending if prod else None
            price = content.price.fen if content else 0
            listed += price * i.quantity
            items.append({"product_id": i.product_id, "name": content.name if content else "", "quantity": i.quantity,
                          "price_fen": price})
        return cls(p.id, p.institution_id, p.name, p.price.fen, listed, items, p.description, p.review.value,
                   REVIEW_STATE_LABELS[p.review], p.review_note, p.active, p.orderable, p.version)


@frozen
class BuyGiftView:
    id: str
    institution_id: str
    name: str
    buy_product_id: str
    buy_quantity: int
    gift_product_id: str
    gift_quantity: int
    max_gifts_per_order: int | None
    valid_from: date
    valid_until: date
    review: str
    review_label: str
    review_note: str
    active: bool
    version: int

    @classmethod
    def of(cls, r: BuyGiftRule) -> BuyGiftView:
        return cls(r.id, r.institution_id, r.name, r.buy_product_id, r.buy_quantity, r.gift_product_id,
                   r.gift_quantity, r.max_gifts_per_order, r.valid_from, r.valid_until, r.review.value,
                   REVIEW_STATE_LABELS[r.review], r.review_note, r.active, r.version)


def _area(a: ServiceArea) -> dict[str, Any]:
    return {"region_codes": list(a.region_codes), "radius_m": a.radius_m,
            "center_lng": a.center.lng if a.center else None, "center_lat": a.center.lat if a.center else None}


def _place(p: Place) -> dict[str, Any]:
    return {"address": p.address, "notes": p.notes, "phone": p.phone,
            "lng": p.location.lng if p.location else None, "lat": p.location.lat if p.location else None}


@frozen
class MallConfigView:
    institution_id: str
    home_visit_area: dict[str, Any]
    store: dict[str, Any]
    shipping_from: dict[str, Any]
    delivery_area: dict[str, Any]
    pickup: dict[str, Any]
    version: int

    @classmethod
    def of(cls, c: MallConfig) -> MallConfigView:
        return cls(c.id, _area(c.home_visit_area), _place(c.store), _place(c.shipping_from), _area(c.delivery_area),
                   _place(c.pickup), c.version)


@frozen
class MallSettingsView:
    values: dict[str, Any]
    labels: dict[str, str]
    version: int

    @classmethod
    def of(cls, s: MallSettings) -> MallSettingsView:
        labels = {k: label for k, (_, _, label) in MALL_LIMITS.items()}
        labels |= {"product_reviewer": "商品审核", "package_reviewer": "服务包审核",
                   "promotion_reviewer": "买赠规则审核"}
        return cls(s.snapshot(), labels, s.version)


@frozen
class LineView:
    line_no: int
    product_id: str
    name: str
    unit: str
    unit_price_fen: int
    quantity: int
    paid_fen: int
    package_id: str | None
    package_name: str
    gift: bool
    fulfilled: int
    shipped: int
    cancelled: int
    returned: int
    refunded_fen: int
    refundable_fen: int

    @classmethod
    def of(cls, ln: OrderLine) -> LineView:
        return cls(ln.line_no, ln.product_id, ln.name, ln.unit, ln.unit_price.fen, ln.quantity, ln.paid.fen,
                   ln.package_id, ln.package_name, ln.gift, ln.fulfilled, ln.shipped, ln.cancelled, ln.returned,
                   ln.refunded.fen, ln.refundable.fen)


@frozen
class SubOrderView:
    id: str
    number: str
    trade_id: str
    trade_number: str
    institution_id: str
    elder_id: str
    fulfilment: str
    fulfilment_label: str
    status: str
    status_label: str
    lines: list[LineView]
    paid_fen: int
    refunded_fen: int
    voucher_paid_fen: int  # of paid_fen, from vouchers
    voucher_refunded_fen: int  # of refunded_fen, back to vouchers
    appointment_at: datetime | None
    destination: dict[str, Any] | None
    place: dict[str, Any] | None
    verify_code: str | None  # only for the elder's side, once paid
    verify_qr: str | None
    staff_id: str | None
    dispatched_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    return_count: int
    return_reason: str
    service_record: str
    shipments: list[dict[str, Any]]
    cancel_reason: str
    rated: bool
    remark: str
    paid_at: datetime | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, o: SubOrder, *, reveal: bool = False, show_code: bool = False) -> SubOrderView:
        d = o.destination
        dest = None if d is None else (
            {"region_code": d.region_code, "detail": d.detail, "contact_name": d.contact_name,
             "contact_phone": d.contact_phone} if reveal else d.masked())
        code = o.code if show_code and o.code else None
        shipments = [{"carrier": s.carrier, "tracking_no": s.tracking_no, "shipped_at": s.shipped_at,
                      "units": [{"line_no": n, "units": u} for n, u in s.units], "edited_at": s.edited_at}
                     for s in o.shipments]
        return cls(
            id=o.id, number=o.number, trade_id=o.trade_id, trade_number=o.trade_number,
            institution_id=o.institution_id, elder_id=o.elder_id, fulfilment=o.fulfilment.value,
            fulfilment_label=FULFILMENT_LABELS[o.fulfilment], status=o.status.value,
            status_label=SUB_STATUS_LABELS[o.status], lines=[LineView.of(ln) for ln in o.lines],
            paid_fen=o.paid.fen, refunded_fen=o.refunded.fen, voucher_paid_fen=o.voucher_paid.fen,
            voucher_refunded_fen=o.voucher_refunded.fen, appointment_at=o.appointment_at, destination=dest,
            place=_place(o.place) if o.place else None, verify_code=code,
            verify_qr=f"{VERIFY_QR_PREFIX}{code}" if code else None, staff_id=o.staff_id, dispatched_at=o.dispatched_at,
            started_at=o.started_at, completed_at=o.completed_at, return_count=o.return_count,
            return_reason=o.return_reason, service_record=o.service_record, shipments=shipments,
            cancel_reason=o.cancel_reason, rated=o.rated, remark=o.remark, paid_at=o.paid_at,
            created_at=o.created_at, version=o.version,
        )


@frozen
class TradeView:
    id: str
    number: str
    elder_id: str
    on_behalf: bool
    status: str
    status_label: str
    list_total_fen: int
    total_fen: int
    discount_fen: int
    voucher_fen: int  # paid (or held) from elderly-care vouchers
    cash_fen: int  # what the payment channel brings
    pay_deadline: datetime
    paid_at: datetime | None
    pay_channel: str
    pay_url: str
    close_reason: str
    sub_orders: list[SubOrderView]
    created_at: datetime
    version: int
    pay_params: dict[str, str] = Factory(dict)  # WeChat JSAPI: what the mini-program hands to wx.requestPayment

    @classmethod
    def of(cls, t: TradeOrder, subs: list[SubOrderView], pay_url: str = "",
           pay_params: Mapping[str, str] | None = None) -> TradeView:
        return cls(t.id, t.number, t.elder_id, t.on_behalf, t.status.value, TRADE_STATUS_LABELS[t.status],
                   t.list_total.fen, t.total.fen, t.list_total.fen - t.total.fen, t.voucher_amount.fen,
                   t.cash_due.fen, t.pay_deadline, t.paid_at,
                   t.pay_channel, pay_url, t.close_reason, subs, t.created_at, t.version, dict(pay_params or {}))


@frozen
class AfterSaleView:
    id: str
    number: str
    sub_order_id: str
    sub_order_number: str
    institution_id: str
    elder_id: str
    line_no: int
    product_name: str
    type: str
    type_label: str
    quantity: int
    amount_fen: int
    reason: str
    photos: list[FileView]
    status: str
    status_label: str
    review_note: str
    reviewed_at: datetime | None
    return_tracking: str
    refunded_at: datetime | None
    created_at: datetime
    version: int

    @classmethod
    def of(cls, a: AfterSale) -> AfterSaleView:
        return cls(a.id, a.number, a.sub_order_id, a.sub_order_number, a.institution_id, a.elder_id, a.line_no,
                   a.product_name, a.type.value, AFTER_SALE_KIND_LABELS[a.type], a.quantity, a.amount.fen, a.reason,
                   [FileView.of(p) for p in a.photos], a.status.value, AFTER_SALE_STATUS_LABELS[a.status],
                   a.review_note, a.reviewed_at, a.return_tracking, a.refunded_at, a.created_at, a.version)


@frozen
class RatingView:
    id: str
    sub_order_id: str
    sub_order_number: str
    institution_id: str
    product_ids: list[str]
    staff_id: str | None
    stars: int
    text: str
    images: list[FileView]
    author: str  # masked
    hidden: bool
    hidden_reason: str
    created_at: datetime
    version: int

    @classmethod
    def of(cls, r: Rating) -> RatingView:
        return cls(r.id, r.sub_order_id, r.sub_order_number, r.institution_id, list(r.product_ids), r.staff_id,
                   r.stars, r.text, [FileView.of(i) for i in r.images], mask_name(r.author_name) or "",
                   r.hidden, r.hidden_reason, r.created_at, r.version)
