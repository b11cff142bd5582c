"""In-memory mall repositories: the same queries as the SQL ones over plain objects. Product counters
are applied to the committed store as deltas, as the SQL `UPDATE … SET stock = stock - n` would be."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any

from yiyangkang.adapters.memory.homebed import MemoryExceptions, _Owned
from yiyangkang.adapters.memory.repositories import MemoryRepository, _has, _newest_first, _page
from yiyangkang.adapters.memory.store import MemoryStore
from yiyangkang.domain.identity.policy import Target, Visibility
from yiyangkang.domain.kernel.events import Aggregate
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.mall import search
from yiyangkang.domain.mall.aftersales import AfterSale, AfterSaleKind, AfterSaleStatus
from yiyangkang.domain.mall.catalogue import Category, Counters, Fulfilment, Product
from yiyangkang.domain.mall.config import MallConfig, MallSettings
from yiyangkang.domain.mall.offers import BuyGiftRule, ServicePackage
from yiyangkang.domain.mall.orders import SubOrder, SubStatus, TradeOrder, TradeStatus
from yiyangkang.domain.mall.ratings import Rating
from yiyangkang.domain.mall.review import ReviewState
from yiyangkang.ports.mall import ProductQuery, SortBy


def _attribute_terms(attributes: dict[str, str] | Any) -> set[str]:
    return {f"@{search.normalize(k)}={search.normalize(v)}"[:64] for k, v in dict(attributes).items()}


class MemoryCategories(MemoryRepository[Category]):
    name = "mall_categories"
    unique = ((lambda c: (c.parent_id, c.name), "CATEGORY_NAME_TAKEN", "同一上级分类下已有同名分类"),)

    def all(self, *, active: bool | None = None) -> Sequence[Category]:
        return sorted((c for c in self._all() if active is None or c.active == active), key=lambda c: (c.path, c.id))


class MemoryProducts(_Owned[Product]):
    name = "mall_products"

    def __init__(self, store: MemoryStore, touched: list[Aggregate], committed: MemoryStore) -> None:
        super().__init__(store, touched, committed)
        self.counters: dict[str, Counters] = store.table("mall_product_counters")
        self.committed_counters: dict[str, Counters] = committed.table("mall_product_counters")
        self.deltas: dict[str, Counters] = {}
        # product id -> (search text, category path, terms) of its live content
        self.found: dict[str, tuple[str, str | None, set[str]]] = store.table("mall_product_index")
        self.committed_found: dict[str, Any] = committed.table("mall_product_index")
        self.indexed: set[str] = set()

    def _with_counters(self, item: Product | None) -> Product | None:
        if item is not None:
            item.counters = self.counters.get(item.id, item.counters)
        return item

    def add(self, item: Product) -> None:
        super().add(item)
        self.counters[item.id] = item.counters
        self.deltas[item.id] = item.counters

    def get(self, ident: str) -> Product | None:
        return self._with_counters(super().get(ident))

    def _all(self) -> list[Product]:
        return [p for p in (self._with_counters(i) for i in super()._all()) if p is not None]

    def many(self, ids: Iterable[str]) -> dict[str, Product]:
        wanted = set(ids)
        return {p.id: p for p in self._all() if p.id in wanted}

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, fulfilment: Fulfilment | None = None, keyword: str | None = None,
    ) -> Page[Product]:
        return self._find(visibility, page, lambda p: _has(keyword, p.shown.name), institution_id=institution_id,
                          review=review, fulfilment=fulfilment)

    def search(self, query: ProductQuery, page: PageRequest) -> Page[Product]:
        if query.keyword is not None and not search.query_terms(query.keyword):
            return Page([], 0, page.page, page.size)
        # The same two steps as SQL: every term through the index, then the keyword as typed.
        wanted = _attribute_terms(query.attributes) | (search.query_terms(query.keyword) if query.keyword else set())
        hits = []
        for p in self._all():
            text, path, terms = self.found.get(p.id, ("", None, set()))
            live = p.live
            if not p.orderable or live is None or not wanted <= terms:
                continue
            if query.keyword is not None and not search.matches(query.keyword, text):
                continue
            if query.category_path and not (path or "").startswith(query.category_path):
                continue
            if (query.fulfilment and p.fulfilment is not query.fulfilment) or (
                    query.institution_id and p.institution_id != query.institution_id):
                continue
            if (query.min_price is not None and live.price < query.min_price) or (
                    query.max_price is not None and live.price > query.max_price):
                continue
            hits.append(p)
        return _page(_sorted(hits, query.sort), page)

    def index(self, product: Product, texts: Sequence[str], category_path: str | None) -> None:
        live = product.live if product.orderable else None
        terms = search.index_terms(texts) | _attribute_terms(live.attributes) if live else set()
        self.found[product.id] = (search.search_text(texts) if live else "", category_path if live else None, terms)
        self.indexed.add(product.id)

    def sales_by_institution(self, institution_ids: Iterable[str]) -> dict[str, int]:
        wanted, out = set(institution_ids), dict[str, int]()
        for p in self._all():
            if p.institution_id in wanted:
                out[p.institution_id] = out.get(p.institution_id, 0) + p.counters.sales
        return out

    def _bump(self, product_id: str, delta: Counters) -> None:
        now = self.counters.get(product_id)
        if now is None:
            return
        self.counters[product_id] = _plus(now, delta)
        self.deltas[product_id] = _plus(self.deltas.get(product_id, Counters(stock=0)), delta)

    def take_stock(self, product_id: str, units: int) -> bool:
        now = self.counters.get(product_id)
        if now is None:
            return False
        if now.stock is not None and now.stock < units:
            return False
        self._bump(product_id, Counters(stock=-units))
        return True

    def put_stock(self, product_id: str, units: int) -> None:
        self._bump(product_id, Counters(stock=units))

    def add_sales(self, product_id: str, units: int) -> None:
        self._bump(product_id, Counters(stock=0, sales=units))

    def add_rating(self, product_id: str, stars: int, count: int = 1) -> None:
        self._bump(product_id, Counters(stock=0, rating_sum=stars, rating_count=count))

    def apply(self) -> None:
        super().apply()
        for ident, delta in self.deltas.items():
            base = self.committed_counters.get(ident)
            self.committed_counters[ident] = delta if base is None else _plus(base, delta)
        for ident in self.indexed:
            self.committed_found[ident] = self.found[ident]
        self.deltas.clear()
        self.indexed.clear()


def _sorted(items: list[Product], sort: SortBy) -> list[Product]:
    items = sorted(items, key=lambda p: p.id, reverse=True)  # the tie-break, as in SQL

    def price(p: Product) -> int:
        return p.live.price.fen if p.live else 0

    keys = {
        SortBy.SALES: (lambda p: p.counters.sales, True), SortBy.PRICE_ASC: (price, False),
        SortBy.PRICE_DESC: (price, True), SortBy.NEWEST: (lambda p: p.created_at, True),
        SortBy.RATING: (lambda p: (p.counters.rating_sum / p.counters.rating_count if p.counters.rating_count
                                   else 0, p.counters.rating_count), True),
    }
    key, reverse = keys[sort]
    return sorted(items, key=key, reverse=reverse)


def _plus(a: Counters, b: Counters) -> Counters:
    stock = None if a.stock is None else a.stock + (b.stock or 0)
    return Counters(stock=stock, sales=a.sales + b.sales, rating_sum=a.rating_sum + b.rating_sum,
                    rating_count=a.rating_count + b.rating_count)


class MemoryPackages(_Owned[ServicePackage]):
    name = "mall_packages"

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, orderable: bool | None = None,
    ) -> Page[ServicePackage]:
        return self._find(visibility, page, lambda p: orderable is None or p.orderable == orderable,
                          institution_id=institution_id, review=review)

    def many(self, ids: Iterable[str]) -> dict[str, ServicePackage]:
        wanted = set(ids)
        return {p.id: p for p in self._all() if p.id in wanted}


class MemoryBuyGifts(_Owned[BuyGiftRule]):
    name = "mall_buy_gifts"

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        review: ReviewState | None = None, in_force_on: date | None = None,
    ) -> Page[BuyGiftRule]:
        return self._find(visibility, page, lambda r: in_force_on is None or r.in_force(in_force_on),
                          institution_id=institution_id, review=review)

    def in_force(self, buy_product_ids: Iterable[str], today: date) -> Sequence[BuyGiftRule]:
        wanted = set(buy_product_ids)
        return sorted((r for r in self._all() if r.buy_product_id in wanted and r.in_force(today)),
                      key=lambda r: (r.created_at, r.id))


class MemoryMallConfigs(MemoryRepository[MallConfig]):
    name = "mall_configs"

    def all(self) -> Sequence[MallConfig]:
        return sorted(self._all(), key=lambda c: c.id)


class MemoryMallSettings(MemoryRepository[MallSettings]):
    name = "mall_settings"


class MemoryTrades(MemoryRepository[TradeOrder]):
    name = "mall_trades"
    unique = ((lambda o: o.number, "NUMBER_TAKEN", "编号重复"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: TradeStatus | None = None,
        elder_id: str | None = None,
    ) -> Page[TradeOrder]:
        items = [o for o in self._all()
                 if visibility.admits(Target(elder_id=o.elder_id, account_id=o.buyer_account_id))
                 and (status is None or o.status is status) and (elder_id is None or o.elder_id == elder_id)]
        return _page(_newest_first(items), page)

    def by_number(self, number: str) -> TradeOrder | None:
        return next((o for o in self._all() if o.number == number), None)

    def unpaid_due(self, now: datetime) -> Sequence[str]:
        return sorted(o.id for o in self.rows.values() if o.status is TradeStatus.UNPAID and o.pay_deadline < now)


SETTLED = (SubStatus.COMPLETED, SubStatus.CANCELLED, SubStatus.CLOSED)


class MemorySubOrders(_Owned[SubOrder]):
    name = "mall_orders"
    unique = ((lambda o: o.number, "NUMBER_TAKEN", "编号重复"),
              (lambda o: o.code_hash, "VERIFY_CODE_TAKEN", "核销码重复，请重试"))

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: SubStatus | None = None,
        statuses: Sequence[SubStatus] = (), fulfilment: Fulfilment | None = None, goods: bool | None = None,
        institution_id: str | None = None, elder_id: str | None = None, staff_id: str | None = None,
        trade_id: str | None = None, keyword: str | None = None,
    ) -> Page[SubOrder]:
        def keep(o: SubOrder) -> bool:
            return ((not statuses or o.status in statuses) and (goods is None or o.fulfilment.is_goods == goods)
                    and _has(keyword, o.number))

        return self._find(visibility, page, keep, status=status, fulfilment=fulfilment,
                          institution_id=institution_id, elder_id=elder_id, staff_id=staff_id, trade_id=trade_id)

    def of_trade(self, trade_id: str, *, lock: bool = False) -> Sequence[SubOrder]:
        return sorted((o for o in self._all() if o.trade_id == trade_id), key=lambda o: o.number)

    def by_code(self, code_hash: str, *, lock: bool = False) -> SubOrder | None:
        return next((o for o in self._all() if o.code_hash == code_hash), None)

    def scan_candidates(self, since: datetime) -> Iterator[SubOrder]:
        for o in sorted(self._all(), key=lambda o: (o.created_at, o.id)):
            judged = o.fulfilment in (Fulfilment.HOME_VISIT, Fulfilment.DELIVERY)
            if not judged or o.status is SubStatus.PENDING_PAYMENT:
                continue
            settled = (o.completed_at or o.paid_at or o.created_at) if o.status in SETTLED else None
            if settled is None or settled >= since:
                yield o


class MemoryAfterSales(_Owned[AfterSale]):
    name = "mall_after_sales"
    unique = ((lambda a: a.number, "NUMBER_TAKEN", "编号重复"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, status: AfterSaleStatus | None = None,
        type: AfterSaleKind | None = None, institution_id: str | None = None, sub_order_id: str | None = None,
        elder_id: str | None = None,
    ) -> Page[AfterSale]:
        return self._find(visibility, page, lambda a: True, status=status, type=type, institution_id=institution_id,
                          sub_order_id=sub_order_id, elder_id=elder_id)


class MemoryRatings(_Owned[Rating]):
    name = "mall_ratings"
    unique = ((lambda r: r.sub_order_id, "MALL_ALREADY_RATED", "该订单已评价"),)

    def list(
        self, visibility: Visibility, page: PageRequest, *, institution_id: str | None = None,
        product_id: str | None = None, staff_id: str | None = None, include_hidden: bool = True,
    ) -> Page[Rating]:
        return self._find(visibility, page,
                          lambda r: (product_id is None or product_id in r.product_ids)
                          and (include_hidden or not r.hidden),
                          institution_id=institution_id, staff_id=staff_id)

    def of_sub_order(self, sub_order_id: str) -> Rating | None:
        return next((r for r in self._all() if r.sub_order_id == sub_order_id), None)

    def institution_averages(self, institution_ids: Iterable[str]) -> dict[str, tuple[float, int]]:
        wanted, stars = set(institution_ids), {}  # type: ignore[var-annotated]
        for r in self._all():
            if r.institution_id in wanted and not r.hidden:
                stars.setdefault(r.institution_id, []).append(r.stars)
        return {i: (round(sum(s) / len(s), 1), len(s)) for i, s in stars.items()}


class MemoryMallExceptions(MemoryExceptions):
    name = "mall_exceptions"


__all__ = ["MemoryAfterSales", "MemoryBuyGifts", "MemoryCategories", "MemoryMallConfigs", "MemoryMallExceptions",
           "MemoryMallSettings", "MemoryPackages", "MemoryProducts", "MemoryRatings", "MemorySubOrders",
           "MemoryTrades"]
