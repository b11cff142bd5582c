"""Offers (A-02, A-04): service packages (服务包/优惠套餐) and buy-gift rules (买赠规则) of one institution,
each reviewed before it counts; any edit goes back to review."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, TypeVar

from attrs import frozen

from yiyangkang.domain.identity.policy import Operation, scope_for
from yiyangkang.domain.identity.principal import Principal
from yiyangkang.domain.kernel.errors import NotFound
from yiyangkang.domain.kernel.paging import Page, PageRequest
from yiyangkang.domain.kernel.validation import Checks
from yiyangkang.domain.mall.offers import BuyGiftRule, PackageItem, Reviewed, ServicePackage
from yiyangkang.domain.mall.review import ReviewState, ReviewSubject
from yiyangkang.ports.uow import UnitOfWork
from yiyangkang.services.access import institution_of, load_institution, require, visibility
from yiyangkang.services.mall.catalogue import check_reviewer
from yiyangkang.services.mall.common import today
from yiyangkang.services.mall.views import BuyGiftView, PackageView
from yiyangkang.services.objects import load_owned
from yiyangkang.services.runtime import Runtime

R = TypeVar("R", bound=Reviewed)
PACKAGE_KIND, RULE_KIND = "服务包", "买赠规则"
MAX_PACKAGE_ITEMS = 20


@frozen(kw_only=True)
class PackageForm:
    institution_id: str | None = None
    name: str | None = None
    items: Sequence[tuple[str, int]] | None = None  # (product id, quantity)
    price_fen: int | None = None
    description: str | None = None


@frozen(kw_only=True)
class BuyGiftForm:
    institution_id: str | None = None
    name: str | None = None
    buy_product_id: str | None = None
    buy_quantity: int | None = None
    gift_product_id: str | None = None
    gift_quantity: int | None = None
    max_gifts_per_order: int | None = None
    valid_from: date | None = None
    valid_until: date | None = None


def _own_products(uow: UnitOfWork, checks: Checks, institution_id: str, fields: dict[str, str]) -> None:
    """Each named product exists and belongs to `institution_id`: an offer never mixes institutions."""
    found = uow.products.many(fields.values())
    for name, product_id in fields.items():
        product = found.get(product_id)
        if product is None:
            checks.fail(name, "商品不存在", "UNKNOWN_PRODUCT")
        elif product.institution_id != institution_id:
            checks.fail(name, "服务包和买赠规则只能包含本机构的商品", "MIXES_INSTITUTIONS")


def _package_values(uow: UnitOfWork, checks: Checks, form: PackageForm, institution_id: str,
                    base: ServicePackage | None) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if base is None or form.name is not None:
        values["name"] = checks.text("name", form.name, label="服务包名称", max_len=60)
    if base is None or form.items is not None:
        items = list(form.items or [])
        ids = [p for p, _ in items]
        if checks.require("items", 1 <= len(items) <= MAX_PACKAGE_ITEMS and len(set(ids)) == len(ids),
                          f"服务包应包含1～{MAX_PACKAGE_ITEMS}种不重复的商品", "INVALID_ITEMS"):
            checks.require("items", sum(q for _, q in items) >= 2, "服务包至少包含2件（次）商品", "TOO_FEW")
            for n, (_, q) in enumerate(items):
                checks.require(f"items.{n}.quantity", 1 <= q <= 99, "数量应在1～99之间", "OUT_OF_RANGE")
            _own_products(uow, checks, institution_id, {f"items.{n}.product_id": p for n, p in enumerate(ids)})
        values["items"] = tuple(PackageItem(p, q) for p, q in items)
    if base is None or form.price_fen is not None:
        price = checks.money("price_fen", form.price_fen, label="套餐价")
        checks.require("price_fen", price is None or price.fen > 0, "套餐价应大于0", "OUT_OF_RANGE")
        values["price"] = price
    if form.description is not None:
        values["description"] = checks.text("description", form.description, label="说明", max_len=2000,
                                            required=False) or ""
    return values


def _rule_values(uow: UnitOfWork, checks: Checks, form: BuyGiftForm, institution_id: str,
                 base: BuyGiftRule | None, today_: date) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if base is None or form.name is not None:
        values["name"] = checks.text("name", form.name, label="规则名称", max_len=60)
    for field, label in (("buy_quantity", "购买数量"), ("gift_quantity", "赠送数量")):
        value = getattr(form, field)
        if base is None or value is not None:
            checks.require(field, value is not None and 1 <= value <= 99, f"{label}应在1～99之间", "OUT_OF_RANGE")
            values[field] = value
    if form.max_gifts_per_order is not None:
        checks.require("max_gifts_per_order", 1 <= form.max_gifts_per_order <= 999, "每单赠送上限应在1～999之间",
                       "OUT_OF_RANGE")
        values["max_gifts_per_order"] = form.max_gifts_per_order
    products = {f: getattr(form, f) for f in ("buy_product_id", "gift_product_id") if getattr(form, f) is not None}
    if base is None:
        for f in ("buy_product_id", "gift_product_id"):
            checks.require(f, f in products, "请选择商品", "REQUIRED")
    _own_products(uow, checks, institution_id, products)
    buy_id = products.get("buy_product_id") or (base.buy_product_id if base else None)
    gift_id = products.get("gift_product_id") or (base.gift_product_id if base else None)
    both = uow.products.many([i for i in (buy_id, gift_id) if i])
    if buy_id in both and gift_id in both:
        # The gift travels with what earned it (one sub-order), so giving one back can account for the other.
        checks.require("gift_product_id", both[buy_id].fulfilment is both[gift_id].fulfilment,
                       "赠品须与购买的商品履约方式相同（同为上门、到店、配送或自提）", "GIFT_FULFILMENT_MISMATCH")
    values |= products
    start = form.valid_from or (base.valid_from if base else None)
    until = form.valid_until or (base.valid_until if base else None)
    if checks.require("valid_from", start is not None and until is not None, "请填写有效期", "REQUIRED"):
        assert start is not None
        assert until is not None
        checks.require("valid_until", start <= until <= start + timedelta(days=366),
                       "有效期应在一年以内且结束不早于开始", "OUT_OF_RANGE")
        checks.require("valid_until", until >= today_, "有效期已过", "EXPIRED")
        values |= {"valid_from": start, "valid_until": until}
    return values


def create_package(rt: Runtime, principal: Principal, form: PackageForm) -> PackageView:
    """A-02: products of one institution at one price, for review."""
    institution_id = institution_of(principal, Operation.MALL_CATALOGUE_WRITE, form.institution_id)
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.MALL_CATALOGUE_WRITE, institution_id)
        checks = Checks()
        values = _package_values(uow, checks, form, institution_id, None)
        checks.done()
        now = rt.clock.now()
        item = ServicePackage(id=rt.ids.new_id(), institution_id=institution_id, created_by=principal.account_id,
                              created_at=now, **values)
        item.record_created(principal.actor, now)
        uow.packages.add(item)
        uow.commit()
        return _package_view(uow, item)


def update_package(rt: Runtime, principal: Principal, ident: str, form: PackageForm,
                   expected_version: int | None = None) -> PackageView:
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.MALL_CATALOGUE_WRITE, uow.packages.lock(ident), PACKAGE_KIND,
                          ident)
        item.expect_version(expected_version)
        checks = Checks()
        checks.require("institution_id", form.institution_id in (None, item.institution_id), "服务包不能换机构",
                       "IMMUTABLE")
        values = _package_values(uow, checks, form, item.institution_id, item)
        checks.done()
        item.resubmit(values, principal.actor, rt.clock.now())
        uow.packages.save(item)
        uow.commit()
        return _package_view(uow, item)


def _package_view(uow: UnitOfWork, item: ServicePackage) -> PackageView:
    return PackageView.of(item, uow.products.many(i.product_id for i in item.items))


def create_rule(rt: Runtime, principal: Principal, form: BuyGiftForm) -> BuyGiftView:
    """A-04: buy N of X, get M of Y, for review."""
    institution_id = institution_of(principal, Operation.MALL_CATALOGUE_WRITE, form.institution_id)
    with rt.uow() as uow:
        load_institution(uow, principal, Operation.MALL_CATALOGUE_WRITE, institution_id)
        checks = Checks()
        values = _rule_values(uow, checks, form, institution_id, None, today(rt))
        checks.done()
        now = rt.clock.now()
        item = BuyGiftRule(id=rt.ids.new_id(), institution_id=institution_id, created_by=principal.account_id,
                           created_at=now, **values)
        item.record_created(principal.actor, now)
        uow.buy_gifts.add(item)
        uow.commit()
        return BuyGiftView.of(item)


def update_rule(rt: Runtime, principal: Principal, ident: str, form: BuyGiftForm,
                expected_version: int | None = None) -> BuyGiftView:
    with rt.uow() as uow:
        item = load_owned(uow, principal, Operation.MALL_CATALOGUE_WRITE, uow.buy_gifts.lock(ident), RULE_KIND, ident)
        item.expect_version(expected_version)
        checks = Checks()
        values = _rule_values(uow, checks, form, item.institution_id, item, today(rt))
        checks.done()
        item.resubmit(values, principal.actor, rt.clock.now())
        uow.buy_gifts.save(item)
        uow.commit()
        return BuyGiftView.of(item)


def _offer(uow: UnitOfWork, subject: ReviewSubject, ident: str, *, lock: bool) -> tuple[Reviewed | None, str]:
    if subject is ReviewSubject.PACKAGE:
        return (uow.packages.lock(ident) if lock else uow.packages.get(ident)), PACKAGE_KIND
    return (uow.buy_gifts.lock(ident) if lock else uow.buy_gifts.get(ident)), RULE_KIND


def _saved(uow: UnitOfWork, item: Reviewed) -> PackageView | BuyGiftView:
    if isinstance(item, ServicePackage):
        uow.packages.save(item)
        uow.commit()
        return _package_view(uow, item)
    assert isinstance(item, BuyGiftRule)
    uow.buy_gifts.save(item)
    uow.commit()
    return BuyGiftView.of(item)


def review_offer(rt: Runtime, principal: Principal, subject: ReviewSubject, ident: str, *, approve: bool,
                 note: str = "", expected_version: int | None = None) -> PackageView | BuyGiftView:
    with rt.uow() as uow:
        found, kind = _offer(uow, subject, ident, lock=True)
        item = load_owned(uow, principal, Operation.MALL_REVIEW, found, kind, ident)
        item.expect_version(expected_version)
        now = rt.clock.now()
        check_reviewer(uow, principal, subject, item.institution_id, item.submitter, note, approve, now)
        item.decide(approve, note.strip()[:500], principal.actor, now)
        return _saved(uow, item)


def set_offer_active(rt: Runtime, principal: Principal, subject: ReviewSubject, ident: str,
                     active: bool) -> PackageView | BuyGiftView:
    """Withdraw (or bring back) a package or rule; bringing back needs no new review."""
    with rt.uow() as uow:
        found, kind = _offer(uow, subject, ident, lock=True)
        item = load_owned(uow, principal, Operation.MALL_CATALOGUE_WRITE, found, kind, ident)
        item.set_active(active, principal.actor, rt.clock.now())
        return _saved(uow, item)


def get_package(rt: Runtime, principal: Principal, ident: str) -> PackageView:
    """A package on sale (anyone), or in any review state (the seller and reviewers); else 404."""
    require(principal, Operation.MALL_BROWSE)
    with rt.uow() as uow:
        item = uow.packages.get(ident)
        if item is None or not item.orderable:
            if scope_for(principal.role, Operation.MALL_CATALOGUE_READ) is None:
                raise NotFound(PACKAGE_KIND, ident)
            item = load_owned(uow, principal, Operation.MALL_CATALOGUE_READ, item, PACKAGE_KIND, ident)
        return _package_view(uow, item)


def list_packages(rt: Runtime, principal: Principal, page: PageRequest, *, institution_id: str | None = None,
                  review: ReviewState | None = None) -> Page[PackageView]:
    vis = visibility(principal, Operation.MALL_CATALOGUE_READ)
    with rt.uow() as uow:
        found = uow.packages.list(vis, page, institution_id=institution_id, review=review)
        products = uow.products.many(i.product_id for p in found.items for i in p.items)
        return found.map(lambda p: PackageView.of(p, products))


def list_rules(rt: Runtime, principal: Principal, page: PageRequest, *, institution_id: str | None = None,
               review: ReviewState | None = None) -> Page[BuyGiftView]:
    vis = visibility(principal, Operation.MALL_CATALOGUE_READ)
    with rt.uow() as uow:
        return uow.buy_gifts.list(vis, page, institution_id=institution_id, review=review).map(BuyGiftView.of)
