"""Finding things (M-01…M-04): keyword search with filters and sorting, products of a category, the
institutions that serve the elder's address sorted by distance or sales, store pages, product detail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, Visibility
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks, choice
from yiyangkang.domain.mall.catalogue import Fulfilment, Product
from yiyangkang.domain.mall.config import MallConfig, distance_m
from yiyangkang.domain.mall.search import MAX_KEYWORD
from yiyangkang.domain.orgs.institutions import GeoPoint
from yiyangkang.ports.mall import ProductQuery, SortBy
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import load_elder, require
from yiyangkang.services.institutions import check_location
from yiyangkang.services.mall.catalogue import all_on_sale
from yiyangkang.services.mall.common import PRODUCT_KIND, today
from yiyangkang.services.mall.views import (
    BuyGiftView,
    MallConfigView,
    PackageView,
    ProductView,
    RatingView,
)
from yiyangkang.services.runtime import Runtime


@frozen(kw_only=True)
class SearchForm:
    keyword: str | None = None
    category_id: str | None = None
    fulfilment: str | None = None
    min_price_fen: int | None = None
    max_price_fen: int | None = None
    institution_id: str | None = None
    attributes: Mapping[str, str] | None = None
    sort: str | None = None


def _names(uow: UnitOfWork, products: list[Product]) -> dict[str, str]:
    names: dict[str, str] = {}
    for institution_id in {p.institution_id for p in products}:
        inst = uow.institutions.get(institution_id)
        names[institution_id] = inst.name if inst else ""
    return names


def search_products(rt: Runtime, principal: Principal, form: SearchForm, page: PageRequest) -> Page[ProductView]:
    """M-01/M-02: products on sale by keyword (Chinese too), category (with its sub-categories),
    fulfilment type, price range, institution and attributes; sorted by sales, price, newness or rating."""
    require(principal, Operation.MALL_BROWSE)
    checks = Checks()
    keyword = checks.text("keyword", form.keyword, label="关键词", max_len=MAX_KEYWORD, required=False)
    fulfilment = checks.parse("fulfilment", choice(Fulfilment, "履约方式应为 home_visit、in_store、delivery 或 pickup"),
                              form.fulfilment) if form.fulfilment else None
    sort = checks.parse("sort", choice(SortBy, "排序应为 sales、price_asc、price_desc、newest 或 rating"),
                        form.sort) if form.sort else SortBy.SALES
    low = checks.money("min_price_fen", form.min_price_fen, label="最低价", required=False)
    high = checks.money("max_price_fen", form.max_price_fen, label="最高价", required=False)
    checks.require("max_price_fen", low is None or high is None or low <= high, "最高价不能低于最低价", "OUT_OF_RANGE")
    with rt.uow() as uow:
        category = uow.mall_categories.get(form.category_id) if form.category_id else None
        checks.require("category_id", form.category_id is None or category is not None, "分类不存在",
                       "UNKNOWN_CATEGORY")
        checks.done()
        query = ProductQuery(keyword=keyword, category_path=category.path if category else None,
                             fulfilment=fulfilment, min_price=low, max_price=high, institution_id=form.institution_id,
                             attributes=dict(form.attributes or {}), sort=sort or SortBy.SALES)
        found = uow.products.search(query, page)
        names = _names(uow, list(found.items))
        return found.map(lambda p: ProductView.of(p, names.get(p.institution_id, "")))


@frozen
class ProductDetail:
    product: ProductView
    store: dict[str, Any]
    gifts: list[BuyGiftView]  # buy-gift rules in force for buying it
    packages: list[PackageView]  # packages that contain it
    ratings: list[RatingView]  # the latest visible ratings


def product_detail(rt: Runtime, principal: Principal, ident: str) -> ProductDetail:
    """M-04: images, price, sales, ratings, description, the store, its offers around the product."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        product = uow.products.get(ident)
        if product is None or not product.orderable:
            raise NotFound(PRODUCT_KIND, ident)
        store = _store_summary(uow, product.institution_id)
        rules = [BuyGiftView.of(r) for r in uow.buy_gifts.in_force([product.id], today(rt))]
        packages = uow.packages.list(Visibility(everything=True), PageRequest(1, 50),
                                     institution_id=product.institution_id, orderable=True).items
        mine = [p for p in packages if any(i.product_id == product.id for i in p.items)]
        members = uow.products.many(i.product_id for p in mine for i in p.items)
        ratings = uow.ratings.list(Visibility(everything=True), PageRequest(1, 10), product_id=product.id,
                                   include_hidden=False).items
        return ProductDetail(ProductView.of(product, store["name"]), store, rules,
                             [PackageView.of(p, members) for p in mine], [RatingView.of(r) for r in ratings])


