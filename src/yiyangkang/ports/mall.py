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


# -- the outside world: the payment types live in ports/payments.py (re-exported here for older imports) ---------
from yiyangkang.ports.payments import (  # noqa: E402
    Charge,
    ChargeRequest,
    NoticeReply,
    PaymentChannels,
    PaymentGateway,
    PaymentNotice,
    PaymentNoticeRejected,
    RefundRequest,
    RefundResult,
)

__all__ = [
    "AfterSaleRepository", "BuyGiftRepository", "CategoryRepository", "Charge", "ChargeRequest",
    "MallConfigRepository", "MallSettingsRepository", "NoticeReply", "PackageRepository", "PaymentChannels",
    "PaymentGateway", "PaymentNotice", "PaymentNoticeRejected", "ProductQuery", "ProductRepository",
    "RatingRepository", "RefundRequest", "RefundResult", "SortBy", "SubOrderRepository", "TradeRepository",
]
