"""Request bodies of the mall endpoints (服务商城). Amounts are integer fen (`*_fen`)."""

from datetime import date
from typing import Annotated

from msgspec import Meta

from apps.api.homebed_schemas import Aware, Count, Fen, LongText, Reason, Small
from apps.api.schemas import Body, Id, ShortText

Units = Annotated[int, Meta(ge=0, le=999)]
Tag = Annotated[str, Meta(max_length=20, pattern=r"^[^\x00-\x1f\x7f]*$")]
Lng = Annotated[float, Meta(ge=-180, le=180)]
Lat = Annotated[float, Meta(ge=-90, le=90)]


class CategoryIn(Body):
    name: ShortText | None = None
    parent_id: Id | None = None
    sort: Small | None = None
    icon: ShortText | None = None
    active: bool | None = None
    version: int | None = None


class ProductIn(Body):
    """Create: `fulfilment` (home_visit | in_store | delivery | pickup), and `stock` for goods. Edit: any of
    the content fields; the change waits for review while the approved version stays on sale."""

    institution_id: Id | None = None
    fulfilment: ShortText | None = None
    stock: Count | None = None
    name: ShortText | None = None
    category_id: Id | None = None
    price_fen: Fen | None = None
    unit: ShortText | None = None
    tags: Annotated[list[Tag], Meta(max_length=20)] | None = None
    attributes: Annotated[dict[Tag, ShortText], Meta(max_length=30)] | None = None
    description: Annotated[str, Meta(max_length=5000)] | None = None
    standard_minutes: Count | None = None
    version: int | None = None


class ListedIn(Body):
    listed: bool


class StockIn(Body):
    delta: Annotated[int, Meta(ge=-1_000_000, le=1_000_000)]
    reason: Reason = ""


class PackageItemIn(Body):
    product_id: Id
    quantity: Units


class PackageIn(Body):
    institution_id: Id | None = None
    name: ShortText | None = None
    items: Annotated[list[PackageItemIn], Meta(max_length=30)] | None = None
    price_fen: Fen | None = None
    description: LongText | None = None
    version: int | None = None


class BuyGiftIn(Body):
    institution_id: Id | None = None
    name: ShortText | None = None
    buy_product_id: Id | None = None
    buy_quantity: Units | None = None
    gift_product_id: Id | None = None
    gift_quantity: Units | None = None
    max_gifts_per_order: Units | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    version: int | None = None


class ActiveIn(Body):
    active: bool


class AreaIn(Body):
    region_codes: Annotated[list[ShortText], Meta(max_length=100)] = []
    radius_m: Count | None = None
    center_lng: Lng | None = None
    center_lat: Lat | None = None


class PlaceIn(Body):
    address: ShortText = ""
    notes: Reason = ""
    phone: ShortText = ""
    lng: Lng | None = None
    lat: Lat | None = None


class MallConfigIn(Body):
    home_visit_area: AreaIn | None = None
    store: PlaceIn | None = None
    shipping_from: PlaceIn | None = None
    delivery_area: AreaIn | None = None
    pickup: PlaceIn | None = None
    version: int | None = None


class MallSettingsIn(Body):
    values: Annotated[dict[ShortText, int | str], Meta(max_length=20)]
    version: int | None = None


class CartItemIn(Body):
    product_id: Id
    quantity: Units = 1
    appointment_at: Aware | None = None


class CartPackageIn(Body):
    package_id: Id
    quantity: Units = 1
    appointment_at: Aware | None = None


class CheckoutIn(Body):
    elder_id: Id
    items: Annotated[list[CartItemIn], Meta(max_length=50)] = []
    packages: Annotated[list[CartPackageIn], Meta(max_length=20)] = []
    address_id: Id | None = None
    remark: Reason | None = None


class PayIn(Body):
    channel: Annotated[str, Meta(pattern=r"^(sandbox|wechat|alipay|unionpay)$")] | None = None  # default: the first
    openid: Annotated[str, Meta(min_length=1, max_length=128, pattern=r"^[\w-]+$")] | None = None  # WeChat JSAPI payer
    use_vouchers: bool = False  # elderly-care vouchers first, the rest by the channel (mixed payment)


class CodeIn(Body):
    code: Annotated[str, Meta(max_length=40, pattern=r"^[\w: ]*$")]
    units: Annotated[dict[str, Units], Meta(max_length=50)] | None = None  # line number → units


class StartIn(Body):
    code: Annotated[str, Meta(max_length=40, pattern=r"^[\w: ]*$")]
    lng: Lng | None = None
    lat: Lat | None = None


class CompleteIn(Body):
    record: LongText = ""
    lng: Lng | None = None
    lat: Lat | None = None


class RecordTextIn(Body):
    record: LongText


class ShipIn(Body):
    carrier: ShortText
    tracking_no: ShortText
    units: Annotated[dict[str, Units], Meta(max_length=50)] | None = None


class LogisticsIn(Body):
    carrier: ShortText
    tracking_no: ShortText


class AfterSaleIn(Body):
    sub_order_id: Id
    line_no: Units
    type: ShortText
    quantity: Units = 0
    amount_fen: Fen | None = None
    reason: Reason = ""


class TrackingIn(Body):
    tracking_no: ShortText


class RatingIn(Body):
    sub_order_id: Id
    stars: Units
    text: Reason = ""


class HideIn(Body):
    hidden: bool
    reason: Reason = ""


class ReviewDecisionIn(Body):
    approve: bool
    note: Reason = ""
    version: int | None = None