def _store_summary(uow: UnitOfWork, institution_id: str) -> dict[str, Any]:
    inst = uow.institutions.get(institution_id)
    if inst is None:
        raise NotFound("机构", institution_id)
    average, count = uow.ratings.institution_averages([institution_id]).get(institution_id, (None, 0))
    sales = uow.products.sales_by_institution([institution_id]).get(institution_id, 0)
    return {"id": inst.id, "name": inst.name, "address": inst.address, "region_code": inst.region_code,
            "lng": inst.location.lng if inst.location else None, "lat": inst.location.lat if inst.location else None,
            "phone": inst.contact_phone, "rating": average, "rating_count": count, "sales": sales}


@frozen
class StorePage:
    store: dict[str, Any]
    config: MallConfigView | None
    categories: list[dict[str, Any]]  # top-level categories with the store's products in them
    gift_zone: list[dict[str, Any]]  # 买赠专区: rules in force with their products
    packages: list[PackageView]  # 优惠套餐


def store_page(rt: Runtime, principal: Principal, institution_id: str) -> StorePage:
    """M-04: an institution's store."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        store = _store_summary(uow, institution_id)
        config = uow.mall_configs.get(institution_id)
        products = all_on_sale(uow, ProductQuery(institution_id=institution_id))
        categories = {c.id: c for c in uow.mall_categories.all()}
        groups: dict[str, list[ProductView]] = {}
        for p in products:
            assert p.live is not None
            leaf = categories.get(p.live.category_id)
            top = leaf.path.strip("/").split("/")[0] if leaf else ""
            groups.setdefault(top, []).append(ProductView.of(p, store["name"]))
        rules = uow.buy_gifts.list(Visibility(everything=True), PageRequest(1, 100), institution_id=institution_id,
                                   in_force_on=today(rt)).items
        on_sale = {p.id: p for p in products}
        zone = [{"rule": BuyGiftView.of(r), "buy": ProductView.of(on_sale[r.buy_product_id], store["name"]),
                 "gift": ProductView.of(on_sale[r.gift_product_id], store["name"])}
                for r in rules if r.buy_product_id in on_sale and r.gift_product_id in on_sale]
        packages = uow.packages.list(Visibility(everything=True), PageRequest(1, 100), institution_id=institution_id,
                                     orderable=True).items
        members = uow.products.many(i.product_id for p in packages for i in p.items)
        return StorePage(
            store, MallConfigView.of(config) if config else None,
            [{"category_id": top, "name": categories[top].name if top in categories else "其他", "products": items}
             for top, items in groups.items()],
            zone, [PackageView.of(p, members) for p in packages])


@frozen
class NearbyStore:
    store: dict[str, Any]
    distance_m: int | None
    home_visit: bool  # its home visits reach the address
    delivery: bool  # it delivers there
    products: list[ProductView]  # its best sellers


def nearby_institutions(rt: Runtime, principal: Principal, *, elder_id: str | None = None,
                        address_id: str | None = None, lng: float | None = None, lat: float | None = None,
                        region_code: str | None = None, sort: str = "distance", limit: int = 20) -> list[NearbyStore]:
    """M-03: the institutions whose home-visit or delivery area covers the elder's address (or the point
    given), nearest first or best-selling first, with a few of their products."""
    require(principal, Operation.MALL_BROWSE)
    checks = Checks()
    checks.require("sort", sort in ("distance", "sales"), "排序应为 distance 或 sales", "INVALID")
    point = check_location(checks, lng, lat)
    with rt.uow() as uow:
        if address_id is not None:
            address = uow.addresses.get(address_id)
            if address is None or elder_id is None or address.elder_id != elder_id:
                raise NotFound("地址", address_id)
            load_elder(uow, principal, Operation.ADDRESS_READ, elder_id)
            point, region_code = address.location or point, address.region_code
        checks.require("lng", point is not None or region_code is not None, "请提供地址或位置", "REQUIRED")
        checks.done()
        reach = [(c, c.home_visit_area.covers(region_code, point), c.delivery_area.covers(region_code, point))
                 for c in uow.mall_configs.all()]
        reach = [r for r in reach if r[1] or r[2]]
        sales = uow.products.sales_by_institution(c.id for c, _, _ in reach)
        found = [_nearby(uow, c, visit, delivery, point) for c, visit, delivery in reach]
        if sort == "sales":
            found.sort(key=lambda s: (-sales.get(str(s.store["id"]), 0), s.distance_m or 0))
        else:
            found.sort(key=lambda s: (s.distance_m is None, s.distance_m or 0))
        return found[: max(1, min(limit, 100))]


def _nearby(uow: UnitOfWork, config: MallConfig, visit: bool, delivery: bool, point: GeoPoint | None) -> NearbyStore:
    store = _store_summary(uow, config.id)
    here = config.store.location or (GeoPoint(lng=store["lng"], lat=store["lat"]) if store["lng"] is not None
                                     else None)
    distance = round(distance_m(point, here)) if point and here else None
    top = uow.products.search(ProductQuery(institution_id=config.id), PageRequest(1, 3)).items
    return NearbyStore(store, distance, visit, delivery, [ProductView.of(p, store["name"]) for p in top])
