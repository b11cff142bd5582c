"""Ports of the service mall: its repositories and the payment gateway orders are paid through."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from attrs import frozen

from yiyangkang.domain.identity.policy import Visibility
from yiyangkang.domain.kernel.money import Money
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.mall.aftersales import AfterSale, AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.catalogue import Category, Fulfilment, Product
from yiyangkang.domain.mall.config import MallConfig, MallSettings
from yiyangkang.domain.mall.offers import BuyGiftRule, ServicePackage
from yiyangkang.domain.mall.orders import SubOrder, SubStatus, TradeOrder, TradeStatus
from yiyangkang.domain.mall.ratings import Rating
from yiyangkang.domain.mall.review import ReviewState
from yiyangkang.ports.repositories import Repository


class SortBy(StrEnum):
    SALES = "sales"  # 销量
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NEWEST = "newest"
    RATING = "rating"


@frozen(kw_only=True)
class ProductQuery:
    """M-01/M-02: what a buyer looks for among products on sale."""

    keyword: str | None = None
    category_path: str | None = None  # the category and everything under it
    fulfilment: Fulfilment | None = None
    min_price: Money | None = None
    max_price: Money | None = None
    institution_id: str | None = None
    attributes: Mapping[str, str] = {}
    sort: SortBy = SortBy.SALES


class CategoryRepository(Repository[Category], Protocol):
    def all(self, *, active: bool | None = None) -> Sequence[Category]: ...


class ProductRepository(Repository[Product], Protocol):
    """Products with their counters (stock, sales, ratings), which only the counter methods change."""

    def many(self, ids: Iterable[str]) -> dict[str, Product]: ...

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, fulfilment: Fulfilment | None = None, keyword: str | None = None,
    ) -> Page[Product]:
        """The sellers' back office: every product within the visibility, whatever its review."""
        ...

    def search(self, query: ProductQuery, page: PageRequest) -> Page[Product]:
        """Products on sale (approved and listed) matching `query`."""
        ...

    def index(self, product: Product, texts: Sequence[str], category_path: str | None) -> None:
        """Store what search reads of `product` (after add/save): its live content's searchable texts
        (name, category names, tags, institution name) and the live category's path."""
        ...

    def sales_by_institution(self, institution_ids: Iterable[str]) -> dict[str, int]: ...

    # Counters: atomic in the database, so parallel checkouts neither oversell nor lose a count.
    def take_stock(self, product_id: str, units: int) -> bool:
        """Take `units` from stock if that many are there (True), else change nothing (False)."""
        ...

    def put_stock(self, product_id: str, units: int) -> None: ...

    def add_sales(self, product_id: str, units: int) -> None: ...

    def add_rating(self, product_id: str, stars: int, count: int = 1) -> None:
        """Count a rating in (count 1) or take it out again (count -1, stars negative)."""
        ...


class PackageRepository(Repository[ServicePackage], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, orderable: bool | None = None,
    ) -> Page[ServicePackage]: ...

    def many(self, ids: Iterable[str]) -> dict[str, ServicePackage]: ...


class BuyGiftRepository(Repository[BuyGiftRule], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, in_force_on: date | None = None,
    ) -> Page[BuyGiftRule]: ...

    def in_force(self, buy_product_ids: Iterable[str], today: date) -> Sequence[BuyGiftRule]: ...


class MallConfigRepository(Repository[MallConfig], Protocol):
    def all(self) -> Sequence[MallConfig]: ...


class MallSettingsRepository(Protocol):
    def get(self, ident: str) -> MallSettings | None: ...

    def add(self, item: MallSettings) -> None: ...

    def save(self, item: MallSettings) -> None: ...


class TradeRepository(Repository[TradeOrder], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: TradeStatus | None = None,
        elder_id: str | None = None,
    ) -> Page[TradeOrder]:
        """Trades of the elders within the visibility (elders and families), or placed by the account."""
        ...

    def by_number(self, number: str) -> TradeOrder | None:
        """The trade with this number, locked (a payment notification is about to record on it)."""
        ...

    def unpaid_due(self, now: datetime) -> Sequence[str]:
        """Ids of unpaid trades whose payment deadline passed."""
        ...


class SubOrderRepository(Repository[SubOrder], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: SubStatus | None = None,
        statuses: Sequence[SubStatus] = (), fulfilment: Fulfilment | None = None, goods: bool | None = None,
        institution_id: str | None = None, elder_id: str | None = None, staff_id: str | None = None,
        trade_id: str | None = None, keyword: str | None = None,
    ) -> Page[SubOrder]: ...

    def of_trade(self, trade_id: str, *, lock: bool = False) -> Sequence[SubOrder]: ...

    def by_code(self, code_hash: str, *, lock: bool = False) -> SubOrder | None:
        """The sub-order whose verification code has this hash (locked when it is about to be verified)."""
        ...

    def scan_candidates(self, since: datetime) -> Iterator[SubOrder]:
        """Paid home visits and deliveries the exception scan should judge: open, or finished since `since`."""
        ...


class AfterSaleRepository(Repository[AfterSale], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AfterSaleStatus | None = None,
        type: AfterSaleKind | None = None, institution_id: str | None = None, sub_order_id: str | None = None,
        elder_id: str | None = None,
    ) -> Page[AfterSale]: ...


class RatingRepository(Repository[Rating], Protocol):
    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        product_id: str | None = None, staff_id: str | None = None, include_hidden: bool = True,
    ) -> Page[Rating]: ...

    def of_sub_order(self, sub_order_id: str) -> Rating | None: ...

    def institution_averages(self, institution_ids: Iterable[str]) -> dict[str, tuple[float, int]]:
        """(average stars, count) per institution, of visible ratings."""
        ...


# -- the outside world ----------------------------------------------------------------------------
@frozen(kw_only=True)
class ChargeRequest:
    trade_number: str
    amount: Money
    description: str
    channel: str  # e.g. "sandbox", "wechat", "alipay", "unionpay"


@frozen(kw_only=True)
class Charge:
    """The provider's answer: paid now (sandbox, card), or pending with what the payer must do (a QR code)."""

    paid: bool
    transaction_id: str = ""
    pay_url: str = ""  # e.g. a code_url for a QR code
    paid_at: datetime | None = None


@frozen(kw_only=True)
class RefundRequest:
    trade_number: str
    transaction_id: str
    refund_number: str
    amount: Money
    total: Money
    reason: str


@frozen(kw_only=True)
class RefundResult:
    refund_id: str
    succeeded: bool
    message: str = ""


@frozen(kw_only=True)
class PaymentNotice:
    """A provider's notification that a trade was paid, its signature already verified by the adapter."""

    trade_number: str
    transaction_id: str
    amount: Money
    paid: bool


class PaymentNoticeRejected(Exception):
    """A notification that is forged, stale, undecryptable or for another merchant: nothing may change."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PaymentGateway(Protocol):
    """A payment provider: the confirming sandbox (`sandbox`), or WeChat Pay (`wechat`, Native: the payer
    scans a code, the payment arrives by notification)."""

    @property
    def channel(self) -> str: ...

    def charge(self, request: ChargeRequest) -> Charge: ...

    def refund(self, request: RefundRequest) -> RefundResult: ...

    def parse_notice(self, headers: Mapping[str, str], body: bytes, now: datetime) -> PaymentNotice:
        """The verified notification, or PaymentNoticeRejected."""
        ...
